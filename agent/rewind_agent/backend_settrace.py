"""Back end for CPython 3.9-3.11: sys.settrace and threading.settrace.

settrace calls a global function at every frame start ('call', also when a generator
resumes); for in-scope code it returns a per-frame local function that gets 'line',
'return' and 'exception'. Out-of-scope frames return None and cost nothing more.
With the C accelerator, a C trace function (PyEval_SetTrace) does the same without a Python
call per event; it hands exceptions to `_exception` here.
"""

import dis
import sys
import threading
from types import MethodType as _bind

_IMPLICIT_STOP = frozenset(dis.opmap[n] for n in ("SEND", "FOR_ITER", "YIELD_FROM",
                                                   "END_ASYNC_FOR", "GET_ANEXT")
                           if n in dis.opmap)
_STOPS = (StopIteration, StopAsyncIteration)
_RESUME = dis.opmap.get("RESUME")  # 3.11+
# Where a frame stops when it leaves without an exception: a return, or a generator's suspension.
_LEAVES = frozenset(dis.opmap[n] for n in ("RETURN_VALUE", "RETURN_CONST", "YIELD_VALUE",
                                           "YIELD_FROM") if n in dis.opmap)


def _stopped_at(frame):
    """The opcode the frame stopped at (None before its first instruction)."""
    code = frame.f_code.co_code
    i = frame.f_lasti
    return code[i] if 0 <= i < len(code) else None


def _unwinds(frame):
    """A 'return' event with None: does the frame exit through an exception? (A handler or a
    `finally` may have run lines since it arrived, so that no exception event comes last.)"""
    return _stopped_at(frame) not in _LEAVES


def _starts(frame):
    """A generator's 'call' event: its first run, not a resume? A generator freed while
    suspended gives no event (3.11 closes one at a yield outside any try without running it),
    so its state stays behind, and a new generator of the same code may get its frame's id().
    3.9 and 3.10: a frame not started yet has no last instruction; 3.11: the event is at
    RESUME, whose argument is 0 at the start."""
    lasti = frame.f_lasti
    if lasti < 0:
        return True
    code = frame.f_code.co_code
    return code[lasti] == _RESUME and code[lasti + 1] == 0


class SettraceBackend:
    name = "settrace"

    def __init__(self, rec):
        self.rec = rec
        self._local = self._tracer()
        self._c = hasattr(rec, "_c_settrace")
        self._settrace = sys.settrace
        self._paused = set()  # idents of the threads whose tracer the program replaced

    def start(self):
        if self._c:
            threading.settrace(self.rec._c_thread_trace)
            self.rec._c_settrace(self, self._exception)
        else:
            threading.settrace(self._global)
            sys.settrace(self._global)
        sys.settrace = self._program_settrace()

    def stop(self):
        if sys.settrace is not self._settrace:
            sys.settrace = self._settrace
        if self._c:
            self.rec._c_settrace(None, None)
        else:
            sys.settrace(None)
        threading.settrace(None)

    def ours(self, function):
        """Is `function` the tracer this back end installed (what sys.gettrace() gives)?"""
        return function is self.rec if self._c else function == self._global

    def _program_settrace(self):
        """sys.settrace as the program calls it. The program's tracer replaces ours, as without
        Rewind (doctest, test.support.no_tracing and debuggers do this): the recording says so,
        and resumes, in step, when the program gives back what sys.gettrace() gave it."""
        real = self._settrace
        backend = self

        def settrace(function):
            ident = threading.get_ident()
            if backend.ours(function) and backend.rec.enabled:
                if backend._c:
                    backend.rec._c_settrace(backend, backend._exception)
                else:
                    real(function)
                if ident in backend._paused:
                    backend._paused.discard(ident)
                    backend._guarded(backend.rec.resync)
                return
            real(function)
            if ident not in backend._paused and backend.rec.enabled:
                backend._paused.add(ident)
                caller = sys._getframe(1)
                backend._guarded(backend.rec.warn, "tracer-replaced",
                                 "the program replaced Rewind's tracer (sys.settrace) at %s:%d: "
                                 "nothing is recorded on this thread until it gives it back"
                                 % (caller.f_code.co_filename, caller.f_lineno))

        for attr in ("__name__", "__qualname__", "__doc__"):
            setattr(settrace, attr, getattr(real, attr))
        settrace.__module__ = "sys"
        return settrace

    def given_back(self):
        """At the end (on the main thread): None, or (code, why) the recording stopped early."""
        if self._paused:
            return "tracer-not-restored", "the program replaced Rewind's tracer and never gave it back"
        if self.rec.enabled and sys.settrace is not self._settrace and not self.ours(sys.gettrace()):
            # A Python trace function that raises is removed by the interpreter, silently: the
            # pure agent's, when the program has used up the stack (the recursion limit).
            return "tracer-lost", ("the interpreter removed the pure-Python agent's tracer, as it does "
                                   "at the recursion limit: what ran after that is missing (the C "
                                   "accelerator records through it)")
        return None

    def _guarded(self, fn, *args):
        try:
            fn(*args)
        except Exception:
            self.rec.fail(self)

    def _global(self, frame, event, arg):
        if event != "call":
            return None
        rec = self.rec
        try:
            if not rec.enabled:
                return None
            info = rec.code_info(frame.f_code)
            if info is None:
                return None
            if info.generator:
                st = rec.frames.get(id(frame))
                if st is not None and st.suspended and st.info is info and not _starts(frame):
                    rec.on_resume(st)
                    return _bind(self._local, st)
            return _bind(self._local, rec.on_call(frame, info))
        except Exception:
            rec.fail(self)
            return None

    def _tracer(self):
        """The local trace function, one for all frames: a frame gets it bound to its state
        (cheaper than a closure per call). It returns None, which keeps the frame's trace
        function as it is; once recording is off, settrace(None) stops every frame's."""
        rec = self.rec
        on_line = rec.on_line

        def local(st, frame, event, arg):
            try:
                if event == "line":
                    st.raised = False
                    on_line(frame, st, frame.f_lineno)
                elif event == "return":
                    # Through an exception: one came last (a generator closed at its yield),
                    # or the frame stopped elsewhere than where it returns or yields (after
                    # a finally). The C tracer is told by the interpreter (no value).
                    out = rec.out_of(frame)
                    if arg is None and (st.raised or _unwinds(frame)):
                        rec.on_unwind(st, out, None, frame)
                    else:
                        rec.on_return(st, arg, frame, out)
                elif event == "exception":
                    st.raised = exception(frame, st, arg) or st.raised
            except Exception:
                rec.fail(self)

        exception = self._exception
        return local

    def _exception(self, frame, st, arg):
        """An 'exception' event; True if it is a raise (not the end of an await / yield from)."""
        exc = arg[1]
        if isinstance(exc, _STOPS) and _stopped_at(frame) in _IMPLICIT_STOP:
            return False
        self.rec.on_exception(st, exc)
        return True
