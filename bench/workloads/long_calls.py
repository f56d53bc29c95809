"""The memory benchmark's program: N iterations of a call whose locals change, about six
events per iteration (python long_calls.py N)."""
import sys


def step(i):
    y = i * 2
    return y


n = int(sys.argv[1])
total = 0
for i in range(n):
    total += step(i)
print(total)
