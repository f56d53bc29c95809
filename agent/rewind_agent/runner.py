"""Run a script or module under the recorder exactly as `python script.py` / `python -m mod`.

The program gets the real __main__ module, the sys.argv and sys.path[0] Python would give it,
its own exit status and its own traceback (the agent's frames are cut from it). Output is
observed by replacing sys.stdout/sys.stderr with TextIOWrappers over the same buffers, so the
file descriptors, their buffering and isatty() stay the program's.
"""

import atexit
import io
import os
import sys
import time

from . import accel, wire
from .core import Config, recorder_class
from .scope import Scope
from .transport import RawWriter

_AGENT_DIR = os.path.dirname(os.path.realpath(__file__))

USAGE = """usage: python3 -m rewind_agent [options] [--] script.py [args...]
       python3 -m rewind_agent [options] -m module [args...]

Record a Python program into a raw Rewind stream (turn it into a recording with
`rewind import FILE -o REC`).

options:
  -o, --out FILE        raw stream to write (default: trace.raw)
  --include GLOB        record files matching GLOB, even in the standard library
  --exclude GLOB        do not record files matching GLOB
  --max-depth N         nesting depth of recorded values (default 3)
  --max-items N         items per container (default 100)
  --max-string N        characters per string (default 1000)
  --secret PATTERN      also redact variables whose name holds PATTERN's words
  --no-default-secrets  do not redact the built-in secret names (password, token...)
  --env GLOB            record the values of environment variables matching GLOB
                        (otherwise only their names are recorded)
  --accelerator MODE    auto (default): the C accelerator where it builds, else pure
                        Python; on: fail if it cannot be built; off: pure Python
"""


class UsageError(Exception):
    pass


def parse_args(argv):
    """Returns (options dict, module or None, program argv)."""
    opts = {"out": "trace.raw", "include": [], "exclude": [], "secret": [], "env": [], "parent": 0,
            "max_depth": 3, "max_items": 100, "max_string": 1000, "max_backlog": None,
            "accelerator": "auto", "default_secrets": True}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a in ("-h", "--help"):
            raise UsageError(None)
        if a == "-m":
            if i + 1 >= len(argv):
                raise UsageError("-m needs a module name")
            return opts, argv[i + 1], argv[i + 1:]
        if not a.startswith("-") or a == "-":
            break
        if a == "--no-default-secrets":
            opts["default_secrets"] = False
            i += 1
            continue
        key, eq, val = a.partition("=")
        name = {"-o": "out", "--out": "out", "--include": "include", "--exclude": "exclude",
                "--max-depth": "max_depth", "--max-items": "max_items",
                "--max-string": "max_string", "--secret": "secret", "--env": "env",
                "--parent": "parent", "--accelerator": "accelerator",
                "--max-backlog": "max_backlog"}.get(key)
        if name is None:
            raise UsageError("unknown option %s" % key)
        if not eq:
            i += 1
            if i >= len(argv):
                raise UsageError("%s needs a value" % key)
            val = argv[i]
        if name in ("include", "exclude", "secret", "env"):
            opts[name].append(val)
        elif name.startswith("max_") or name == "parent":
            try:
                opts[name] = int(val)
                if opts[name] < (0 if name == "parent" else 1):
                    raise ValueError
            except ValueError:
                raise UsageError("%s needs a positive number, not %r" % (key, val))
        elif name == "accelerator" and val not in accel.MODES:
            raise UsageError("--accelerator takes auto, on or off, not %r" % val)
        else:
            opts[name] = val
        i += 1
    if i >= len(argv):
        raise UsageError("no script to run")
    return opts, None, argv[i:]


def main(argv=None, dont_write_bytecode=None):
    """`dont_write_bytecode`: the program's own setting, given back before it runs, when the
    caller turned it off so the agent's modules are cached even where the environment says not
    to write bytecode (PYTHONDONTWRITEBYTECODE): otherwise each start compiles them all again."""
    argv = sys.argv[1:] if argv is None else argv
    if _AGENT_DIR_PARENT in sys.path:
        sys.path.remove(_AGENT_DIR_PARENT)
    try:
        opts, module, prog_argv = parse_args(argv)
    except UsageError as e:
        if e.args[0] is None:
            sys.stdout.write(USAGE)
            sys.exit(0)
        sys.stderr.write("rewind_agent: %s\n%s" % (e.args[0], USAGE.split("\n\n")[0] + "\n"))
        sys.exit(2)
    if module is None:
        script = prog_argv[0]
        if not os.path.isfile(script):
            # Python's own message and status for a script it cannot open.
            sys.stderr.write("%s: can't open file %r: [Errno 2] No such file or directory\n"
                             % (sys.executable, os.path.abspath(script)))
            sys.exit(2)
    try:
        fast, accelerator = accel.choose(opts["accelerator"])
    except accel.Unavailable as e:
        sys.stderr.write("rewind_agent: the C accelerator cannot be used: %s.\n" % e)
        sys.exit(2)
    try:
        writer = RawWriter(opts["out"], accel=fast)
    except OSError as e:
        sys.stderr.write("rewind_agent: cannot write %s: %s\n" % (opts["out"], e.strerror))
        sys.exit(2)
    config = Config(include=opts["include"], exclude=opts["exclude"],
                    max_depth=opts["max_depth"], max_items=opts["max_items"],
                    max_string=opts["max_string"],
                    secrets=(list(Config().secrets) if opts["default_secrets"] else []) + opts["secret"])
    rec = recorder_class(fast)(writer, config, Scope(config.include, config.exclude))
    session = _Session(rec, module, prog_argv, opts["env"], accelerator, opts["parent"], dont_write_bytecode)
    if opts["parent"] and opts["max_backlog"]:
        # A recorder reading alongside: the program waits for it, so it must still be there.
        # (Without one, the stream is indexed later: the program records on if it goes.)
        writer.follow(opts["max_backlog"], lambda: session.check_parent(opts["parent"]))
    fn, args = session.start()
    # The program runs from here, and the interpreter's end is handled as the interpreter
    # would: here, not a call deeper, since every frame of the agent's under the program's is
    # one less before the recursion limit, and one more in its stack.
    sys.dont_write_bytecode = session.dont_write_bytecode
    session.backend.start()
    try:
        fn(*args)
    except SystemExit as e:
        session.status = _exit_status(e.code)
        session.uncaught = None
        raise
    except BaseException as e:
        session._uncaught(e, e.__traceback__)
    session._exit()


_AGENT_DIR_PARENT = os.path.dirname(_AGENT_DIR)
# python -P or PYTHONSAFEPATH (3.11+): Python puts neither the script's folder nor the current
# one first on sys.path, so neither does the runner.
_SAFE_PATH = getattr(sys.flags, "safe_path", False)


def environment(allowed):
    """Every environment variable's name; its value only where an --env glob allows it, since
    values are often secrets (tokens, passwords in URLs)."""
    def text(s):  # names and values may hold undecodable bytes (surrogate escapes)
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")

    def allows(name):
        import fnmatch  # only for --env globs: it imports re, a tenth of the agent's start

        return any(fnmatch.fnmatchcase(name, g) for g in allowed)
    return {text(name): text(value) if allowed and allows(name) else None
            for name, value in sorted(os.environ.items())}


def _platform():
    """platform.platform() without its processor part: on Linux that part runs `uname -p` in a
    subprocess, which is most of the agent's start-up on 3.13."""
    libc = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else None
    if sys.platform.startswith("linux") and libc:
        u = os.uname()
        return "%s-%s-%s-with-%s" % (u.sysname, u.release, u.machine, libc.replace(" ", ""))
    import platform  # elsewhere only: a few ms of every start

    return platform.platform()


def choose_backend(rec):
    """The one place that picks a back end: sys.monitoring where it exists (3.12+)."""
    if sys.version_info >= (3, 12) and not os.environ.get("REWIND_FORCE_SETTRACE"):
        from .backend_monitoring import MonitoringBackend
        return MonitoringBackend(rec)
    from .backend_settrace import SettraceBackend
    return SettraceBackend(rec)


class _Session:
    def __init__(self, rec, module, argv, env_allowed=(), accelerator="off", parent=0, dont_write_bytecode=None):
        self.rec = rec
        self.parent = parent  # pid of the `rewind record` reading the stream, 0 if none
        self.accelerator = accelerator
        self.module = module
        self.argv = argv
        self.env_allowed = env_allowed
        self.status = 0
        self.uncaught = None
        self.sigint = False
        self.backend = choose_backend(rec)
        self.dont_write_bytecode = sys.dont_write_bytecode if dont_write_bytecode is None else dont_write_bytecode

    def start(self):
        """Says hello, takes the program's output and its place: (function, arguments) that
        run the program."""
        rec = self.rec
        rec._raw(wire.array([wire.uint(wire.HELLO), wire.uint(wire.VERSION), wire.plain({
            "argv": ([sys.executable, "-m"] if self.module else [sys.executable]) + self.argv,
            "cwd": os.getcwd(),
            "python": sys.version.split()[0],  # platform.python_version(), without importing platform
            "implementation": {"cpython": "CPython", "pypy": "PyPy"}.get(sys.implementation.name, sys.implementation.name),
            "platform": _platform(),
            "pid": os.getpid(),
            "start": time.time(),
            "backend": self.backend.name,
            "accelerator": self.accelerator,
            "module": self.module,
            "env": environment(self.env_allowed),
        })]))
        if hasattr(sys, "orig_argv"):  # 3.10+: the command line as if Python had run the program itself
            sys.orig_argv[:] = sys.orig_argv[:1] + (["-m"] if self.module else []) + self.argv
        # Registered before anything of the program's, so it runs after all of theirs.
        atexit.register(self._finish)
        _capture_output(rec)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forked)
        return self._script() if self.module is None else self._module()

    def _script(self):
        path = self.argv[0]
        sys.argv[:] = self.argv
        if not _SAFE_PATH:
            sys.path[0] = os.path.dirname(os.path.realpath(path))
        filename = os.path.abspath(path)
        with open(path, "rb") as f:
            source = f.read()
        try:
            code = compile(source, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            self._uncaught(e, None)
            self._exit()
        from importlib.machinery import SourceFileLoader
        g = _fresh_main()
        g.update(__name__="__main__", __doc__=None, __package__=None,
                 __loader__=SourceFileLoader("__main__", filename), __spec__=None,
                 __file__=filename, __cached__=None)
        return exec, (code, g)

    def _module(self):
        import runpy
        sys.argv[:] = ["-m"] + self.argv[1:]
        if not _SAFE_PATH:
            sys.path[0] = os.getcwd()
        _fresh_main()  # runpy fills __main__'s namespace without emptying it
        return runpy._run_module_as_main, (self.module, True)

    def _uncaught(self, e, tb):
        while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_AGENT_DIR):
            tb = tb.tb_next
        self.status = 1
        self.uncaught = self.rec.describe_exception(e)
        self.sigint = isinstance(e, KeyboardInterrupt)
        sys.last_type, sys.last_value, sys.last_traceback = type(e), e, tb
        if sys.version_info >= (3, 12):
            sys.last_exc = e
        try:
            sys.excepthook(type(e), e.with_traceback(tb), tb)
        except BaseException:
            sys.__excepthook__(type(e), e, tb)

    def _exit(self):
        raise SystemExit(self.status)

    def _forked(self):
        """In a child the program forked: it is not recorded. Its events would land in its
        parent's stream, amid the parent's own, and show a history that never was."""
        self.rec.enabled = False  # not under its lock, which a thread of the parent may have held
        try:
            self.backend.stop()
        except Exception:
            pass
        self.rec.w.detach()

    def check_parent(self, pid):
        """Run by `rewind record`: if the recorder is gone, carry on untraced."""
        if os.getppid() != pid:
            self.rec.w.abandon()
            # Unwinds out of the event being written; the back end's guard turns recording off.
            raise RuntimeError("the recorder is gone")

    def _finish(self):
        """Last atexit handler: after non-daemon threads and the program's own handlers."""
        rec = self.rec
        lost = self.backend.given_back()
        self.backend.stop()
        if lost and rec.enabled:
            rec.failure = lost[1]
            rec.warn(*lost)
        if self.sigint:
            import signal  # only here: it imports enum, a few ms of every start
        rec.finish(-signal.SIGINT if self.sigint else self.status, self.uncaught)
        if rec.failure and not self.parent:
            # Recorded by the agent alone: nobody else will say that the recording is incomplete.
            sys.stderr.write("rewind_agent: the recording is incomplete: %s\n" % rec.failure)
        if self.sigint:
            # An uncaught KeyboardInterrupt ends Python through SIGINT; so must we.
            for s in (sys.stdout, sys.stderr):
                try:
                    s.flush()
                except Exception:
                    pass
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)


_STARTING_NAMES = ("__name__", "__doc__", "__package__", "__loader__", "__spec__", "__annotations__",
                   "__builtins__")


def _fresh_main():
    """__main__'s namespace as Python starts it (those names, in its order), without what
    started the agent (boot.py, -c)."""
    import __main__
    g = __main__.__dict__
    start = [(k, v) for k, v in g.items() if k in _STARTING_NAMES]
    g.clear()
    g.update(start)
    return g


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    return 1


class _Tee(io.TextIOWrapper):
    """sys.stdout/sys.stderr as the program had them, also reporting each write."""

    # Not looked up in this module's globals, which the interpreter empties as it exits, while
    # finalizers may still print.
    _write = io.TextIOWrapper.write

    def write(self, s):
        n = self._write(s)
        rec = self._rewind_rec
        if rec.enabled and type(s) is str:
            try:
                rec.on_output(self._rewind_stream, s)
            except Exception:
                pass
        return n

    def __repr__(self):  # 3.13 names the type in it: the stream's own
        return repr(self._rewind_old)

    def __del__(self):
        # Never close: the buffer is the stream's it stands for (_rewind_old).
        try:
            self.flush()
        except Exception:
            pass


def _capture_output(rec):
    for attr, stream in (("stdout", 1), ("stderr", 2)):
        old = getattr(sys, attr)
        if type(old) is not io.TextIOWrapper:
            continue
        try:
            old.flush()
            # The recorder rides on a subclass, not on the instance: a recorded value that
            # reaches sys.stderr (a Thread keeps it) shows the stream, not the agent. It keeps
            # the stream it stands for, which would close their shared buffer if collected.
            tee_type = type("TextIOWrapper", (_Tee,), {"__slots__": (), "__module__": "_io", "_rewind_rec": rec,
                                                       "_rewind_stream": stream, "_rewind_old": old})
            tee = tee_type(old.buffer, encoding=old.encoding, errors=old.errors,
                       newline=None if os.name == "nt" else "\n",
                       line_buffering=old.line_buffering, write_through=old.write_through)
            tee.mode = getattr(old, "mode", "w")
        except Exception:
            continue
        setattr(sys, attr, tee)
        if getattr(sys, "__%s__" % attr) is old:  # as in a plain run, sys.stdout is sys.__stdout__
            setattr(sys, "__%s__" % attr, tee)
