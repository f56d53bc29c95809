"""Long enough (tens of thousands of events) to span several state snapshots.

The number of rounds (default 600) can be given as the first argument.
"""
import sys


def gen(n):
    for i in range(n):
        yield i * 2


def work(k, acc):
    items = []
    for v in gen(k % 7 + 3):
        items.append(v)
        acc[k % 5] = acc.get(k % 5, 0) + v
    try:
        if k % 11 == 0:
            raise ValueError(k)
    except ValueError:
        items.clear()
    return len(items)


acc = {}
total = 0
pending = gen(1000)
for k in range(int(sys.argv[1]) if len(sys.argv) > 1 else 600):
    total += work(k, acc)
    if k % 50 == 0:
        next(pending)  # a generator suspended across snapshots
print(total, acc)
