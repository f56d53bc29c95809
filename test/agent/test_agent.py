"""Unit tests of the agent (standard library only; run on every interpreter under test):

    python3 -m unittest discover -s test/agent
"""
import json
import os
import random
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "agent"))

from rewind_agent import wire  # noqa: E402
from rewind_agent.core import Recorder, Config, SECRET_PATTERNS  # noqa: E402
from rewind_agent.scope import Scope  # noqa: E402
from rewind_agent.static import LineInfo  # noqa: E402
from rewind_agent.values import Serializer  # noqa: E402


def decode(data):
    """A tiny msgpack reader for the subset the agent writes (enough to check structure)."""
    import struct
    pos = 0

    def read():
        nonlocal pos
        b = data[pos]
        pos += 1
        if b <= 0x7F:
            return b
        if b >= 0xE0:
            return b - 256
        if 0x90 <= b <= 0x9F:
            return [read() for _ in range(b & 0x0F)]
        if 0xA0 <= b <= 0xBF:
            n = b & 0x1F
            s = data[pos:pos + n].decode()
            pos += n
            return s
        fmt = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h",
               0xD2: ">i", 0xD3: ">q"}
        if b in fmt:
            size = struct.calcsize(fmt[b])
            v = struct.unpack(fmt[b], data[pos:pos + size])[0]
            pos += size
            return v
        if b == 0xC0:
            return None
        if b in (0xC2, 0xC3):
            return b == 0xC3
        if b == 0xD7:
            v = struct.unpack(">d", data[pos + 1:pos + 9])[0]
            pos += 9
            return v
        if b == 0xDC:
            n = struct.unpack(">H", data[pos:pos + 2])[0]
            pos += 2
            return [read() for _ in range(n)]
        if b in (0xD9, 0xC4):
            n = data[pos]
            pos += 1
            raw = data[pos:pos + n]
            pos += n
            return raw.decode() if b == 0xD9 else raw
        if b == 0xDA:
            n = struct.unpack(">H", data[pos:pos + 2])[0]
            pos += 2
            s = data[pos:pos + n].decode()
            pos += n
            return s
        raise ValueError("byte %x not handled by the test reader" % b)

    return read()


def serializer(**bounds):
    names = []

    def name_id(s):
        if s not in names:
            names.append(s)
        return names.index(s)

    secret = lambda n: any(p in n.lower() for p in SECRET_PATTERNS)  # noqa: E731
    return Serializer(name_id, secret, **bounds), names


class GoldenVectors(unittest.TestCase):
    def test_encoder_still_writes_the_golden_vectors(self):
        r = subprocess.run([sys.executable, os.path.join(ROOT, "agent/vectors/make_vectors.py")],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Bounds(unittest.TestCase):
    def test_depth_items_and_string_bounds_are_configurable_and_marked(self):
        s, names = serializer(max_depth=2, max_items=3, max_string=5)
        self.assertEqual(decode(s.encode([[[1]]])), [wire.T_LIST, 1, [wire.T_LIST, 1,
                                                                    [wire.T_DEEP, 0, 1]]])
        self.assertEqual(names, ["list"])
        self.assertEqual(decode(s.encode(list(range(10)))), [wire.T_LIST, 10, 0, 1, 2])
        self.assertEqual(decode(s.encode("abcdefgh")), [wire.T_STR, 8, "abcde"])
        self.assertEqual(decode(s.encode({i: i for i in range(5)})), [wire.T_DICT, 5, 0, 0, 1, 1, 2, 2])

    def test_defaults_are_at_least_depth_3_items_100_chars_1000(self):
        s, _ = serializer()
        self.assertEqual(len(decode(s.encode(list(range(100))))), 102)
        self.assertEqual(decode(s.encode("x" * 1000)), "x" * 1000)
        self.assertEqual(decode(s.encode([[[0]]]))[2][2][2], 0)

    def test_cycles_and_shared_values(self):
        s, _ = serializer()
        d = {}
        d["self"] = d
        self.assertEqual(decode(s.encode(d)), [wire.T_DICT, 1, "self", [wire.T_CYCLE, 1]])
        shared = [1]
        self.assertEqual(decode(s.encode([shared, shared])),
                         [wire.T_LIST, 2, [wire.T_LIST, 1, 1], [wire.T_LIST, 1, 1]])

    def test_big_ints_and_floats_are_exact(self):
        s, _ = serializer()
        self.assertEqual(decode(s.encode(2 ** 100)), [wire.T_BIGINT, str(2 ** 100)])
        self.assertEqual(decode(s.encode(0.1)), 0.1)
        self.assertEqual(s.encode(-0.0), b"\xd7\x01\x80" + b"\x00" * 7)


class NoUserCode(unittest.TestCase):
    def test_user_dunders_and_properties_are_never_called(self):
        called = []

        class Trap:
            __slots__ = ("a", "__dict__")

            def __repr__(self):
                called.append("repr")

            def __eq__(self, o):
                called.append("eq")

            def __hash__(self):
                called.append("hash")

            def __getattr__(self, n):
                called.append("getattr")

            def __getattribute__(self, n):
                called.append("getattribute " + n)
                return object.__getattribute__(self, n)

            def __len__(self):
                called.append("len")

            @property
            def p(self):
                called.append("property")

        t = Trap()
        object.__setattr__(t, "a", 1)
        object.__getattribute__(t, "__dict__")["b"] = [t]
        called.clear()
        s, names = serializer()
        out = decode(s.encode(t))
        self.assertEqual(called, [])
        self.assertEqual(out[0], wire.T_OBJECT)
        self.assertEqual(out[2], 2)

    def test_a_value_that_cannot_be_read_becomes_an_error_marker(self):
        class Meta(type):
            @property
            def __mro__(cls):
                raise RuntimeError("no")

        s, _ = serializer()
        self.assertIn(decode(s.encode(Meta("X", (), {})()))[0], (wire.T_OBJECT, wire.T_ERROR))


class Secrets(unittest.TestCase):
    def test_the_shared_cases_names_keys_and_sources(self):
        # test/golden/secret-names.json: the TypeScript side is tested against the same cases
        import json
        from rewind_agent.secret_names import DEFAULT_SECRET_NAMES, redact_source
        with open(os.path.join(ROOT, "test", "golden", "secret-names.json")) as f:
            golden = json.load(f)
        self.assertEqual(list(DEFAULT_SECRET_NAMES), golden["defaults"])
        rec = Recorder(_NullWriter(), Config(), Scope())
        for name, secret in golden["names"].items():
            self.assertEqual(rec.secret(name), secret, name)
        for key, secret in golden["keys"].items():
            self.assertEqual(rec.secret_key(key), secret, key)
        for before, after in golden["sources"]:
            self.assertEqual(redact_source(before, rec.secret, rec.secret_key), after)

    def test_no_default_secrets_and_patterns_of_ones_own(self):
        rec = Recorder(_NullWriter(), Config(secrets=["launch_code"]), Scope())
        self.assertTrue(rec.secret("LAUNCH_CODE") and rec.secret("launchCode"))
        self.assertFalse(rec.secret("password"))

    def test_names_match_case_insensitively_as_words(self):
        rec = Recorder(_NullWriter(), Config(), Scope())
        for name in ("password", "DB_PASSWORD", "github_token", "apiKey", "private_key_pem",
                     "AUTHORIZATION", "user_credentials", "client_secret", "passwd"):
            self.assertTrue(rec.secret(name), name)
        for name in ("user", "count", "passage"):
            self.assertFalse(rec.secret(name), name)

    def test_what_is_remembered_stays_bounded(self):
        # dict keys are any strings: a program that makes new ones forever must not grow the agent
        rec = Recorder(_NullWriter(), Config(), Scope())
        for i in range(20000):
            rec.secret("key%d" % i)
        self.assertLessEqual(len(rec._secret_cache), 4096)
        self.assertTrue(rec.secret("my_token") and not rec.secret("key1"))

    def test_secret_attributes_and_keys_are_redacted_in_structures(self):
        s, _ = serializer()

        class Conn:
            pass

        c = Conn()
        c.api_key = "k"
        c.host = "h"
        out = decode(s.encode({"token": "t", "c": c}))
        self.assertEqual(out[3], [wire.T_REDACTED])
        self.assertEqual(out[5][4], [wire.T_REDACTED])


class Environment(unittest.TestCase):
    def test_names_always_values_only_where_allowed_and_undecodable_bytes_survive(self):
        from unittest import mock
        from rewind_agent.runner import environment
        env = {"HOME": "/home/ada", "API_TOKEN": "t0k", "ODD": "caf\udce9"}
        with mock.patch.dict(os.environ, env, clear=True):
            self.assertEqual(environment([]), {"API_TOKEN": None, "HOME": None, "ODD": None})
            got = environment(["HO*", "ODD"])
        self.assertEqual(got["HOME"], "/home/ada")
        self.assertEqual(got["ODD"], "caf\ufffd")
        self.assertIsNone(got["API_TOKEN"])
        wire.plain(got)  # encodable as it is


class ScopeRules(unittest.TestCase):
    def test_default_scope(self):
        sc = Scope()
        self.assertFalse(sc.wants(os.__file__))
        self.assertFalse(sc.wants("/venv/lib/python3.11/site-packages/pkg/mod.py"))
        self.assertFalse(sc.wants("<frozen importlib._bootstrap>"))
        self.assertFalse(sc.wants(wire.__file__))
        self.assertTrue(sc.wants("/home/ann/project/app.py"))

    def test_include_and_exclude_globs(self):
        sc = Scope(include=["*/json/*"], exclude=["*/vendor/*", "*/json/tool.py"])
        self.assertTrue(sc.wants(os.path.join(os.path.dirname(os.__file__), "json", "decoder.py")))
        self.assertFalse(sc.wants(os.path.join(os.path.dirname(os.__file__), "json", "tool.py")))
        self.assertFalse(sc.wants("/home/ann/project/vendor/lib.py"))


class Static(unittest.TestCase):
    def test_stores_and_calls_per_line(self):
        def f(items):
            x = 1
            y = x + 2
            items.append(y)
            items[0] = x
            return y

        info = LineInfo(f.__code__)
        first = f.__code__.co_firstlineno
        self.assertEqual(info.stores.get(first + 1), ("x",))
        self.assertEqual(info.stores.get(first + 2), ("y",))
        self.assertNotIn(first + 2, info.calls)
        self.assertIn(first + 3, info.calls)
        self.assertIn(first + 4, info.calls)


class _Tables:
    """A writer that keeps what it is given: the table entries an encoder writes."""

    def __init__(self):
        self.written = []

    def write(self, data):
        self.written.append(bytes(data))

    def close(self):
        pass


def _tricky_values():
    """Values for holding the C encoder against values.py: every branch of the serializer."""
    import datetime
    import decimal
    import fractions
    import types

    class Plain:
        pass

    class Slots:
        __slots__ = ("a", "b", "password")

    class Both(Plain):
        __slots__ = ("extra",)

    class MyList(list):
        pass

    class MyDict(dict):
        def __iter__(self):
            raise RuntimeError("never called")

    class MySet(frozenset):
        def __iter__(self):
            raise RuntimeError("never called")

    class MyInt(int):
        pass

    class MyStr(str):
        pass

    class MyByteArray(bytearray):
        pass

    class NoDict:
        @property
        def __dict__(self):
            raise RuntimeError("never called")

    class BadMro(type):
        @property
        def __mro__(cls):
            raise RuntimeError("no")

    p = Plain()
    p.n, p.token, p.items, p.me = 1, "t", [1, (2, 3)], p
    s = Slots()
    s.a, s.password = {"k": [p]}, "pw"
    both = Both()
    both.extra, both.x = [both], 2
    wide = Plain()
    for i in range(130):
        setattr(wide, "a%d" % i, i)
    ml = MyList([1, [2, [3, [4, [5]]]]])
    ml.append(ml)
    ml.tag = "t"
    md = MyDict(a=1, secret=2)
    md["self"] = md
    cyc = {}
    cyc["l"] = [cyc, (cyc,)]
    deep = [[[[[[[[[[[[[[[[[[[[["bottom"]]]]]]]]]]]]]]]]]]]]]
    return [
        None, True, False, 0, -1, 127, 128, -33, 2 ** 63, 2 ** 64 - 1, 2 ** 64, -(2 ** 63) - 1,
        10 ** 50, 1.5, -0.0, float("nan"), "plain", "x" * 1200, "é", "a\x00", "\ud800",
        "漢" * 1200, b"", b"\xff" * 1200, bytearray(b"ab"), bytearray(3000), [], (), {}, set(),
        frozenset(), {1, 2, 3}, frozenset({"a"}), {(1, 2): "t", None: 0, 1.5: [2 ** 70, "é"]},
        list(range(150)), {i: i for i in range(150)}, set(range(150)), p, s, both, wide, ml, md,
        MySet({1}), MyInt(5), MyStr("s"), MyByteArray(b"z"), NoDict(), BadMro("X", (), {})(),
        cyc, deep, [p, p], Plain, BadMro, len, _tricky_values, p.__init__ if hasattr(p, "__init__") else 0,
        types, (i for i in ()), datetime.date(2024, 1, 2), decimal.Decimal("1.5"),
        fractions.Fraction(1, 3), 1 + 2j, range(3), ..., NotImplemented, _tricky_values.__code__,
        types.SimpleNamespace(api_key="k", nested={"password": 1}),
    ]


def _accelerator(test):
    """The C accelerator's module, or the test skipped, saying why."""
    from rewind_agent import accel
    try:
        return accel.load()
    except accel.Unavailable as e:
        test.skipTest("the C accelerator cannot be built here: %s" % e)


class AcceleratedSerializer(unittest.TestCase):
    """The C accelerator's encoder writes the same bytes and tables as values.py."""

    def test_same_bytes_and_tables_as_values_py(self):
        from rewind_agent.core import recorder_class
        mod = _accelerator(self)
        for bounds in ({}, {"max_depth": 1, "max_items": 2, "max_string": 5},
                       {"max_depth": 25, "max_items": 1000, "max_string": 10000}):
            pure_w, fast_w = _Tables(), _Tables()
            pure = Recorder(pure_w, Config(**bounds), Scope())
            fast = recorder_class(mod)(fast_w, Config(**bounds), Scope())
            for i, v in enumerate(_tricky_values() + _tricky_values()):
                self.assertEqual(fast._c_encode(v), pure.values.encode(v), (bounds, i, type(v)))
                self.assertEqual(fast_w.written, pure_w.written, (bounds, i, type(v)))


class AcceleratedPatches(unittest.TestCase):
    """The accelerator sends a function's local changed in place as wire.patch would."""

    def test_the_golden_patch_vectors(self):
        mod = _accelerator(self)
        with open(os.path.join(ROOT, "agent/vectors/patches.json"), encoding="utf-8") as f:
            vectors = json.load(f)
        for v in vectors:
            base, new = bytes.fromhex(v["base_hex"]), bytes.fromhex(v["new_hex"])
            self.assertEqual(mod.patch(base, new).hex(), v["sent_hex"], v["new"])

    def test_random_changes_as_wire_patch(self):
        mod = _accelerator(self)
        rnd = random.Random(7)
        for _ in range(3000):
            base = bytes(rnd.choice(b"ab\x00") for _ in range(rnd.randint(0, 400)))
            new = bytearray(base)
            for _ in range(rnd.randint(0, 5)):
                at = rnd.randint(0, len(new))
                op = rnd.randint(0, 2)
                if op == 0:
                    new[at:at] = bytes(rnd.choice(b"abc") for _ in range(rnd.randint(0, 9)))
                elif op == 1:
                    del new[at:at + rnd.randint(0, 9)]
                elif new:
                    new[min(at, len(new) - 1)] = 0xFF
            self.assertEqual(mod.patch(base, bytes(new)), wire.patch(base, bytes(new)), (base, new))


class _NullWriter:
    def write(self, data):
        pass

    def close(self):
        pass


if __name__ == "__main__":
    unittest.main()
