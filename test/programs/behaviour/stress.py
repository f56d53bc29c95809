"""Hard cases for the agent (and its C accelerator): recursion near the limit, huge and odd
values, many objects changed in place at once, aliases, deletions, generators, coroutines,
exceptions inside them. (Threads: threads_prog.py; their interleaving differs from run to run.)"""
import asyncio
import sys


def dive(n, stop):
    if n >= stop:
        return n
    return dive(n + 1, stop)


def near_recursion_limit():
    # Close to the limit, not over it: there the pure-Python agent's own frames run out
    # (README, known limits), and the accelerator is tested apart (test/accelerator.test.ts).
    return dive(0, sys.getrecursionlimit() - 60)


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1  # b stays unset


class Touchy:
    @property
    def boom(self):
        raise RuntimeError("never called by the agent")

    def __repr__(self):
        raise RuntimeError("never called by the agent")


def odd_values():
    big = 2 ** 200
    neg = -(2 ** 70)
    small = -5
    huge_text = "x" * 1_000_000
    accents = "héllo wörld 漢字 \u200b"
    floats = [float("nan"), -0.0, 0.0, float("inf"), 1e308]
    zero = 0.0
    zero = -0.0
    blob = bytes(range(256)) * 10
    nested = {"k": [1, 2, {"deep": [3, [4, [5]]]}], "password": "hunter2"}
    cycle = []
    cycle.append(cycle)
    many = list(range(100_000))
    objects = [Slotted(), Touchy()]
    token = "secret-value"
    del token
    return big, neg, small, len(huge_text), accents, floats, zero, blob[:3], nested, len(many), objects


def many_mutations():
    l00, l01, l02, l03, l04, l05, l06, l07, l08, l09 = [[] for _ in range(10)]
    l10, l11, l12, l13, l14, l15, l16, l17, l18, l19 = [[] for _ in range(10)]
    l20, l21, l22, l23, l24, l25, l26, l27, l28, l29 = [[] for _ in range(10)]
    l30, l31, l32, l33, l34, l35, l36, l37, l38, l39 = [[] for _ in range(10)]
    alias = l39
    first = l00
    list(map(list.append, (l00, l01, l02, l03, l04, l05, l06, l07, l08, l09, l10, l11, l12, l13, l14, l15, l16, l17, l18, l19, l20, l21, l22, l23, l24, l25, l26, l27, l28, l29, l30, l31, l32, l33, l34, l35, l36, l37, l38, l39), range(40)))
    l00.append("again")
    return alias, first


def gen(n):
    for i in range(n):
        try:
            got = yield i
        except ValueError:
            got = "thrown"
        last = got


def generators():
    g = gen(5)
    values = [next(g), g.send("a"), g.throw(ValueError), next(g)]
    g.close()
    squares = sum(x * x for x in range(10))
    return values, squares


async def tick(i):
    await asyncio.sleep(0)
    if i == 2:
        raise KeyError(i)
    return i


async def coroutines():
    results = []
    for i in range(4):
        try:
            results.append(await tick(i))
        except KeyError as e:
            results.append(("failed", e.args[0]))
    return results


print(near_recursion_limit())
print(odd_values()[:3])
print(many_mutations())
print(generators())
print(asyncio.run(coroutines()))
sys.exit(3)
