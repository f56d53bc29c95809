import os
import signal

total = 0
for i in range(1000):
    total += i
print("before kill", total, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # @kill
print("never")
