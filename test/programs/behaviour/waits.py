"""Runs some lines, says so (MARKER.started), waits for MARKER.go, then runs some more."""
import os
import sys
import time

marker = sys.argv[1]
before = sum(range(50))
open(marker + ".started", "w").close()
deadline = time.time() + 120
while not os.path.exists(marker + ".go") and time.time() < deadline:
    time.sleep(0.01)  # @wait
after = before * 2  # @after
print(after)
