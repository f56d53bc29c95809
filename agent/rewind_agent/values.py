"""Structural serialization of Python values into the wire format, within bounds.

Never runs user code: no __repr__, __eq__, __hash__, __iter__, properties or __getattr__ of a
user type is called. Containers are walked with the base type's own C methods, user objects are
read through the C descriptors of __dict__ and __slots__. Whatever a bound cuts is marked.
"""

import sys
import types

from . import wire
from .wire import (
    T_BIGINT, T_LIST, T_TUPLE, T_SET, T_FROZENSET, T_DICT, T_STR, T_BYTES, T_BYTEARRAY,
    T_OBJECT, T_DEEP, T_CYCLE, T_REDACTED, T_OPAQUE, T_REPR, T_ERROR, T_SUBCLASS,
)

_type_mro = type.__dict__["__mro__"].__get__
_type_qualname = type.__dict__["__qualname__"].__get__
_type_module = type.__dict__["__module__"].__get__
_object_dict_getter = type(type.__dict__["__dict__"])  # getset_descriptor
_member_descriptor = types.MemberDescriptorType

# Values identified by identity alone: immutable, or shown as an opaque label.
ATOMS = frozenset([
    type(None), bool, int, float, complex, str, bytes, range,
    types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType,
    type, types.CodeType, type(Ellipsis), type(NotImplemented),
])

_BUILTIN_BASES = (list, tuple, dict, set, frozenset, str, bytes, bytearray, int, float)

# Types always shown as an opaque label (with a name where they have one).
_OPAQUE_TYPES = frozenset([
    types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType,
    types.CodeType, types.FrameType, types.GeneratorType, types.CoroutineType,
    types.AsyncGeneratorType, types.TracebackType, type(Ellipsis), type(NotImplemented),
])

_UNKNOWN = object()

_CONTAINER_TAG = {list: T_LIST, tuple: T_TUPLE, set: T_SET, frozenset: T_FROZENSET}


def type_name(t):
    """'int' for builtins, 'module.Qualname' otherwise; read without calling user code."""
    try:
        mod = _type_module(t)
        qual = _type_qualname(t)
    except Exception:
        return "?"
    if mod == "builtins" or not isinstance(mod, str):
        return qual
    return mod + "." + qual


def _agents(t):
    """A type of the agent's own (the recorder, which sys.gettrace() hands the program): shown
    as an opaque label, never walked."""
    try:
        mod = _type_module(t)
    except Exception:
        return False
    return isinstance(mod, str) and mod.split(".", 1)[0] == __name__.split(".", 1)[0]


class _TypeInfo:
    """What the serializer needs to know about a user type, computed once per type."""

    __slots__ = ("name_id", "dict_get", "slots", "base")

    def __init__(self, t, name_id):
        self.name_id = name_id
        self.dict_get = None
        self.slots = []
        self.base = None
        try:
            mro = _type_mro(t)
        except Exception:
            mro = (t, object)
        seen = set()
        for klass in mro:
            ns = klass.__dict__  # mappingproxy of a class: C, safe
            d = ns.get("__dict__")
            if self.dict_get is None and type(d) is _object_dict_getter:
                self.dict_get = d.__get__
            for name, attr in ns.items():
                if type(attr) is _member_descriptor and name not in seen:
                    seen.add(name)
                    self.slots.append((name, attr.__get__))
            if self.base is None and klass in _BUILTIN_BASES:
                self.base = klass


class Serializer:
    """Encodes values to wire bytes. `name_id(str) -> int` interns type and attribute names;
    `secret(name) -> bool` says which attribute names are redacted, `secret_key(key) -> bool`
    which string dict keys (secret_names.py)."""

    def __init__(self, name_id, secret, max_depth=3, max_items=100, max_string=1000, secret_key=None):
        self.name_id = name_id
        self.secret = secret
        self.secret_key = secret_key or secret
        self.max_depth = max_depth
        self.max_items = max_items
        self.max_string = max_string
        self._types = {}
        self._path = {}  # id -> depth, for containers being encoded (cycle detection)
        self._safe_repr = self._safe_repr_types()
        d = {
            type(None): lambda v, depth: wire.NIL,
            bool: lambda v, depth: wire.TRUE if v else wire.FALSE,
            int: self._int,
            float: lambda v, depth: wire.double(v),
            str: self._str,
            bytes: self._bytes,
            bytearray: self._bytearray,
            list: self._seq,
            tuple: self._seq,
            set: self._seq,
            frozenset: self._seq,
            dict: self._dict,
        }
        self._dispatch = d

    @staticmethod
    def _safe_repr_types():
        """Exact types whose repr is computed by CPython or the standard library from plain
        data, so calling it cannot run user code. Looked up in sys.modules, never imported."""
        found = {complex, range}
        for mod, names in (("datetime", ("date", "datetime", "time", "timedelta", "timezone")),
                           ("decimal", ("Decimal",)), ("fractions", ("Fraction",)),
                           ("uuid", ("UUID",)), ("pathlib", ("PosixPath", "WindowsPath",
                                                             "PurePosixPath", "PureWindowsPath"))):
            m = sys.modules.get(mod)
            for n in names:
                t = getattr(m, n, None) if m is not None else None
                if isinstance(t, type):
                    found.add(t)
        return found

    def forget_types(self):
        """The program is over: let go of its types, which hold their modules' globals."""
        self._types.clear()

    def encode(self, v):
        try:
            return self._value(v, 0)
        except Exception:  # RecursionError included
            self._path.clear()
            return self._error(v)

    def _error(self, v):
        return wire.array([wire.uint(T_ERROR), wire.uint(self.type_id(type(v)))])

    def _value(self, v, depth):
        t = type(v)
        f = self._dispatch.get(t)
        if f is not None:
            return f(v, depth)
        return self._other(v, t, depth)

    # -- builtins -----------------------------------------------------------------------------
    def _int(self, v, depth):
        if wire.INT64_MIN <= v <= wire.UINT64_MAX:
            return wire.integer(v)
        # int.__repr__ on an exact int is C code; huge ints may exceed the str-digits limit.
        try:
            digits = int.__repr__(v)
        except ValueError:
            return wire.array([wire.uint(T_REPR), wire.uint(self.name_id("int")),
                               wire.text("<int with %d bits>" % v.bit_length())])
        return wire.array([wire.uint(T_BIGINT), wire.text(digits)])

    def _str(self, v, depth):
        n = len(v)
        cut = n > self.max_string
        s = v[: self.max_string] if cut else v
        try:
            enc = wire.text(s)
        except UnicodeEncodeError:  # lone surrogates (repr escapes them): Python's own repr
            return wire.array([wire.uint(T_REPR), wire.uint(self.name_id("str")),
                               wire.text(str.__repr__(s))])
        # Which non-ASCII characters repr() escapes depends on the interpreter's Unicode
        # version, so a string holding any of them carries Python's own repr.
        if not s.isascii() and not s.isprintable():
            return wire.array([wire.uint(T_STR), wire.uint(n), enc, wire.text(str.__repr__(s))])
        if cut:
            return wire.array([wire.uint(T_STR), wire.uint(n), enc])
        return enc

    def _bytes(self, v, depth):
        n = len(v)
        if n > self.max_string:
            return wire.array([wire.uint(T_BYTES), wire.uint(n), wire.binary(v[: self.max_string])])
        return wire.binary(v)

    def _bytearray(self, v, depth):
        n = len(v)
        return wire.array([wire.uint(T_BYTEARRAY), wire.uint(n),
                           wire.binary(bytes(v[: self.max_string]))])

    def _enter(self, v, depth):
        """Cycle check. Returns the encoded back-reference, or None after marking v as open."""
        up = self._path.get(id(v))
        if up is not None:
            return wire.array([wire.uint(T_CYCLE), wire.uint(depth - up)])
        self._path[id(v)] = depth
        return None

    def _deep(self, v, t, n):
        return wire.array([wire.uint(T_DEEP), wire.uint(self.type_id(t)),
                           wire.NIL if n is None else wire.uint(n)])

    def _seq(self, v, depth):
        t = type(v)
        if depth >= self.max_depth:
            return self._deep(v, t, t.__len__(v))
        ref = self._enter(v, depth)
        if ref is not None:
            return ref
        try:
            return self._seq_body(v, t, depth)
        finally:
            del self._path[id(v)]

    def _seq_body(self, v, t, depth):
        """A list, tuple, set or frozenset (t: the exact builtin type) of a value already
        entered in the cycle path."""
        out = [wire.uint(_CONTAINER_TAG[t]), wire.uint(t.__len__(v))]
        m = self.max_items
        d = depth + 1
        value = self._value
        for i, item in enumerate(t.__iter__(v)):
            if i >= m:
                break
            out.append(value(item, d))
        return wire.array(out)

    def _dict(self, v, depth):
        if depth >= self.max_depth:
            return self._deep(v, type(v), dict.__len__(v))
        ref = self._enter(v, depth)
        if ref is not None:
            return ref
        try:
            return self._dict_body(v, depth)
        finally:
            del self._path[id(v)]

    def _dict_body(self, v, depth):
        out = [wire.uint(T_DICT), wire.uint(dict.__len__(v))]
        m = self.max_items
        d = depth + 1
        value = self._value
        secret = self.secret_key
        for i, (k, item) in enumerate(dict.items(v)):
            if i >= m:
                break
            out.append(value(k, d))
            out.append(_REDACTED if type(k) is str and secret(k) else value(item, d))
        return wire.array(out)

    # -- everything else ----------------------------------------------------------------------
    def type_id(self, t):
        """The name id of a type's name (tables are written on first use)."""
        return self.name_id(type_name(t))

    def type_info(self, t):
        """How values of a type without an encoder of its own are encoded, decided once per
        type: None for a leaf (a safe repr or an opaque label), else its _TypeInfo."""
        if t in self._safe_repr or t in _OPAQUE_TYPES or issubclass(t, type) or _agents(t):
            return None
        return _TypeInfo(t, self.type_id(t))

    def _other(self, v, t, depth):
        info = self._types.get(t, _UNKNOWN)
        if info is _UNKNOWN:
            info = self._types[t] = self.type_info(t)
        if info is None:
            return self._leaf(v, t)
        if depth >= self.max_depth:
            return self._deep(v, t, None)
        ref = self._enter(v, depth)
        if ref is not None:
            return ref
        try:
            return self._object(v, info, depth)
        finally:
            del self._path[id(v)]

    def _leaf(self, v, t):
        """A value of a type whose type_info is None."""
        if t in self._safe_repr:
            return wire.array([wire.uint(T_REPR), wire.uint(self.type_id(t)),
                               wire.text(t.__repr__(v))])
        if t is types.FunctionType or t is types.BuiltinFunctionType:
            return self._opaque(t, _safe_str(v.__qualname__))
        if t is types.MethodType:
            f = v.__func__
            return self._opaque(t, _safe_str(f.__qualname__) if type(f) is types.FunctionType
                                else "")
        if t is types.ModuleType:
            return self._opaque(t, _safe_str(v.__dict__.get("__name__")))
        if issubclass(t, type):
            return self._opaque(type, type_name(v))
        return self._opaque(t, "")

    # How the C accelerator may encode a leaf type's values without calling _leaf: the kinds of
    # label _leaf reads (see _accel_values.c), or a constant encoding.
    LEAF_PYTHON, LEAF_CONSTANT, LEAF_FUNCTION, LEAF_BUILTIN, LEAF_METHOD, LEAF_MODULE, LEAF_TYPE = range(7)

    def leaf_kind(self, t):
        """(kind, constant encoding or None) for a type whose type_info is None."""
        if t in self._safe_repr:
            return self.LEAF_PYTHON, None
        kind = {types.FunctionType: self.LEAF_FUNCTION, types.BuiltinFunctionType: self.LEAF_BUILTIN,
                types.MethodType: self.LEAF_METHOD, types.ModuleType: self.LEAF_MODULE}.get(t)
        if kind is not None:
            return kind, None
        if issubclass(t, type):
            return self.LEAF_TYPE, None
        return self.LEAF_CONSTANT, self._opaque(t, "")

    def _opaque(self, t, label):
        return wire.array([wire.uint(T_OPAQUE), wire.uint(self.type_id(t)),
                           wire.text(label or "")])

    def _object(self, v, info, depth):
        d = depth + 1
        attrs = []
        secret = self.secret
        if info.dict_get is not None:
            try:
                ns = info.dict_get(v)
            except Exception:
                ns = None
            if type(ns) is dict:
                for k, item in dict.items(ns):
                    if type(k) is not str:
                        continue
                    attrs.append(wire.uint(self.name_id(k)))
                    attrs.append(_REDACTED if secret(k) else self._value(item, d))
        for name, get in info.slots:
            try:
                item = get(v)
            except Exception:  # unset slot
                continue
            attrs.append(wire.uint(self.name_id(name)))
            attrs.append(_REDACTED if secret(name) else self._value(item, d))
        count = len(attrs) // 2
        if count > self.max_items:
            attrs = attrs[: 2 * self.max_items]
        head = [wire.uint(T_OBJECT), wire.uint(info.name_id), wire.uint(count)]
        if info.base is not None:
            # An instance of a user subclass of a builtin: its builtin part, then attributes.
            head[0] = wire.uint(T_SUBCLASS)
            head.append(self._builtin_part(v, info.base, depth))
        return wire.array(head + attrs)

    def _builtin_part(self, v, base, depth):
        if base in _CONTAINER_TAG:
            return self._seq_body(v, base, depth)
        if base is dict:
            return self._dict_body(v, depth)
        # The base type's own methods return an exact builtin copy without user code.
        if base is int:
            return self._int(int.__int__(v), depth)
        if base is float:
            return wire.double(float.__float__(v))
        if base is str:
            return self._str(str.__str__(v), depth)
        if base is bytes:
            return self._bytes(bytes.__getitem__(v, slice(None)), depth)
        return self._bytearray(bytearray.__getitem__(v, slice(None)), depth)


_REDACTED = wire.array([wire.uint(T_REDACTED)])
REDACTED = _REDACTED


def _safe_str(s):
    return s if type(s) is str else ""
