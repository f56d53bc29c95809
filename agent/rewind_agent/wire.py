"""The wire format's Python side: event kinds, value tags and a small msgpack writer.

agent/PROTOCOL.md is the specification; src/wire/protocol.ts is the TypeScript side. Both test
against agent/vectors/*.json. Change all three together, and bump VERSION when a reader of the
old format could misread the new one.
"""

import struct
from itertools import repeat

VERSION = 3  # 2: a LINE event may give a function's local as a patch (T_PATCH); 3: a CALL's
# argument may be the caller's local (T_CALLER)
MAGIC = b"REWINDRAW\x00\x00\x02"  # 12 bytes at the start of a raw stream file (framing 2: a stage)

# Event kinds: the first element of every event array. A bare integer is a LINE event.
HELLO = 0
END = 1
FILE = 2
CODE = 3
NAME = 4
THREAD = 5
THREAD_END = 6
CALL = 7
LINE = 8
RETURN = 9
UNWIND = 10
YIELD = 11
RESUME = 12
EXCEPTION = 13
OUTPUT = 14
WARNING = 15
SYNC = 16
GLOBALS = 17
DROPPED = 18

# Value tags: the first element of a value that is an array.
T_BIGINT = 0
T_LIST = 1
T_TUPLE = 2
T_SET = 3
T_FROZENSET = 4
T_DICT = 5
T_STR = 6
T_BYTES = 7
T_BYTEARRAY = 8
T_OBJECT = 9
T_DEEP = 10
T_CYCLE = 11
T_REDACTED = 12
T_OPAQUE = 13
T_REPR = 14
T_UNBOUND = 15
T_ERROR = 16
T_SUBCLASS = 17
# Not a value: a LINE event's change of a function's local, given as a patch of its previous
# encoding (PROTOCOL.md, "Changed locals"; see patch()).
T_PATCH = 18
# Not a value: a CALL's argument that is the calling frame's local of this name, unchanged since
# the caller last gave it (PROTOCOL.md, "Changed locals"; see caller()).
T_CALLER = 19

EXT_FLOAT = 1  # msgpack fixext 8 of this type: a Python float, IEEE 754 big-endian

_pack_f64 = struct.Struct(">BBd").pack
_pack_f64_plain = struct.Struct(">Bd").pack
_pack_b = struct.Struct(">BB").pack
_pack_h = struct.Struct(">BH").pack
_pack_i = struct.Struct(">BI").pack
_pack_q = struct.Struct(">BQ").pack
_pack_sb = struct.Struct(">Bb").pack
_pack_sh = struct.Struct(">Bh").pack
_pack_si = struct.Struct(">Bi").pack
_pack_sq = struct.Struct(">Bq").pack

# Encodings of 0..255. small_ints() extends the list to 0..65535, the range line numbers and
# table ids live in, for the pure agent's hot paths; only an agent that uses it pays the ~5 ms.
_SMALL = [bytes((n,)) for n in range(128)] + [_pack_b(0xCC, n) for n in range(128, 256)]


def small_ints():
    """The encodings of 0..65535, indexed by value (the same list object, grown once)."""
    if len(_SMALL) == 256:
        _SMALL.extend(map(_pack_h, repeat(0xCD), range(256, 65536)))  # map: fastest to build
    return _SMALL


NIL = b"\xc0"
TRUE = b"\xc3"
FALSE = b"\xc2"
UINT64_MAX = (1 << 64) - 1
INT64_MIN = -(1 << 63)


def uint(n):
    """Encode a non-negative int (ids, lines, counts)."""
    if n < 65536:
        try:
            return _SMALL[n]
        except IndexError:  # 256.. until a pure Recorder has grown the table (small_ints)
            return _pack_h(0xCD, n)
    if n <= 0xFFFFFFFF:
        return _pack_i(0xCE, n)
    return _pack_q(0xCF, n)


def integer(n):
    """Encode an int that fits in msgpack (INT64_MIN..UINT64_MAX); callers check the range."""
    if n >= 0:
        return uint(n)
    if n >= -32:
        return bytes((n & 0xFF,))
    if n >= -128:
        return _pack_sb(0xD0, n)
    if n >= -32768:
        return _pack_sh(0xD1, n)
    if n >= -2147483648:
        return _pack_si(0xD2, n)
    return _pack_sq(0xD3, n)


def double(x):
    """A Python float: fixext 8 rather than msgpack's float 64, so a reader keeps 1.0 apart
    from 1."""
    return _pack_f64(0xD7, EXT_FLOAT, x)


def str_header(n):
    if n < 32:
        return bytes((0xA0 | n,))
    if n < 256:
        return _pack_b(0xD9, n)
    if n < 65536:
        return _pack_h(0xDA, n)
    return _pack_i(0xDB, n)


def bin_header(n):
    if n < 256:
        return _pack_b(0xC4, n)
    if n < 65536:
        return _pack_h(0xC5, n)
    return _pack_i(0xC6, n)


def array_header(n):
    if n < 16:
        return bytes((0x90 | n,))
    if n < 65536:
        return _pack_h(0xDC, n)
    return _pack_i(0xDD, n)


def text(s):
    """Encode a str that is valid UTF-8 (no lone surrogates); raises UnicodeEncodeError otherwise."""
    b = s.encode("utf-8")
    return str_header(len(b)) + b


def binary(b):
    return bin_header(len(b)) + bytes(b)


def patch(base, new):
    """`new`, the encoding of a function's local, as a patch of `base`, the encoding it had
    before, when it is PATCH_MIN bytes or more and a patch takes at most half of them; else
    `new` itself. A patch is
    [T_PATCH, len(base), (offset in base, bytes of base cut there, bin of the bytes put there)*],
    its hunks in order. Values changed in place are mostly what they were: a list that grows
    changes its headers near the start and gains bytes at the end. The hunks are found thus:
    keep the common start and end; then, while both middles go on, a run of PATCH_RUN equal
    bytes after at most PATCH_SUB differing ones at the same offset ends a hunk of those; what is
    left of the middles is the last hunk.

    The C accelerator sends its changes so (_accel.c's put_patch, checked against the golden
    vectors this makes); the pure-Python agent, the reference, sends values whole: a reader
    rebuilds the same recording from either."""
    n, bl = len(new), len(base)
    if n < PATCH_MIN:
        return new
    m = min(bl, n)
    i = _common(base, new, 0, 0, m)
    tail = _common_end(base, new, m - i)
    be, ne = bl - tail, n - tail  # where the middles end
    j = i
    hunks = []
    while i < be and j < ne:
        for k in range(1, PATCH_SUB + 1):
            if i + k + PATCH_RUN > be or j + k + PATCH_RUN > ne:
                k = 0
                break
            if base[i + k:i + k + PATCH_RUN] == new[j + k:j + k + PATCH_RUN]:
                break
        else:
            k = 0
        if not k:
            break
        hunks.append(uint(i) + uint(k) + bin_header(k) + new[j:j + k])
        run = _common(base, new, i + k, j + k, min(be - i, ne - j) - k)
        i += k + run
        j += k + run
    if i < be or j < ne:
        hunks.append(uint(i) + uint(be - i) + bin_header(ne - j) + new[j:ne])
    out = array_header(2 + 3 * len(hunks)) + _T_PATCH + uint(bl) + b"".join(hunks)
    return out if 2 * len(out) <= n else new


PATCH_MIN = 128  # smaller values are sent whole: a reader rebuilding them costs more than it saves
PATCH_SUB = 8  # at most this many differing bytes make a hunk of their own (a header, a count)
PATCH_RUN = 4  # if this many equal ones follow at the same offset


def _common(a, b, i, j, limit):
    """How many bytes from a[i] and b[j] on are equal, up to `limit`: the first differing byte
    is the highest set bit of the two read as big numbers, XORed."""
    x = int.from_bytes(a[i:i + limit], "big") ^ int.from_bytes(b[j:j + limit], "big")
    return (limit * 8 - x.bit_length()) // 8


def _common_end(a, b, limit):
    """How many bytes at the ends of a and b are equal, up to `limit`."""
    if not limit:
        return 0
    x = int.from_bytes(a[len(a) - limit:], "little") ^ int.from_bytes(b[len(b) - limit:], "little")
    return (limit * 8 - x.bit_length()) // 8


_T_PATCH = bytes((T_PATCH,))
_T_CALLER = b"\x92" + bytes((T_CALLER,))


def caller(name_id):
    """[T_CALLER, name id], name_id encoded: a CALL's argument that is the caller's local"""
    return _T_CALLER + name_id


def array(items):
    """Encode an array whose items are already encoded."""
    return array_header(len(items)) + b"".join(items)


def plain(obj):
    """Encode plain data (None, bool, int, float, str, bytes, list/tuple, dict of str) -- for
    metadata, never for traced values (those go through values.py)."""
    if obj is None:
        return NIL
    if obj is True:
        return TRUE
    if obj is False:
        return FALSE
    if isinstance(obj, int):
        return integer(obj)
    if isinstance(obj, float):
        return _pack_f64_plain(0xCB, obj)
    if isinstance(obj, str):
        return text(obj)
    if isinstance(obj, (bytes, bytearray)):
        return binary(obj)
    if isinstance(obj, (list, tuple)):
        return array([plain(x) for x in obj])
    if isinstance(obj, dict):
        n = len(obj)
        head = bytes((0x80 | n,)) if n < 16 else _pack_h(0xDE, n)
        return head + b"".join(text(k) + plain(v) for k, v in obj.items())
    raise TypeError("not plain data: %r" % type(obj))
