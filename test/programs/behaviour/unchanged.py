"""Values looked at again and again while they do not change, then changed in every way the
C accelerator's shadows must see (an item replaced by an equal new object, an attribute set
through the interpreter's fast paths, a slot emptied, a key moved to the end, a cycle made, a
leaf's label changed...). Each `look(...)` line makes the recorder look at every local again;
test/accelerator.test.ts checks the events are the pure-Python agent's."""


class Thing:
    def __init__(self):
        self.a = 1
        self.name = "thing"
        self.items = [1, 2, 3]
        self.more = {"k": [4, 5]}


class Slotted:
    __slots__ = ("x", "y")

    def __init__(self):
        self.x = 1
        self.y = [1]


class Other(Thing):
    pass


def look(*args):
    return len(args)


def helper():
    return 1


def scenario():
    thing = Thing()
    slotted = Slotted()
    big = 10 ** 30
    data = {"a": [1, 2], "b": {"c": 3}, "password": "p", "f": helper, "s": {1, 2}, "t": (1, [2])}
    items = [1000 + i for i in range(5)]
    wide = list(range(150))
    nested = [[[[1]]]]
    for _ in range(3):
        look()
    thing.a = 2  # an attribute set through the fast path
    look()
    look()
    for i in range(3):
        thing.a = i + 2  # the same value as before at i == 0
        look()
    thing.items.append(4)
    look()
    thing.more["k"][0] = 40
    look()
    look()
    del thing.name
    look()
    thing.name = "back"  # back, now last in __dict__
    look()
    look()
    slotted.x = 2
    look()
    del slotted.x
    look()
    look()
    slotted.y.append(2)
    look()
    items[0] = int("1000")  # equal, but another object
    look()
    items[1] = 9
    look()
    look()
    data["password"] = "changed"  # redacted: nothing to see
    look()
    data["a"].append(3)
    look()
    data["b"]["c"] = 4
    look()
    data["s"].add(3)
    look()
    data["t"][1].append(3)
    look()
    helper.__qualname__ = "renamed"
    look()
    look()
    data["self"] = data  # a cycle
    look()
    look()
    del data["self"]
    look()
    wide.append(150)  # past max_items: only the length shows
    look()
    wide[149] = -1  # not shown
    look()
    wide[0] = -1
    look()
    nested[0][0][0].append(2)  # beyond max_depth
    look()
    nested[0][0].append(3)
    look()
    big += 1
    look()
    look()
    thing.__class__ = Other  # the same attributes, another type
    look()
    thing.extra = bytearray(b"ab")
    look()
    thing.extra[0] = 65
    look()
    look()
    import io
    text = io.TextIOWrapper(io.BytesIO(), encoding="ascii")  # members of a C type, read anew each time
    look()
    look()
    text.reconfigure(line_buffering=True)
    look()
    look()
    return thing, slotted, data, items, wide, nested, big


print(len(scenario()))

# The same at module level, where values are kept by name (and shadows by encoding)
TABLE = {"k%d" % i: [i, "v" * 10] for i in range(20)}
TWIN = {"k%d" % i: [i, "v" * 10] for i in range(20)}  # the same encoding as TABLE
for _ in range(4):
    look()
TABLE["k0"].append(1)
look()
look()
TWIN["k0"].append(1)  # now the same encoding as TABLE again
look()
look()
TABLE["k2"][1] = "w" * 10
look()
look()
TABLE = dict(TABLE)  # rebound to an equal value
look()
look()
TABLE["k3"] = None
look()
print(len(TABLE), len(TWIN))
