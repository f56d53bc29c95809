"""Every kind of value the serializer knows, as locals, changed in place and rebound: builtins
nested in containers, bounds (depth, items, string length), cycles, secrets, user objects through
__dict__ and __slots__, subclasses of builtins, safe reprs and opaque labels. The C accelerator's
serializer must encode each exactly as values.py does (test/accelerator.test.ts)."""
import datetime
import decimal
import fractions
import types


class Plain:
    def __init__(self, n):
        self.n = n
        self.tags = ["t%d" % n]
        self.password = "hidden"
        self.child = None


class Slots:
    __slots__ = ("a", "b", "api_key")

    def __init__(self, a):
        self.a = a  # b stays unset
        self.api_key = "k-123"


class Both(Plain):
    __slots__ = ("extra",)


class Wide:
    def __init__(self):
        for i in range(130):  # more attributes than the 100 shown
            setattr(self, "attr%03d" % i, i)


class MyList(list):
    pass


class MyDict(dict):
    def __iter__(self):
        raise RuntimeError("never called by the agent")


class MySet(set):
    def __iter__(self):
        raise RuntimeError("never called by the agent")


class MyInt(int):
    pass


class MyStr(str):
    pass


class MyBytes(bytes):
    pass


class MyFloat(float):
    pass


class Meta(type):
    pass


class WithMeta(metaclass=Meta):
    pass


class NoDict:
    @property
    def __dict__(self):
        raise RuntimeError("never called by the agent")


def builtins():
    ints = [0, 1, -1, 127, 128, -32, -33, 255, 256, 65535, 65536, 2 ** 32, 2 ** 63, 2 ** 64 - 1,
            2 ** 64, -(2 ** 63), -(2 ** 63) - 1, 10 ** 40]
    floats = (0.0, -0.0, 1.5, float("inf"), float("-inf"), 1e-310)
    texts = {"ascii": "plain", "long": "y" * 1500, "accents": "é" * 3, "ctrl": "a\x00b\n",
             "wide": "漢字" * 600, "surrogate": "\ud800", (1, 2): "tuple key", None: 0}
    raw = [b"", b"\x00\xff", b"z" * 1200, bytearray(b"abc"), bytearray(2000)]
    sets = [set(), {1}, frozenset({"a"}), {(1, 2), (3, 4)}]
    empty = [[], (), {}, set(), frozenset(), "", b""]
    flags = [True, False, None, ..., NotImplemented]
    return ints, floats, texts, raw, sets, empty, flags


def bounds():
    deep = [[[[["bottom"]]]]]
    deep_dict = {"a": {"b": {"c": {"d": 1}}}}
    many = list(range(250))
    many_dict = {i: str(i) for i in range(150)}
    many_set = set(range(120))
    cycle = [1]
    cycle.append(cycle)
    d = {}
    d["self"] = d
    pair = [[], []]
    pair[0].append(pair)
    pair[1].append(pair[0])
    return deep, deep_dict, many, many_dict, many_set, cycle, d, pair


def objects():
    p = Plain(1)
    q = Plain(2)
    p.child = q
    q.child = p  # a cycle through objects
    s = Slots(5)
    both = Both(3)
    both.extra = [1, 2]
    wide = Wide()
    nodict = NoDict()
    holder = types.SimpleNamespace(secret_token="s", value=[p, s])
    p.tags.append("more")
    s.b = {"x": 1}
    del s.a
    both.extra.append(3)
    return p, s, both, wide, nodict, holder


def subclasses():
    ml = MyList([1, 2, 3])
    ml.note = "annotated"
    md = MyDict(a=1, credential="c")
    ms = MySet({1, 2})
    mi = MyInt(7)
    mstr = MyStr("text")
    mb = MyBytes(b"by")
    mf = MyFloat(2.5)
    edges = [MyInt(-1), MyInt(2 ** 64 - 1), MyInt(2 ** 64), MyInt(-2 ** 63 - 1), MyStr("x" * 2000),
             MyStr("caf\u00e9"), MyStr("\x00\n"), MyBytes(b"y" * 2000), MyFloat(-0.0), MyFloat("nan")]
    inner = MyList([ml])
    ml.append(ml)
    md["more"] = [md]
    return ml, md, ms, mi, mstr, mb, mf, edges, inner


def labels():
    fn = builtins
    lam = lambda: 0  # noqa: E731
    meth = Plain(0).__init__
    builtin = len
    mod = types
    klass = Plain
    meta = WithMeta
    metaclass = Meta
    code = builtins.__code__
    gen = (i for i in range(3))
    when = datetime.datetime(2024, 1, 2, 3, 4, 5)
    day = datetime.date(2024, 1, 2)
    span = datetime.timedelta(seconds=5)
    money = decimal.Decimal("1.10")
    part = fractions.Fraction(1, 3)
    cplx = 1 + 2j
    rng = range(3, 10, 2)
    # labels read in C by the accelerator: the edges of each kind
    renamed = lambda: 1  # noqa: E731
    renamed.__qualname__ = "caf\u00e9.renamed"
    bound_builtin = [].append
    not_a_function = types.MethodType(len, Plain(1))
    nameless = types.ModuleType("nameless")
    del nameless.__name__
    odd_name = types.ModuleType("odd")
    odd_name.__name__ = 42
    Local = type("Local", (), {"__module__": "builtins"})
    NoModule = type("NoModule", (), {})
    NoModule.__module__ = 7
    Unicode = type("Caf\u00e9", (), {"__module__": "m\u00f6d"})
    Nested = type("Nested", (), {"__qualname__": "Outer.Nested"})
    edges = [renamed, bound_builtin, not_a_function, nameless, odd_name, Local, NoModule, Unicode,
             Nested, int, type, Ellipsis, NotImplemented, print]
    return (fn, lam, meth, builtin, mod, klass, meta, metaclass, code, gen, when, day, span, money, part,
            cplx, rng, edges)


def mutate_in_place():
    counts = {}
    words = "a b a c b a".split()
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    grid = [[0] * 3 for _ in range(3)]
    row = grid[1]
    row[2] = 9  # grid changes too: an alias
    obj = Plain(9)
    same = obj
    obj.tags.append("x")
    obj.n += 1
    nested = {"list": [1]}
    nested["list"].append(2)
    nested = {"list": [1, 2]}  # rebound to an equal value
    return counts, grid, same, nested


def keys_made_anew():
    """Dicts whose str keys are new objects equal to earlier ones, secret names among them: the
    C encoder remembers a key's secrecy by its value, not only by its address."""
    rows = []
    for i in range(4):
        rows.append({"pass" + "word"[:4 - i % 2]: i, "na" + "me": "n%d" % i, "k%d" % (i % 2): i})
        rows[-1]["TOK" + "EN"] = rows[-1].pop("na" + "me")
    return rows


def secret_spellings():
    """Names that hold a secret pattern's first word in any case, or only part of a pattern, or
    are not ASCII: the C encoder answers "not a secret" by itself only for names that hold no
    pattern's first word, and asks the reference for the others."""
    keys = ["X-Api-Key", "api_version", "ApiKeyHolder", "Authorization", "privateKey", "private",
            "a line of text with a PASSWORD in it", "TOKENIZER", "a_token_2", "p\u00e4ssword",
            "\u00e4_password", "pass-word", "credentials", "CREDENTIAL", "ok", "", "tok", "secrets2"]
    by_key = {k: i for i, k in enumerate(keys)}
    attrs = types.SimpleNamespace(apiKey=1, Token=2, myPassword=3, plain=4, passwordHint=5,
                                  **{"\u00e4_token": 6, "sEcReT": 7})
    return by_key, attrs


everything = [builtins(), bounds(), objects(), subclasses(), labels(), mutate_in_place(), keys_made_anew(),
              secret_spellings()]
shown = len(everything)
everything.append(everything)
print(shown)
