"""The golden vectors of the wire format: agent/vectors/values.json and events.json.

Each value vector holds a Python expression, the bytes the agent encodes it to, the name table
those bytes use, and the `type`, `repr` (and `truncated`) a reader must show. Python's tests
check the encoder still produces these bytes; TypeScript's tests decode them.

    python3 agent/vectors/make_vectors.py          # check (exit 1 on a difference)
    python3 agent/vectors/make_vectors.py --write  # regenerate, after a deliberate change
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from rewind_agent import wire  # noqa: E402
from rewind_agent.core import SECRET_PATTERNS  # noqa: E402
from rewind_agent.values import Serializer  # noqa: E402


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self):
        self.a = 1  # b stays unset


class Tagged(list):
    def __init__(self, items, tag):
        super().__init__(items)
        self.tag = tag


def helper():
    pass


def cyclic():
    xs = [1]
    xs.append(xs)
    return xs


# (expression, type, repr shown, truncated); repr None means "exactly Python's repr()".
VALUES = [
    ("None", "NoneType", None), ("True", "bool", None), ("False", "bool", None),
    ("0", "int", None), ("1", "int", None), ("-1", "int", None), ("127", "int", None),
    ("128", "int", None), ("-33", "int", None), ("255", "int", None), ("65535", "int", None),
    ("65536", "int", None), ("2**31", "int", None), ("-2**31 - 1", "int", None),
    ("2**63 - 1", "int", None), ("2**64 - 1", "int", None), ("2**64", "int", None),
    ("-2**63", "int", None), ("-2**63 - 1", "int", None), ("10**30", "int", None),
    ("-(10**30)", "int", None),
    ("0.0", "float", None), ("-0.0", "float", None), ("1.0", "float", None), ("0.1", "float", None),
    ("1e16", "float", None), ("1.5e16", "float", None), ("1e15", "float", None),
    ("1e-05", "float", None), ("0.0001", "float", None), ("123456789.125", "float", None),
    ("float('inf')", "float", None), ("float('-inf')", "float", None), ("float('nan')", "float", None),
    ("1e300", "float", None), ("5e-324", "float", None), ("-2.5e-7", "float", None),
    ("''", "str", None), ("'hello'", "str", None), ("\"it's\"", "str", None),
    ("'say \"hi\"'", "str", None), ("'both \\' and \"'", "str", None),
    ("'tab\\tnewline\\n\\r'", "str", None), ("'\\x00\\x7f\\x80\\xa0'", "str", None),
    ("'é'", "str", None), ("'日本'", "str", None), ("'\\u200b\\u2028'", "str", None),
    ("'😀'", "str", None), ("'\\ud800'", "str", None), ("'back\\\\slash'", "str", None),
    ("'a' * 1001", "str", "'" + "a" * 1000 + "'...", True),
    ("b''", "bytes", None), ("b'ab\\x00\\xff\\t'", "bytes", None), ("b\"'\"", "bytes", None),
    ("bytearray(b'xy')", "bytearray", None), ("b'z' * 1001", "bytes", "b'" + "z" * 1000 + "'...", True),
    ("[]", "list", None), ("[1, 'two', 3.0, None]", "list", None), ("(1,)", "tuple", None),
    ("()", "tuple", None), ("(1, (2, 3))", "tuple", None), ("{1, 2}", "set", None),
    ("set()", "set", None), ("frozenset()", "frozenset", None), ("frozenset({3})", "frozenset", None),
    ("{'a': 1, 2: [3]}", "dict", None), ("{}", "dict", None),
    ("[1, [2, [3, [4]]]]", "list", "[1, [2, [3, [...]]]]", True),
    ("list(range(150))", "list", "[" + ", ".join(map(str, range(100))) + ", ...]", True),
    ("cyclic()", "list", "[1, [...]]"),
    ("complex(1, -2)", "complex", None), ("range(3)", "range", None),
    ("Point(1, 'b')", "__main__.Point", "Point(x=1, y='b')"),
    ("Slotted()", "__main__.Slotted", "Slotted(a=1)"),
    ("Tagged([1, 2], 'x')", "__main__.Tagged", "Tagged([1, 2], tag='x')"),
    ("helper", "function", "<function helper>"),
    ("sys", "module", "<module 'sys'>"),
    ("int", "type", "<class 'int'>"),
    ("{'user': 'ann', 'password': 'hunter2'}", "dict", "{'user': 'ann', 'password': <redacted>}"),
]


def secret(name):
    low = name.lower()
    return any(p in low for p in SECRET_PATTERNS)


def value_vectors():
    out = []
    ns = dict(globals())
    for entry in VALUES:
        expr, type_, shown = entry[:3]
        truncated = entry[3] if len(entry) > 3 else False
        names = []

        def name_id(s, names=names):
            if s not in names:
                names.append(s)
            return names.index(s)

        v = eval(expr, ns)
        data = Serializer(name_id, secret).encode(v)
        rec = {"expr": expr, "hex": data.hex(), "names": names, "type": type_,
               "repr": repr(v) if shown is None else shown}
        if truncated:
            rec["truncated"] = True
        out.append(rec)
    return out


# (base, new): a local's value before and after a change, as Python expressions. The patch
# vectors hold both encodings and what wire.patch sends for the change (new itself when a patch
# would not take at most half of it); TypeScript's tests apply each to its base.
PATCHES = [
    ("list(range(1000, 1050))", "list(range(1000, 1050)) + [99]"),  # grown: headers change, an item is added
    ("Point(list(range(1000, 1050)), 'y')", "Point(list(range(1000, 1051)), 'y')"),  # an attribute's list grown
    ("list(range(1000, 1014))", "list(range(1000, 1060))"),  # mostly new items: sent whole
    ("list(range(1000, 1060))", "list(range(1000, 1030)) + ['x'] + list(range(1031, 1060))"),  # one item replaced
    ("list(range(1000, 1060))", "list(range(1001, 1060))"),  # the first item removed
    ("list(range(1000, 1060))", "list(range(1000, 1059))"),  # the last
    ("list(range(1000, 1060))", "[]"),  # emptied: no patch
    ("list(range(20))", "list(range(20)) + [99]"),  # under PATCH_MIN bytes: sent whole
    ("list(range(1000, 1060))", "list(range(2000, 2060))"),  # all new: no patch
    ("{'k%d' % i: i for i in range(30)}", "dict({'k%d' % i: i for i in range(30)}, k7=-7)"),
    ("['a' * 300, 'b' * 300]", "['a' * 300, 'b' * 299 + 'c']"),  # a long str's last character
    ("['a' * 300]", "['a' * 300] * 2"),  # base shorter than new, its bytes at both ends
    ("Point(list(range(1000, 1060)), 'y')", "Point(list(range(1000, 1060)), 'z')"),  # an attribute
]


def patch_vectors():
    out = []
    ns = dict(globals())
    names = []

    def name_id(s):
        if s not in names:
            names.append(s)
        return names.index(s)

    ser = Serializer(name_id, secret)
    for base_expr, new_expr in PATCHES:
        base, new = (ser.encode(eval(e, ns)) for e in (base_expr, new_expr))
        out.append({"base": base_expr, "new": new_expr, "base_hex": base.hex(), "new_hex": new.hex(),
                    "sent_hex": wire.patch(base, new).hex()})
    return out


def event_vectors():
    """A short stream in which every name is defined before use."""
    u = wire.uint
    ev = [
        wire.array([u(wire.HELLO), u(wire.VERSION), wire.plain({"argv": ["prog.py"], "pid": 7})]),
        wire.array([u(wire.THREAD), u(1), wire.text("MainThread")]),
        wire.array([u(wire.FILE), u(0), wire.text("/src/prog.py"), wire.text("x = 1\n")]),
        wire.array([u(wire.NAME), u(0), wire.text("x")]),
        wire.array([u(wire.NAME), u(1), wire.text("__main__")]),
        wire.array([u(wire.CODE), u(0), u(0), wire.text("<module>"), wire.text("<module>"), u(1),
                    u(1)]),
        wire.array([u(wire.CALL), u(1), u(0)]),
        u(1),
        wire.array([u(wire.CALL), u(2), u(0), u(0), wire.caller(u(0))]),
        wire.array([u(wire.RETURN), wire.NIL]),
        wire.array([u(wire.LINE), u(2), u(0), wire.integer(1)]),
        wire.array([u(wire.GLOBALS), u(1), u(0), wire.integer(2)]),
        wire.array([u(wire.OUTPUT), u(1), wire.text("hi\n")]),
        wire.array([u(wire.EXCEPTION), u(0), wire.NIL, wire.FALSE]),
        wire.array([u(wire.UNWIND)]),
        wire.array([u(wire.WARNING), wire.text("tracer-replaced"), wire.text("gap")]),
        wire.array([u(wire.SYNC), u(1)]),
        wire.array([u(wire.DROPPED), u(3), u(4)]),
        wire.array([u(wire.END), wire.integer(1), wire.NIL]),
    ]
    decoded = [
        [0, wire.VERSION, {"argv": ["prog.py"], "pid": 7}], [5, 1, "MainThread"],
        [2, 0, "/src/prog.py", "x = 1\n"], [4, 0, "x"], [4, 1, "__main__"],
        [3, 0, 0, "<module>", "<module>", 1, 1], [7, 1, 0], 1, [7, 2, 0, 0, [19, 0]], [9, None], [8, 2, 0, 1], [17, 1, 0, 2], [14, 1, "hi\n"], [13, 0, None, False], [10],
        [15, "tracer-replaced", "gap"], [16, 1], [18, 3, 4], [1, 1, None],
    ]
    return {"hex": b"".join(ev).hex(), "events": decoded}


def main():
    import sys as _sys
    ns_sys = _sys  # `sys` in VALUES refers to this module's global
    assert ns_sys
    files = {"values.json": value_vectors(), "events.json": event_vectors(), "patches.json": patch_vectors()}
    changed = []
    for name, data in files.items():
        path = os.path.join(HERE, name)
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            changed.append(name)
            if "--write" in _sys.argv:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    if changed and "--write" not in _sys.argv:
        print("golden vectors differ from the encoder: %s (run with --write after a deliberate "
              "format change, and bump wire.VERSION if old readers would misread)" % ", ".join(changed))
        _sys.exit(1)


if __name__ == "__main__":
    main()
