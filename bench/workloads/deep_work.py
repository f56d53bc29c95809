# Work at the bottom of a deep stack: recurse to DEPTH frames, then run N loop iterations there.
# What recording costs per event must not depend on DEPTH (bench/depth.ts).
import sys

DEPTH, N = int(sys.argv[1]), int(sys.argv[2])
sys.setrecursionlimit(DEPTH + 1000)


def work(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


def down(d):
    if d == 0:
        return work(N)
    return down(d - 1)


print(down(DEPTH))
