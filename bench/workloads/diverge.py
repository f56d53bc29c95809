"""About 3 events per iteration for N iterations (argv[1]). With argv[2] == "b" the run takes
another branch in its last iterations (diverging near the end); with "B", a local differs
from the start (every step must be compared)."""
import sys

n = int(sys.argv[1])
start = sys.argv[2] == "B"
acc = 0
for i in range(n):
    acc = (acc + i * 7) % 1000003
    if i > n - 50 and sys.argv[2] == "b":
        acc += 1
print(acc)
