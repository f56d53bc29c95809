"""Dice rolled with the seed given as the first argument: runs differ by value only."""
import random
import sys


def roll(rng, n):
    total = 0
    for i in range(n):
        v = rng.randint(1, 6)  # @draw
        total += v
    return total


rng = random.Random(int(sys.argv[1]))
t = roll(rng, 5)
print("total", t)
