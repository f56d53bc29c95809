"""Comprehensions: list, dict and set comprehensions and generator expressions."""


def work(n):
    squares = [i * i for i in range(n)]
    evens = {i: s for i, s in enumerate(squares) if s % 2 == 0}
    digits = {s % 10 for s in squares}
    total = sum(v for v in evens.values() if v > 10)
    grid = [[r * c for c in range(10)] for r in range(10)]
    return len(squares) + len(evens) + len(digits) + total + sum(map(sum, grid))


acc = 0
for rep in range(1200):
    acc += work(500)
print(acc)
