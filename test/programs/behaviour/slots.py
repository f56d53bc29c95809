"""Locals the C accelerator reads by slot from the interpreter's frame: arguments that are cells,
free variables, nonlocal rebinding, deleted locals, a comprehension variable named like a cell,
globals a function assigns, many locals, and generators that close over their arguments. The
accelerated agent must report what the pure-Python agent reads from f_locals
(test/accelerator.test.ts)."""
total = 0


def captured(n, items):
    def add(x):
        nonlocal n
        n += x
        items.append(x)
        return n

    add(1)
    add(2)
    n = n * 10  # a cell rebound in its own frame
    return n, items


def shadow(cells):
    x = "outer"
    names = [x for x in cells]  # a comprehension variable named like the cell below

    def show():
        return x

    del cells
    return names, show()


def assign_global(k):
    global total
    total += k
    scratch = [k]
    del scratch
    return total


def wide():
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = 0
    b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = b8 = b9 = [0]
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = {}
    d0 = d1 = d2 = d3 = d4 = d5 = d6 = d7 = d8 = d9 = []
    e0 = e1 = e2 = e3 = e4 = e5 = e6 = e7 = e8 = e9 = set()
    f0 = f1 = f2 = f3 = f4 = f5 = f6 = f7 = f8 = f9 = [1]
    g0 = g1 = g2 = g3 = g4 = g5 = g6 = g7 = g8 = g9 = {"k": []}
    assign_global(1)  # a call: every mutable local is looked at again
    d0.append(1)  # 10 aliases of one list change at once
    g5["k"].append(2)
    return (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9,
            c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, d0, d1, d2, d3, d4, d5, d6, d7, d8, d9,
            e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, f0, f1, f2, f3, f4, f5, f6, f7, f8, f9,
            g0, g1, g2, g3, g4, g5, g6, g7, g8, g9)


def counter(start, step):
    def bump():
        return start + step

    while start < 6:
        yield bump()
        start += step


class Table:
    rows = [r * 2 for r in range(3)]
    size = len(rows)


squares = [s * s for s in range(4)]
print(captured(5, []), shadow(["p", "q"]), assign_global(2), len(wide()), list(counter(1, 2)),
      Table.size, squares, total)
