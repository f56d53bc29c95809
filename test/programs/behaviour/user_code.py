"""Objects whose dunder methods and properties record that they were called."""
calls = []


class Spy:
    def __init__(self):
        self.value = 1

    def __repr__(self):
        calls.append("repr")
        return "Spy()"

    def __str__(self):
        calls.append("str")
        return "spy"

    def __eq__(self, other):
        calls.append("eq")
        return False

    def __hash__(self):
        calls.append("hash")
        return 1

    def __getattr__(self, name):
        calls.append("getattr " + name)
        raise AttributeError(name)

    def __len__(self):
        calls.append("len")
        return 0

    def __iter__(self):
        calls.append("iter")
        return iter([])

    @property
    def prop(self):
        calls.append("property")
        return 2


class SpyList(list):
    def __iter__(self):
        calls.append("list iter")
        return super().__iter__()

    def __repr__(self):
        calls.append("list repr")
        return "SpyList"


class SpyError(Exception):
    def __str__(self):
        calls.append("exception str")
        return "spy error"


def use(s, lst):
    d = {s: lst}
    s.value += 1
    lst.append(s)
    return d


s = Spy()
lst = SpyList([1, 2])
d = use(s, lst)
try:
    raise SpyError(s)
except SpyError as e:
    err = e
print(calls)
