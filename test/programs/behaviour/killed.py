import os
import signal
import sys

total = 0
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1000):
    total += i
print("before kill", total, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # @kill
print("never")
