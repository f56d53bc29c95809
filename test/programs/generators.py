"""Generators: yield, send, yield from, close, generator expressions."""


def counter(n):
    i = 0
    while i < n:
        got = yield i  # @yield
        if got:
            i += got
        i += 1


def chain(*its):
    for it in its:
        yield from it


def squares(n):
    return (k * k for k in range(n))


g = counter(10)
out = [next(g), g.send(2), next(g)]
g.close()
both = list(chain(range(2), squares(3)))
s = sum(x for x in range(4))
print(out, both, s)


def pairs():
    g = counter(6)
    # zip resumes g from C code, and the lambda resumes it from a traced frame at g's own depth
    return list(zip(g, map(lambda _: next(g), range(2))))


print(pairs())
