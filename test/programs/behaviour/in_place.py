"""Containers and objects that functions change a little at a time, which the agent sends as
patches of their previous encodings (PROTOCOL.md, "Changed locals"): grown, shrunk, an item
replaced at the start, the middle and the end, rebound to a near copy, to an int and back,
deleted and made again, held by a generator across yields, by a closure's cell, by several
frames at once, past the item and string bounds, and under a secret name (never patched).
test/accelerator.test.ts checks the accelerator sends the pure-Python agent's bytes, and that
the values read back are the program's."""


class Account:
    def __init__(self, owner):
        self.owner = owner
        self.history = []
        self.balance = 0

    def deposit(self, amount):
        self.history.append(amount)
        self.balance += amount
        return self.balance


def grow_and_shrink():
    xs = list(range(1000, 1040))
    for i in range(6):
        xs.append(i * 1000)
        xs[0] = -i
        xs[15] = "mid%d" % i
        xs[-1] = i
    while len(xs) > 35:
        xs.pop()
    xs.insert(0, "first")
    xs.sort(key=str)
    ys = list(xs)
    ys[10] = "changed"
    xs = ys  # rebound to a near copy
    xs = 7  # to an int
    xs = [7000] * 50  # and back
    del xs
    xs = list(range(1000, 1040))
    xs.reverse()
    return xs


def dicts():
    d = {"key%02d" % i: [i, str(i)] for i in range(20)}  # (about 300 bytes)
    for i in range(5):
        d["key%02d" % i][0] += 100
        d["new%d" % i] = i
        del d["key%02d" % (10 + i)]
    d.clear()
    d.update(a=1, b=2)
    return d


def objects():
    acct = Account("ann" * 40)
    for amount in (5000, 10000, 15000, 20000, 25000, 30000):
        acct.deposit(amount)
    acct.owner = "bob" * 40
    return acct.balance


def generator(n):
    seen = ["start"] * 30
    for i in range(n):
        seen.append(i)
        seen[3] = i * i
        yield len(seen)


def closure():
    cells = [1000] * 50

    def bump(i):
        cells[i] += 1
        return cells[i]

    for i in range(0, 50, 3):
        bump(i)
    return cells


def shared(depth, acc):
    acc.append(depth)
    acc[0] = -depth
    if depth < 6:
        shared(depth + 1, acc)
    acc.append(-depth)
    return acc


def bounds():
    big = list(range(150))
    for i in range(3):
        big[i] = "x" * (900 + i * 100)
        big[120] = i  # past the item bound: the same encoding
        big.insert(50, i)
    text = ["a" * 1200, "b"]
    text[0] = "c" + text[0][1:]
    return len(big) + len(text)


def secrets():
    api_token = {"user": "ann", "n": list(range(1000, 1050))}
    for i in range(4):
        api_token["n"][i] = -i - 1
    return len(api_token)


class Stack(list):
    def __init__(self, items):
        super().__init__(items)
        self.name = "stack"


class Tally(dict):
    pass


class Num(int):
    __slots__ = ()


def subclasses():
    """Instances of subclasses of builtins, looked at line after line while they hold still,
    then changed in place: in their items, their attributes, or the int a Num is."""
    s = Stack(range(30))
    t = Tally(("k%d" % i, i) for i in range(12))
    nums = [Num(i) for i in range(40)]
    for i in range(6):
        len(s) + len(t) + len(nums)  # a call: all three are looked at again, unchanged
        len(s) + len(t) + len(nums)
        s.append(i)
        t["k0"] += i
        s.name = "stack%d" % i
        nums[i] = Num(i * 100)
    return len(s) + len(t) + len(nums)


print(len(grow_and_shrink()), len(dicts()), objects())
print(list(generator(5)), closure()[:4], len(shared(0, [1000] * 40)), bounds(), secrets(), subclasses())
