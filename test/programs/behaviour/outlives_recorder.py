import sys
import time

marker = sys.argv[1]
time.sleep(1.0)  # the test kills the recorder meanwhile
total = 0
for i in range(400000):  # several 1 MiB windows of events
    total += i
with open(marker, "w") as f:
    f.write("done %d" % total)
sys.exit(7)
