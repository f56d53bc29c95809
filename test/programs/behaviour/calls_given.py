"""Calls whose arguments are the caller's locals, which the agent gives as those locals
(PROTOCOL.md, "The caller's locals") when unchanged since the caller last gave them: a
method's self handed on, an alias, a list changed on the calling line before the call, a
secret's value, a module-level caller, a generator's, and values held still (the
accelerator then takes them from the caller's shadow, without encoding them). test/accelerator.test.ts reads the
recording back against one with every argument whole."""


class Cart:
    def __init__(self, owner):
        self.owner = owner
        self.items = []
        self.total = 0

    def add(self, name, price):
        self.items.append((name, price))
        self.total = self.recount()
        return self

    def recount(self):
        return sum(p for _, p in self.items)


def fill(cart, names):
    for i, name in enumerate(names):
        cart.add(name, i * 10)
    return cart


def stale(xs):
    return len(xs)


def aliases():
    first = second = [1, 2, 3]
    n = stale(second)
    n += stale(first)
    n += stale(first.append(4) or first)  # changed on the calling line: given whole
    return n


def secrets():
    api_token = {"user": "ann", "scopes": ["read", "write"]}
    return stale(api_token)


def walk(tree, depth):
    if depth == 0:
        return len(tree)
    return walk(tree, depth - 1) + 1


def held(forest):
    """forest held still at looks before each call: the accelerator takes it from its shadow"""
    n = 0
    api_key = {"k": [1, 2, 3]}
    for i in range(4):
        n += len(forest) + len(api_key)  # looked at, unchanged
        n += walk(forest, 2)
        n += stale(api_key)  # a secret's: given whole
        n += check(forest)  # to a secret's name: redacted
    return n


def check(password):
    return len(password)


def produce(cart):
    for item in cart.items:
        yield stale(cart.items), item


cart = fill(Cart("ann"), ["apple", "pear", "fig", "kiwi"])
cart.add("plum", 5)
tree = {"a": [1, 2], "b": {"c": 3}}
print(cart.total, aliases(), secrets(), walk(tree, 5), list(produce(cart))[0], held(tree))
