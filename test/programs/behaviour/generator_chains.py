"""Generators in `yield from` chains, resumed whole at every item, resumed from stacks of
varying depth: a snapshot must keep each where it is, without writing the chain again each time."""


def leaf(n):
    for i in range(n):
        yield i


def chain(depth, n):
    if depth == 0:
        yield from leaf(n)
    else:
        level = depth
        yield from chain(level - 1, n)


def resume_from(depth, g):
    """next(g), `depth` frames further down the stack."""
    if depth:
        return resume_from(depth - 1, g)
    return next(g, 0)


gens = [chain(30, 300) for _ in range(3)]
total = 0
for k in range(300):
    for j, g in enumerate(gens):
        total += resume_from((k + j) % 5, g)
print(total)


def side_by_side(n):
    """zip resumes two chains in turn from C: nothing runs in this frame meanwhile."""
    return list(zip(chain(30, n), chain(30, n)))


print(len(side_by_side(600)))
