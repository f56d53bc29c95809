"""Comprehensions: list, dict, set, nested, with conditions, generator expressions."""

data = list(range(10))
evens = [x for x in data if x % 2 == 0]
table = {x: x * x for x in evens}
letters = {c for c in "mississippi"}
grid = [[i * j for j in range(3)] for i in range(3)]
flat = [v for row in grid for v in row if v]
total = sum(v * 2 for v in flat)


def pairs(n):
    return [(a, b) for a in range(n) for b in range(a)]


print(len(evens), table[4], sorted(letters), flat, total, pairs(3))


def collatz(n):
    steps = 0
    while n != 1: n, steps = (n // 2 if n % 2 == 0 else 3 * n + 1), steps + 1  # noqa: E701
    return steps


def grow():
    acc = []
    sizes = [len(acc) for _ in range(4) if acc.append(_) is None]
    return sizes, acc


print(collatz(27), grow())
