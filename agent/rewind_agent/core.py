"""The recorder core shared by both back ends: tables, frames, change detection, emission.

A back end (backend_settrace.py, backend_monitoring.py) turns interpreter callbacks into calls
of the `on_*` methods here; everything it records goes through this module, which is why both
back ends produce the same stream. Nothing here may raise into the traced program: back ends
wrap their callbacks, and `fail()` turns recording off on an internal error.
"""

import dis
import math
import os
import sys
import _thread
import weakref
from types import CodeType as _CodeType

from . import wire
from .generators import GEN_FLAGS as _GEN_FLAGS, generator_of
from .static import ANYTHING, GLOBALS as _TOUCHES_GLOBALS, LineInfo
from .secret_names import DEFAULT_SECRET_NAMES, compile_patterns, is_secret, redact_source
from .values import ATOMS, REDACTED, Serializer, type_name
from .wire import (CALL, CODE, DROPPED, END, EXCEPTION, FILE, GLOBALS, LINE, NAME, OUTPUT, RESUME,
                   RETURN, SYNC, THREAD, THREAD_END, UNWIND, WARNING, YIELD, T_UNBOUND)

_YIELD_VALUE = dis.opmap["YIELD_VALUE"]
_MISSING = object()
# REWIND_AGENT_WHOLE_ARGS (tests): every CALL's arguments whole, never as the caller's locals
_CALLER_REFS = not os.environ.get("REWIND_AGENT_WHOLE_ARGS")
_HEADS = [wire.array_header(n) for n in range(16)]
_LINE_KIND = wire.uint(LINE)
_SECRET_CACHE = 4096  # names and dict keys whose secrecy is remembered
_SMALL = wire._SMALL  # encodings of 0..65535 once a pure Recorder exists
_f64 = wire._pack_f64
_CALL_KIND = wire.uint(CALL)
_RETURN_HEAD = wire.array_header(2) + wire.uint(RETURN)
_YIELD_HEAD = wire.array_header(2) + wire.uint(YIELD)
_RETURN_OUT = wire.array_header(3) + wire.uint(RETURN)  # value, then true: see PROTOCOL.md
_YIELD_OUT = wire.array_header(3) + wire.uint(YIELD)
_UNWIND_EVENT = wire.array([wire.uint(UNWIND)])
_UNWIND_OUT = wire.array([wire.uint(UNWIND), wire.TRUE])
_UNBOUND = wire.array([wire.uint(T_UNBOUND)])
_copysign = math.copysign
_get_ident = _thread.get_ident
_MAIN_THREAD = _thread.get_ident()  # the agent starts on the main thread
_exc_info = sys.exc_info
_EQ_TYPES = frozenset([int, str, bytes, bool, type(None)])
_FUNCTION_FLAG = 0x02  # CO_NEWLOCALS: a function body, as opposed to a module or class body
_ModuleType = type(sys)

_COMPREHENSIONS = frozenset(("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"))

SECRET_PATTERNS = DEFAULT_SECRET_NAMES


class Config:
    def __init__(self, include=(), exclude=(), max_depth=3, max_items=100, max_string=1000,
                 secrets=SECRET_PATTERNS):
        self.include = list(include)
        self.exclude = list(exclude)
        self.max_depth = max_depth
        self.max_items = max_items
        self.max_string = max_string
        self.secrets = list(secrets)


class CodeInfo:
    """Per code object: its id in the stream and what its lines can change."""

    __slots__ = ("id", "id_enc", "code", "lines", "function", "cells", "frees", "generator",
                 "args")

    def __init__(self, cid, code):
        self.id = cid
        self.code = code
        self.lines = None  # LineInfo, computed at the first line event
        self.function = bool(code.co_flags & _FUNCTION_FLAG)
        self.cells = code.co_cellvars + code.co_freevars
        self.frees = code.co_freevars if self.function else ()  # shown from a closure's first line
        self.generator = bool(code.co_flags & _GEN_FLAGS)
        self.id_enc = wire.uint(cid)
        flags = code.co_flags
        nargs = code.co_argcount + code.co_kwonlyargcount
        nargs += bool(flags & 0x04) + bool(flags & 0x08)  # *args, **kwargs
        self.args = code.co_varnames[:nargs] if self.function else ()  # names a CALL reports


class FrameState:
    """What the recorder remembers about one live (or suspended) frame."""

    __slots__ = ("id", "key", "info", "snap", "enc", "prev", "exc", "suspended", "raised", "fresh",
                 "region", "watch")

    def __init__(self, fid, key, info):
        self.id = fid
        self.key = key  # id() of the frame object
        self.info = info
        self.snap = {}  # name -> last seen object
        # name -> last encoding, for the values that can change in place: its keys are those
        # names, in the order they became so (a dict, not a set: the order of a frame's reports
        # must not depend on string hashes, and the C accelerator keeps the same order)
        self.enc = {}
        self.prev = None  # line of this frame's previous line event
        self.exc = 0  # id() of the exception this frame is handling or unwinding with
        self.suspended = False
        self.raised = False  # settrace: an exception event came after the last line event
        self.fresh = True  # no line event yet
        self.region = None  # (start, end) offsets if the last line event was a loop back-jump
        self.watch = None  # a generator's: a _Watch on it, from its first yield


class _Watch(weakref.ref):
    """A weak reference to a suspended generator (or coroutine) whose frame is recorded: its
    callback queues it when the generator is freed."""

    __slots__ = ("fid", "key")


class Namespace:
    """A module's globals as the recording has shown them. The frame state of the module's body
    shares `snap` and `enc` (its locals are these globals), so a change a function made and
    reported (GLOBALS) is not reported again by the module body."""

    __slots__ = ("globals", "module", "snap", "enc")

    def __init__(self, g, module):
        self.globals = g  # held: the module's dict lives as long as the module anyway
        self.module = module  # its name's id
        self.snap = {}
        self.enc = {}


class Recorder:
    _CodeInfo = CodeInfo  # the accelerated recorder's has a C layout
    pure = True  # its own hot paths run (the accelerated recorder's are C's)

    def __init__(self, writer, config, scope):
        self.w = writer
        self.config = config
        self.scope = scope
        self.lock = _thread.allocate_lock()
        self.enabled = True
        self.failure = None  # what stopped recording early, if anything did
        self._files = {}  # co_filename -> file id, or None when out of scope
        # id() of a code object -> CodeInfo, or None when out of scope. By identity: equal code
        # objects are not the same code (a module imported afresh makes equal functions, and
        # equality ignores the file: the same function at the same line of two files).
        self._codes = {}
        self._kept = []  # the code objects in _codes, held so that their ids stay theirs
        self._qualnames = {}  # before 3.11: id() of a code object -> qualname, for nested code not seen yet
        self._names = {}  # str -> name id
        self._keys = {}  # local's name -> (encoded name id, is secret)
        self._threads = {}  # thread ident -> thread id
        self._next_thread = 1
        self._thread_local = _thread._local()
        self._cur_thread = None
        self.frames = {}  # id(frame) -> FrameState
        self._dropped = []  # _Watch of the generators freed since the last event
        self._namespaces = {}  # id() of a module's globals -> Namespace
        self.last = None  # FrameState of the most recent event, on any thread
        # (thread ident, id() of the exception) of the last UNWIND, until the next line event:
        # ids are compared only while the exception is surely alive.
        self._unwinding = None
        self._next_frame = 1
        self._secret_words = compile_patterns(config.secrets)
        self._secret_key_cache = {}
        self._secret_cache = {}
        self.values = Serializer(self.name_id, self.secret, config.max_depth,
                                 config.max_items, config.max_string, self.secret_key)
        self.encode = self.values.encode
        if self.pure:
            wire.small_ints()  # the hot paths index _SMALL up to 65535

    # -- tables: every name is defined in the stream before its first use ---------------------
    def name_id(self, s):
        nid = self._names.get(s)
        if nid is None:
            nid = len(self._names)
            try:
                enc = wire.text(s)
            except UnicodeEncodeError:
                enc = wire.text(s.encode("utf-8", "backslashreplace").decode("utf-8"))
            self._raw(wire.array([wire.uint(NAME), wire.uint(nid), enc]))
            self._names[s] = nid  # only once defined in the stream: a failed write is retried
        return nid

    def secret(self, name):
        cache = self._secret_cache
        r = cache.get(name)
        if r is None:
            if len(cache) >= _SECRET_CACHE:  # dict keys are any strings: keep memory bounded
                cache.clear()
            r = cache[name] = is_secret(name, self._secret_words)
        return r

    def secret_key(self, key):
        """Is a dict key a secret's? As secret(), CapWords included ("Authorization")."""
        cache = self._secret_key_cache
        r = cache.get(key)
        if r is None:
            if len(cache) >= _SECRET_CACHE:
                cache.clear()
            r = cache[key] = is_secret(key, self._secret_words, identifier=False)
        return r

    def code_info(self, code):
        """The CodeInfo of an in-scope code object, None if out of scope."""
        try:
            return self._codes[id(code)]
        except KeyError:
            pass
        fid = self._file_id(code.co_filename)
        info = None
        if fid is not None:
            cid = len(self._codes)
            info = self._CodeInfo(cid, code)
            ns = self._namespace_running(code)
            self._raw(wire.array([
                wire.uint(CODE), wire.uint(cid), wire.uint(fid), wire.text(code.co_name),
                wire.text(self._qualname(code)),
                wire.uint(code.co_firstlineno), wire.NIL if ns is None else wire.uint(ns.module)]))
        self._kept.append(code)
        self._codes[id(code)] = info
        return info

    def namespace(self, g):
        """The Namespace of a module's globals `g`; None if `g` is not a module's (code run by
        `exec` in a dict of its own: a doctest's, say), whose globals are not followed."""
        ns = self._namespaces.get(id(g))
        if ns is not None and ns.globals is g:
            return ns
        name = g.get("__name__")
        m = sys.modules.get(name) if type(name) is str else None
        if not isinstance(m, _ModuleType) or m.__dict__ is not g:
            return None
        ns = self._namespaces[id(g)] = Namespace(g, self.name_id(name))
        return ns

    def _namespace_running(self, code):
        """The Namespace of the globals of the frame that runs `code` (called as its first event
        is handled, so that frame is a few calls up), or None."""
        f = sys._getframe(1)
        for _ in range(8):
            if f is None:
                return None
            if f.f_code is code:
                return self.namespace(f.f_globals)
            f = f.f_back
        return None

    def module_body_namespace(self, frame):
        """(snap, enc) of the Namespace a module body's frame shows as its locals, or None."""
        if frame.f_code.co_name != "<module>" or frame.f_locals is not frame.f_globals:
            return None
        ns = self.namespace(frame.f_globals)
        return None if ns is None else (ns.snap, ns.enc)

    def _qualname(self, code):
        """co_qualname; before 3.11 (no co_qualname), the name the compiler gives a nested code
        object, worked out from its parent's constants when the parent was first seen."""
        q = getattr(code, "co_qualname", None)
        if q is not None:
            return q
        q = self._qualnames.pop(id(code), code.co_name)
        # As the compiler does: a function's inner names go under "<locals>", a class's or a
        # comprehension's straight under its own name.
        if code.co_name == "<module>":
            inner = ""
        elif code.co_flags & _FUNCTION_FLAG and code.co_name not in _COMPREHENSIONS:
            inner = q + ".<locals>."
        else:
            inner = q + "."
        for c in code.co_consts:
            if isinstance(c, _CodeType):
                self._qualnames[id(c)] = inner + c.co_name
        return q

    def _file_id(self, filename):
        if filename in self._files:
            return self._files[filename]
        # compile(source, "", ...) (generated code, assertion rewriters) has no file: it is code
        # from a string, not the working directory that abspath("") would make of it.
        path = "<string>" if not filename else filename if filename.startswith("<") \
            else os.path.abspath(filename)
        fid = None
        if self.scope.wants(path):
            fid = sum(1 for v in self._files.values() if v is not None)
            self._raw(wire.array([wire.uint(FILE), wire.uint(fid), wire.text(path),
                                  _source(path, self.secret, self.secret_key, self._secret_words)]))
        self._files[filename] = fid
        return fid

    # -- emission -------------------------------------------------------------------------------
    def _raw(self, data):
        """Emit a context-free event (a table entry)."""
        with self.lock:
            if self.enabled:
                self.w.write(data)

    def emit(self, data):
        """Emit an event that happens on the calling thread."""
        ident = _get_ident()
        with self.lock:
            if not self.enabled:
                return
            if ident != self._cur_thread:
                self._switch(ident)
            if self._dropped:
                self._write_dropped()
            self.w.write(data)

    def _emit_switching(self, data):
        """emit() when another thread had the last event: the accelerator's slow path."""
        Recorder.emit(self, data)

    def _switch(self, ident):
        # Set first: the accelerator writes without the lock while the last event's thread is
        # the current one, so no other thread may see itself as current once THREAD is out.
        self._cur_thread = ident
        tid = self._threads.get(ident)
        # A thread ident can be reused once its thread is gone: a thread without our sentinel
        # in its thread-local storage is a new thread.
        if tid is None or getattr(self._thread_local, "sentinel", None) is None:
            tid = self._threads[ident] = self._next_thread
            self._next_thread += 1
            # Not imported by the agent: the program's to import (gevent patches it before).
            threading = sys.modules.get("threading")
            t = threading._active.get(ident) if threading is not None else None
            name = t.__dict__.get("_name") if t is not None else "MainThread" if ident == _MAIN_THREAD else None
            self.w.write(wire.array([wire.uint(THREAD), wire.uint(tid),
                                     wire.text(name if type(name) is str else "Thread-%d" % tid)]))
            # Thread-local storage dies with the thread; the sentinel's finalizer reports it.
            self._thread_local.sentinel = _ThreadSentinel(self, tid, ident)
        else:
            self.w.write(wire.array([wire.uint(THREAD), wire.uint(tid)]))

    def watch(self, st, gen):
        """A generator's frame suspends for the first time: learn when the generator is freed."""
        if gen is not None:
            w = st.watch = _Watch(gen, self._dropped.append)
            w.fid = st.id
            w.key = st.key

    def _write_dropped(self):
        """DROPPED for the generators freed while suspended since the last event: a frame that
        ran again meanwhile (a close with events) is not one. Their states are forgotten."""
        q = self._dropped
        fids = []
        while q:
            w = q.pop(0)
            st = self._state_at(w.key)
            if st is not None and st.id == w.fid:
                if not st.suspended:
                    continue
                self._forget(st)
            fids.append(w.fid)  # else its state was dropped as stale: it was suspended
        if fids:
            self.w.write(wire.array([wire.uint(DROPPED)] + [wire.uint(f) for f in fids]))

    def thread_ended(self, tid, ident):
        with self.lock:
            if self._threads.get(ident) == tid:
                del self._threads[ident]
            if self._cur_thread == ident:
                self._cur_thread = None
            if self.enabled:
                self.w.write(wire.array([wire.uint(THREAD_END), wire.uint(tid)]))

    # -- events ---------------------------------------------------------------------------------
    def on_call(self, frame, info):
        """A new frame of in-scope code starts: emit CALL with its arguments."""
        st = FrameState(self._next_frame, id(frame), info)
        self._next_frame += 1
        self.frames[st.key] = st
        if not info.function:
            shared = self.module_body_namespace(frame)
            if shared is not None:
                st.snap, st.enc = shared
        fid = st.id
        out = [_CALL_KIND, _SMALL[fid] if fid < 65536 else wire.uint(fid), info.id_enc]
        if info.args:
            # Each argument's value becomes the frame's first known value (flat: a hot path).
            loc = frame.f_locals
            snap = st.snap
            keys = self._keys
            caller = None
            for name in info.args:
                v = loc.get(name, _MISSING)
                if v is _MISSING:
                    continue
                snap[name] = v
                t = type(v)
                if t is int and 0 <= v < 65536:
                    enc = _SMALL[v]
                else:
                    enc = self.encode(v)
                    if t not in ATOMS:
                        st.enc[name] = enc
                k = keys.get(name) or self._key(name)
                out.append(k[0])
                if k[1]:
                    out.append(REDACTED)
                    continue
                if t not in ATOMS and _CALLER_REFS:
                    if caller is None:  # (False: not recorded)
                        caller = frame.f_back is not None and self.state_of(frame.f_back) or False
                    same = caller and self._callers_name(caller, v, enc)
                    if same:
                        out.append(wire.caller(same))
                        continue
                out.append(enc)
        self.last = st
        n = len(out)
        self.emit((_HEADS[n] if n < 16 else wire.array_header(n)) + b"".join(out))
        return st

    def _callers_name(self, caller, v, enc):
        """The name id (encoded) of the first of the caller's locals, in the order they got an
        encoding, that is v and was last given as enc (a method's `self`, passed on at every
        call): a CALL gives it as that local, not whole again. None if there is none, or it is a
        secret's (given as REDACTED)."""
        snap = caller.snap
        for cname, cenc in caller.enc.items():
            if snap.get(cname, _MISSING) is v and cenc == enc:
                k = self._keys.get(cname) or self._key(cname)
                return None if k[1] else k[0]
        return None

    def on_resume(self, st):
        st.suspended = False
        self.last = st
        self.emit(wire.array([wire.uint(RESUME), wire.uint(st.id)]))

    def on_line(self, frame, st, line, region=None):
        """A line is about to run. `region`: the (start, end) offsets of a loop body that
        jumped back within this line, when the back end knows it."""
        st.fresh = False
        if st.exc and id(_exc_info()[1]) != st.exc:
            # Kept while a finally or except block handles it (it may go on); once not, an
            # object raised later at its address is a new exception.
            st.exc = 0
        self._unwinding = None
        prev = st.prev
        prev_region = st.region
        st.prev = line
        st.region = region
        data = _SMALL[line] if line < 65536 else wire.uint(line)  # a bare LINE event
        lines = st.info.lines
        if lines is None:  # at the first line: a frame's last line is looked at as it ends
            lines = st.info.lines = LineInfo(st.info.code)
        if prev is not None:
            if region is not None and prev_region is not None and prev_region[0] <= region[1]:
                # Both events are back-jumps within this line: what ran since is the code from
                # where the previous one landed to where this one jumped, not the whole line.
                stores, loads, calls = lines.region(prev_region[0], region[1])
            else:
                stores = lines.stores.get(prev, ())
                loads = lines.loads.get(prev, ())
                calls = lines.calls.get(prev, False)
                if calls & _TOUCHES_GLOBALS:
                    # Inline: a loop over range() or len() meets this at every turn.
                    ns = lines.ns
                    if ns is None or ns.globals is not frame.f_globals:
                        ns = lines.ns = self.namespace(frame.f_globals)
                    if ns is not None:
                        gstores, gloads = lines.globals[prev]
                        if gstores or not ns.enc.keys().isdisjoint(gloads):
                            self._globals_after(frame, st, prev, calls)
            # (`is`: ANYTHING is a module's, and only functions' lines have the GLOBALS bit)
            if self.last is not st or calls is ANYTHING:  # it may have changed anything
                ch = self._changes(frame, st, stores, True)
            elif calls and st.enc:  # untraced calls: what the line handed them
                ch = self._changes(frame, st, stores, False, loads)
            elif stores:
                ch = self._changes(frame, st, stores, False)
            else:  # nothing can have changed: not even a look at f_locals (it costs on 3.11)
                ch = None
        elif st.info.frees:  # a closure's first line: the values of its free variables
            ch = self._changes(frame, st, st.info.frees, False)
        else:
            ch = None
        if ch:
            n = len(ch) + 2
            data = (_HEADS[n] if n < 16 else wire.array_header(n)) + _LINE_KIND + data + \
                b"".join(ch)
        self.last = st
        self.emit(data)

    def on_return(self, st, value, frame=None, out=False):
        """A frame returns (value) or, for a generator on settrace, yields (`frame` tells);
        `out`: to a caller that is not recorded (where `finish` stops)."""
        if frame is not None and st.prev is not None and st.prev in st.info.lines.globals:
            self._leaving(frame, st)
        t = type(value)
        enc = wire.NIL if value is None else _SMALL[value] if t is int and 0 <= value < 65536 \
            else self.encode(value)
        if frame is not None and st.info.generator and _is_yield(frame):
            st.suspended = True
            if st.watch is None:
                self.watch(st, generator_of(frame))
            self.end_frame(st, _YIELD_OUT + enc + wire.TRUE if out else _YIELD_HEAD + enc)
        else:
            self.end_frame(st, _RETURN_OUT + enc + wire.TRUE if out else _RETURN_HEAD + enc)

    def on_yield(self, st, value, out=False, frame=None):
        if frame is not None and st.prev is not None and st.prev in st.info.lines.globals:
            self._leaving(frame, st)
        st.suspended = True
        if st.watch is None and frame is not None:
            self.watch(st, generator_of(frame))
        enc = self.encode(value)
        self.end_frame(st, _YIELD_OUT + enc + wire.TRUE if out else _YIELD_HEAD + enc)

    def on_unwind(self, st, out=False, exc=None, frame=None):
        """A frame exits through an exception (`exc` where the back end knows it: a handler or
        `finally` may have run since it arrived); `out`: into a caller that is not recorded,
        where it may be caught (the reader needs this to tell caught from uncaught)."""
        if frame is not None and st.prev is not None and st.prev in st.info.lines.globals:
            self._leaving(frame, st)
        self._unwinding = (_get_ident(), st.exc if exc is None else id(exc))
        self.end_frame(st, _UNWIND_OUT if out else _UNWIND_EVENT)

    def end_frame(self, st, data):
        if not st.suspended:
            self._forget(st)
        self.last = st
        self.emit(data)

    def _forget(self, st):
        st.watch = None  # its frame is over: its generator's end is no news
        if self.frames.get(st.key) is st:
            del self.frames[st.key]

    def _state_at(self, key):
        return self.frames.get(key)

    def state_of(self, frame):
        """The state of a frame being recorded, or None."""
        st = self.frames.get(id(frame))
        return st if st is not None and st.info.code is frame.f_code else None

    def out_of(self, frame):
        """Does `frame` return (or unwind) into code that is not recorded?"""
        return frame.f_back is None or self.state_of(frame.f_back) is None

    def prune(self, keep):
        """Forget the states of frames that ended unseen: all but the suspended and `keep`
        (None: every state)."""
        for key, st in list(self.frames.items()):
            if keep is None or (not st.suspended and st not in keep):
                st.watch = None
                del self.frames[key]

    def release(self):
        """The program is over: let go of the values last seen in its frames and modules, so
        that they go when the program lets go of them, as in a plain run (a module global's
        finalizer runs as the interpreter exits)."""
        self.last = None
        # With the modules' dicts: a module's dict is emptied as the interpreter exits only if
        # nothing else holds it.
        self._namespaces.clear()
        for info in self._codes.values():
            if info is not None and info.lines is not None:
                info.lines.ns = None
        self.prune(None)
        # Its types too: they hold their modules' globals through their methods.
        self.values.forget_types()

    def resync(self):
        """After a gap in this thread's events (the program had replaced the tracer): forget
        the frames that ended meanwhile and tell the reader which of this thread's recorded
        frames still run (SYNC). The next line is looked at whole."""
        me = _get_ident()
        live = set()
        mine = []
        for ident, f in sys._current_frames().items():
            while f is not None:
                st = self.state_of(f)
                if st is not None:
                    live.add(st)
                    if ident == me:
                        mine.append(st.id)
                f = f.f_back
        self.prune(live)
        mine.reverse()
        self.last = None
        self.emit(wire.array([wire.uint(SYNC)] + [wire.uint(i) for i in mine]))

    def on_exception(self, st, exc):
        """An exception is raised in, or propagates into, the frame of `st`."""
        propagated = st.exc == id(exc) or self._unwinding == (_get_ident(), id(exc))
        st.exc = id(exc)
        t = type(exc)
        self.last = st
        self.emit(wire.array([wire.uint(EXCEPTION), wire.uint(self.name_id(type_name(t))),
                              _message(exc), wire.TRUE if propagated else wire.FALSE]))

    def on_output(self, stream, s):
        self.emit(wire.array([wire.uint(OUTPUT), wire.uint(stream),
                              wire.text(s.encode("utf-8", "replace").decode("utf-8"))]))

    def finish(self, status, exc=None):
        """The program is over: write END and close the stream (also after a failure)."""
        with self.lock:
            self.enabled = False
            if self.w.closed:
                return
            self.w.write(wire.array([wire.uint(END), wire.integer(status),
                                     wire.NIL if exc is None else exc]))
            self.w.close()
        self.release()

    def warn(self, code, message):
        """Tell the reader what the recording misses from here (PROTOCOL.md, WARNING)."""
        self.emit(wire.array([wire.uint(WARNING), wire.text(code), wire.text(message)]))
        mark = getattr(self.w, "mark_warned", None)  # a RawWriter's; test writers have none
        if mark is not None:
            mark()

    def fail(self, backend, error=None):
        """An error of the agent's own (`error`, else the exception being handled): stop
        recording, let the program carry on untraced, and say so in the stream (the recorder
        reports it loudly)."""
        if self.enabled and not self.w.closed:
            self.failure = _describe_failure(error or sys.exc_info()[1])
            try:
                self.warn("agent-error", self.failure)
            except Exception:
                pass
        with self.lock:
            self.enabled = False
        try:
            backend.stop()
        except Exception:
            pass
        if os.environ.get("REWIND_AGENT_DEBUG"):
            import traceback
            traceback.print_exc()

    def describe_exception(self, exc):
        return wire.array([wire.uint(self.name_id(type_name(type(exc)))), _message(exc)])

    # -- change detection -----------------------------------------------------------------------
    def _key(self, name):
        """(encoded name id, is secret) of a local's name; cached, it is on the hot path."""
        k = self._keys.get(name)
        if k is None:
            k = self._keys[name] = (wire.uint(self.name_id(name)), self.secret(name))
        return k

    def _changes(self, frame, st, stores, full, loads=(), loc=None):
        """[name id, value, ...] of the locals that changed since the frame's previous event,
        among `stores`, every mutable or cell local if `full`, and the mutable ones in `loads`;
        `st.snap` (objects seen last) and `st.enc` (encodings of those that can change in place)
        are brought up to date. With `loc`, that namespace is read instead of the frame's locals
        (a module's globals, `st` its Namespace). This is the recorder's hot path: keep it flat."""
        if loc is None:
            loc = frame.f_locals
            if not st.info.function and type(loc) is not dict:
                # 3.13+: inside a comprehension inlined into a module or class body, f_locals
                # shows only the comprehension's variables. Look at the module's namespace.
                if st.info.code.co_name != "<module>":
                    return []
                loc = frame.f_globals
        encs = st.enc  # its keys: the names whose value can change in place
        if full:
            if st.info.function:
                names = dict.fromkeys(stores)
                names.update(encs)
                for n in st.info.cells:
                    names.setdefault(n)
            else:  # module or class body: its namespace can change from anywhere
                names = [n for n in loc if not (n.startswith("__") and n.endswith("__"))]
                names.extend(n for n in st.snap if n not in loc)
        elif loads:
            names = list(stores)
            names.extend(n for n in loads if n in encs and n not in stores)
        else:
            names = stores
        out = []
        snap = st.snap
        keys = self._keys
        encode = self.encode
        mutated = None  # ids of objects changed in place, to find their aliases
        for name in names:
            v = loc.get(name, _MISSING)
            old = snap.get(name, _MISSING)
            if v is old:
                if v is _MISSING or name not in encs:
                    continue
                enc = encode(v)  # same object, maybe changed in place
                if enc == encs[name]:
                    continue
                encs[name] = enc
                if mutated is None:
                    mutated = set()
                mutated.add(id(v))
            elif v is _MISSING:
                del snap[name]
                if name in encs:
                    del encs[name]
                enc = _UNBOUND
            else:
                t = type(v)
                snap[name] = v
                if t is float:
                    if type(old) is float and v == old and (v or _copysign(1.0, v) ==
                                                            _copysign(1.0, old)):
                        continue
                    enc = _f64(0xD7, 1, v)
                elif t is int:
                    if type(old) is int and v == old:
                        continue
                    enc = _SMALL[v] if 0 <= v < 65536 else encode(v)
                elif t in _EQ_TYPES and t is type(old) and v == old:
                    continue
                else:
                    enc = encode(v)
                    if t not in ATOMS:
                        if enc == encs.get(name):  # rebound to an equal value
                            continue
                        encs[name] = enc
                        k = keys.get(name) or self._key(name)
                        out.append(k[0])
                        out.append(REDACTED if k[1] else enc)
                        continue
                if name in encs:
                    del encs[name]
            k = keys.get(name) or self._key(name)
            out.append(k[0])
            out.append(REDACTED if k[1] else enc)
        if mutated and not full:
            # Other names of this frame that hold an object that changed in place.
            aliases = [n for n in encs if n not in names and id(snap[n]) in mutated]
            if aliases:
                out.extend(self._changes(frame, st, aliases, False, (), loc))
        return out

    def global_changes(self, frame, st, line, calls):
        """After `line` of a function ran (`calls`: it may have changed objects in place): emit
        GLOBALS for the module globals it rebound or deleted, or read and changed in place."""
        stores, loads = st.info.lines.globals[line]
        if not (stores or calls):
            return
        ns = self.namespace(frame.f_globals)
        if ns is None:
            return
        if not self.pure:
            wire.small_ints()  # _changes indexes _SMALL up to 65535 (the first time: a few ms)
        ch = self._changes(frame, ns, stores, False, loads if calls else (), ns.globals)
        if ch:
            n = len(ch) + 2
            self.emit(wire.array_header(n) + wire.uint(GLOBALS) + wire.uint(ns.module) + b"".join(ch))

    def _leaving(self, frame, st):
        """A frame returns, yields or unwinds after a line that touched its module's globals."""
        line = st.prev
        lines = st.info.lines
        stores, loads = lines.globals[line]
        calls = lines.calls.get(line, False)
        if stores or calls:
            ns = self.namespace(frame.f_globals)
            if ns is not None and (stores or not ns.enc.keys().isdisjoint(loads)):
                self._globals_after(frame, st, line, calls)

    def _globals_after(self, frame, st, line, calls):
        try:
            self.global_changes(frame, st, line, calls)
        except RecursionError:
            # At the recursion limit (3.12+ runs the callbacks on the program's own stack) there
            # is no room to look: a module body sees the change at its next full look.
            pass


def recorder_class(accel):
    """Recorder, or with the C accelerator (the module from accel.py) a Recorder whose hot
    paths (emit, on_call, on_line, on_return and the back ends' callbacks) are its C ports; its
    frames table is C's too (by frame address: `frames` stays empty, `_forget` is C's)."""
    if accel is None:
        return Recorder

    class FastCodeInfo(accel.Info):
        __slots__ = ()
        __init__ = CodeInfo.__init__

    class FastRecorder(accel.Core, Recorder):
        _CodeInfo = FastCodeInfo
        pure = False

        def release(self):
            Recorder.release(self)
            self._forget_types()

        def __call__(self, frame, event, arg):
            """sys.gettrace() gives the recorder: set back as a trace function by other means
            than the sys.settrace the program sees, it puts the C tracer back on its thread."""
            return self._c_thread_trace(frame, event, arg)

        def __init__(self, writer, config, scope):
            Recorder.__init__(self, writer, config, scope)
            mon = getattr(sys, "monitoring", None)
            self._accel_setup(getattr(writer, "sink", None), ATOMS, REDACTED, LineInfo,
                              _is_yield, mon.DISABLE if mon else None, self.values,
                              self._names, self._secret_cache,
                              tuple(sorted({p[0] for p in self._secret_words})))
            # What Python code of the recorder encodes (a function's module globals, rarer
            # events) is encoded by the C encoder too: the same bytes, without a Python call
            # for every name and attribute.
            self.encode = self._c_encode

    return FastRecorder


class _ThreadSentinel:
    __slots__ = ("rec", "tid", "ident")

    def __init__(self, rec, tid, ident):
        self.rec = rec
        self.tid = tid
        self.ident = ident

    def __del__(self):
        try:
            self.rec.thread_ended(self.tid, self.ident)
        except Exception:
            pass


def _is_yield(frame):
    """On settrace, a 'return' event of a generator frame is a yield if it stops on a yield."""
    code = frame.f_code
    i = frame.f_lasti
    return 0 <= i < len(code.co_code) and code.co_code[i] == _YIELD_VALUE




def _describe_failure(e):
    """An exception as one line: its type, message and where in the agent it was raised."""
    import traceback
    t = type(e)
    where = ""
    tb = getattr(e, "__traceback__", None)
    frames = traceback.extract_tb(tb) if tb is not None else []
    if frames:
        last = frames[-1]
        where = " (%s:%d)" % (os.path.basename(last.filename), last.lineno)
    try:
        text = str(e)
    except Exception:
        text = ""
    name = t.__name__ if e is not None else "error"
    return "%s: %s%s" % (name, text, where) if text else name + where


def _message(exc):
    """str(exc) when computing it cannot run user code, else nil (the reader shows args)."""
    t = type(exc)
    try:
        args = exc.args if type(exc.args) is tuple else ()
    except Exception:
        args = ()
    if not all(type(a) in _EQ_TYPES or type(a) is float for a in args):
        return wire.NIL
    strf = t.__str__
    if type_name(t).count(".") == 0 or strf is BaseException.__str__:
        try:
            return wire.text(strf(exc).encode("utf-8", "replace").decode("utf-8"))
        except Exception:
            return wire.NIL
    return wire.NIL


def _source(path, secret, secret_key, secret_words):
    """The file's text, embedded so that a recording opens without the sources (string
    literals given to secret names replaced); for code from a string ('<doctest ...>',
    templates), what linecache holds of it, if anything."""
    text = _source_text(path)
    return wire.NIL if text is None else wire.text(redact_source(text, secret, secret_key, secret_words))


def _source_text(path):
    if path.startswith("<frozen ") and path.endswith(">"):
        # a frozen module of the standard library: its __file__ names the source it was made of
        module = sys.modules.get(path[len("<frozen "):-1])
        file = getattr(module, "__dict__", {}).get("__file__")
        return _source_text(file) if isinstance(file, str) and not file.startswith("<") else None
    if path.startswith("<"):
        import linecache
        try:  # doctest hands its examples' sources to linecache.getlines
            text = "".join(linecache.getlines(path))
        except Exception:
            text = ""
        return text if text and type(text) is str else None
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
