"""Back end for CPython 3.12+: sys.monitoring (PEP 669).

Callbacks get a code object, not a frame, so the frame is sys._getframe(1). Code outside the
recorded scope answers DISABLE, which switches that event off at that location for good.
LINE does not fire when a backward jump lands on the same line, and may not fire for the
first line of a one-line function (lambda, generator expression); settrace reports a line in
both cases. JUMP fills in the first, `_first_line` the second, so both back ends give the
same stream. With the C accelerator, every event goes to its C port of the method below.
"""

import sys

mon = getattr(sys, "monitoring", None)
_getframe = sys._getframe


class MonitoringBackend:
    name = "sys.monitoring"

    def __init__(self, rec):
        self.rec = rec
        self.tool = None
        self._lines = {}  # code -> (offset -> line) for JUMP
        self._deep = 0  # id() of the last RecursionError after which the stream was resynced

    def start(self):
        for tool in (mon.DEBUGGER_ID, 3, 4, 5):
            if mon.get_tool(tool) is None:
                break
        else:
            raise RuntimeError("every sys.monitoring tool id is taken")
        mon.use_tool_id(tool, "rewind")
        self.tool = tool
        E = mon.events
        rec = self.rec
        fast = hasattr(rec, "_c_monitor")
        if fast:
            rec._c_monitor(self, self._lines)
        # With the accelerator, the recorder's C ports (_m_line...) of the methods below (_line...)
        impl, prefix = (rec, "_m_") if fast else (self, "_")
        for event, name in ((E.PY_START, "start"), (E.PY_RESUME, "resume"), (E.PY_THROW, "throw"),
                            (E.PY_RETURN, "return"), (E.PY_YIELD, "yield"),
                            (E.PY_UNWIND, "unwind"), (E.LINE, "line"), (E.JUMP, "jump"),
                            (E.RAISE, "raise")):
            mon.register_callback(tool, event, getattr(impl, prefix + name))
        mon.set_events(tool, E.PY_START | E.PY_RESUME | E.PY_THROW | E.PY_RETURN | E.PY_YIELD
                       | E.PY_UNWIND | E.LINE | E.JUMP | E.RAISE)

    def given_back(self):
        """sys.monitoring has no tracer for the program to take away (see SettraceBackend)."""
        return None

    def stop(self):
        if self.tool is not None:
            mon.set_events(self.tool, 0)
            mon.free_tool_id(self.tool)
            self.tool = None

    def _start(self, code, offset):
        rec = self.rec
        try:
            info = rec.code_info(code)
            if info is None:
                return mon.DISABLE
            frame = _getframe(1)
            caller = frame.f_back
            if caller is not None:
                self._first_line(caller)
            rec.on_call(frame, info)
        except Exception:
            rec.fail(self)

    def _resume(self, code, offset):
        rec = self.rec
        try:
            info = rec.code_info(code)
            if info is None:
                return mon.DISABLE
            st = self._state(_getframe(1), code)
            if st is not None:
                rec.on_resume(st)
        except Exception:
            rec.fail(self)

    def _throw(self, code, offset, exc):
        self._resume(code, offset)  # never DISABLE: not a local event (3.12 drops a callback that tries)

    def _state(self, frame, code):
        """The state of a frame we record, by its id(). A generator freed while suspended gives
        no event on 3.12, so its state stays behind, and its id() may come back with a frame
        of other code: such a stale state is dropped."""
        st = self.rec.frames.get(id(frame))
        if st is not None and st.info.code is not code:
            self.rec.frames.pop(id(frame), None)
            return None
        return st

    def _first_line(self, frame):
        """Before any other event of a frame that has had no line event, report the line it is
        on, as settrace would have at its start. Returns the frame's state."""
        st = self._state(frame, frame.f_code)
        if st is not None:
            if st.suspended:
                self.rec.on_resume(st)  # 3.12 runs gen.close() in the frame without PY_THROW
            if st.fresh:
                self.rec.on_line(frame, st, frame.f_lineno)
        return st

    def _return(self, code, offset, value):
        try:
            frame = _getframe(1)
            st = self._first_line(frame)
            if st is not None:
                self.rec.on_return(st, value, frame, self.rec.out_of(frame))
            elif self.rec.code_info(code) is None:
                return mon.DISABLE
        except Exception:
            self.rec.fail(self)

    def _yield(self, code, offset, value):
        try:
            frame = _getframe(1)
            st = self._first_line(frame)
            if st is not None:
                self.rec.on_yield(st, value, self.rec.out_of(frame), frame)
            elif self.rec.code_info(code) is None:
                return mon.DISABLE
        except Exception:
            self.rec.fail(self)

    def _unwind(self, code, offset, exc):
        try:
            frame = _getframe(1)
            if type(exc) is RecursionError and id(exc) != self._deep:
                # At the recursion limit these Python callbacks could not run (the C ones get
                # headroom): events of deeper frames may be missing. Back in step, once.
                self._deep = id(exc)
                self.rec.resync()
            st = self._first_line(frame)
            if st is not None:
                self.rec.on_unwind(st, self.rec.out_of(frame), exc, frame)
        except Exception:
            self.rec.fail(self)

    def _raise(self, code, offset, exc):
        try:
            st = self._first_line(_getframe(1))
            if st is not None:
                self.rec.on_exception(st, exc)
        except Exception:
            self.rec.fail(self)

    def _line(self, code, line):
        rec = self.rec
        try:
            frame = _getframe(1)
            st = self._state(frame, code)
            if st is not None:
                if st.suspended:
                    rec.on_resume(st)  # see _first_line
                rec.on_line(frame, st, line)
            elif rec.code_info(code) is None:
                return mon.DISABLE
        except Exception:
            rec.fail(self)

    def _jump(self, code, src, dest):
        """settrace reports a line after every backward jump; LINE misses the ones that stay
        on their line. Every other jump is switched off where it stands."""
        rec = self.rec
        try:
            if dest >= src:
                return mon.DISABLE
            lines = self._lines.get(code)
            if lines is None:
                if rec.code_info(code) is None:
                    return mon.DISABLE
                lines = self._offset_lines_of(code)
            line = lines.get(dest)
            if line is None or line != lines.get(src):
                return mon.DISABLE
            frame = _getframe(1)
            st = self._state(frame, code)
            if st is not None:
                rec.on_line(frame, st, line, (dest, src))
        except Exception:
            rec.fail(self)


    def _offset_lines_of(self, code):
        lines = self._lines[code] = _offset_lines(code)
        return lines


def _offset_lines(code):
    out = {}
    for start, end, line in code.co_lines():
        if line is not None:
            for off in range(start, end, 2):
                out[off] = line
    return out
