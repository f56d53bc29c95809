"""The generator (or coroutine, or async generator) that runs a frame, for the pure-Python agent.

A generator freed while suspended may run no code as it goes (3.12+ closes one at a yield
outside any `try` without running it; a close that happens while the agent itself runs is not
traced): the agent learns of it through a weak reference to the generator, taken at its first
yield. Python has no way from a frame to its generator before 3.14 (`frame.f_generator`); the
frame object's C struct has one, a pointer to the generator (3.9, 3.10: `f_gen`) or into it
(3.11+: `f_frame`, the interpreter frame the generator holds). Which word of the struct, and
where in the generator it points, is found once, on generators made here for the purpose, and
used only where every one of them agrees. The C accelerator asks the interpreter directly.
"""

import sys
import types

_TYPES = (types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)
GEN_FLAGS = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
_FRAME_ATTR = {types.GeneratorType: "gi_frame", types.CoroutineType: "cr_frame",
               types.AsyncGeneratorType: "ag_frame"}


def _samples():
    """Suspended generators of each kind, each of other code."""
    def plain(a):
        b = a
        yield b

    class Await:
        def __await__(self):
            yield

    async def coroutine():
        await Await()

    async def agen():
        yield 1

    g = plain(1)
    next(g)
    e = (x for x in "ab")
    next(e)
    c = coroutine()
    c.send(None)  # suspended in Await's yield: c's own frame waits on it
    a = agen()
    try:
        a.asend(None).send(None)
    except StopIteration:
        pass
    return [g, e, c, a]


def _calibrate():
    """generator_of, or None where the frame's struct does not show it the same way for all."""
    f_generator = getattr(types.FrameType, "f_generator", None)
    if f_generator is not None:
        return lambda frame: frame.f_generator
    try:
        import ctypes
    except ImportError:
        return None
    word = ctypes.c_void_p.from_address
    found = None
    samples = _samples()
    try:
        for gen in samples:
            frame = getattr(gen, _FRAME_ATTR[type(gen)])
            top = min(sys.getsizeof(frame), 128)
            hits = set()
            for offset in range(2 * ctypes.sizeof(ctypes.c_void_p), top, ctypes.sizeof(ctypes.c_void_p)):
                inside = (word(id(frame) + offset).value or 0) - id(gen)
                if 0 <= inside < sys.getsizeof(gen):
                    hits.add((offset, inside))
            found = hits if found is None else found & hits
    finally:
        for gen in samples:
            if type(gen) is types.AsyncGeneratorType:
                gen.aclose().close()
            else:
                gen.close()
    if found is None or len(found) != 1:
        return None
    (offset, inside), = found
    cast, py_object = ctypes.cast, ctypes.py_object

    def generator_of(frame):
        if not frame.f_code.co_flags & GEN_FLAGS:
            return None  # no generator: the word is not a pointer to one (3.11+: nor into one)
        at = word(id(frame) + offset).value
        if not at:
            return None
        gen = cast(at - inside, py_object).value
        return gen if type(gen) in _TYPES and getattr(gen, _FRAME_ATTR[type(gen)]) is frame else None

    return generator_of


_finder = False  # not looked for yet


def generator_of(frame):
    """The generator, coroutine or async generator running `frame`, while it runs, or None
    where there is none or that cannot be known."""
    global _finder
    if _finder is False:
        try:
            _finder = _calibrate()
        except Exception:
            _finder = None
    return _finder(frame) if _finder is not None else None
