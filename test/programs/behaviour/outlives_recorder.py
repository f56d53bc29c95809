import os
import sys
import time

marker = sys.argv[1]
parent = os.getppid()
open(marker + ".started", "w").close()  # the test kills the recorder once it sees this
deadline = time.time() + 120
while os.getppid() == parent and time.time() < deadline:
    time.sleep(0.01)
total = 0
for i in range(400000):  # several 1 MiB windows of events
    total += i
with open(marker, "w") as f:
    f.write("done %d" % total)
sys.exit(7)  # @exit
