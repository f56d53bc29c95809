"""The C accelerator (_accel*.c): compiled on first use, cached per interpreter build.

No pip and no network: the machine's C compiler and the running interpreter's headers (found
through sysconfig, imported only to build) build one shared library, kept in the user's cache
folder under a name that changes with the source, the interpreter and the compiler ($CC). Where it cannot be built, the
pure-Python agent runs and the reason is reported in one line.
"""

import os
import sys
# Imported with the agent, not when loading the accelerator: by then the program's folder is
# first on sys.path, and a module looked for there lists that folder (not importlib.util: ~1 ms).
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec

_HERE = os.path.dirname(os.path.realpath(__file__))
# The C sources: the .c files are compiled together, and all of them make the cache key.
_SOURCES = [os.path.join(_HERE, n) for n in
            ("_accel.c", "_accel_values.c", "_accel_values.h", "_accel_wire.h", "_accel_locals.h",
             "_accel_frames.h", "_accel_hash.h")]
MODES = ("auto", "on", "off")


class Unavailable(Exception):
    """The accelerator cannot be used here; the message says why, in one sentence."""


def cache_dir():
    base = os.environ.get("REWIND_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "rewind")
    return os.path.join(base, "accel")


def _sha256_type():
    """The interpreter's own sha256 (hashlib loads OpenSSL first, a few ms of every start),
    imported with the agent (as above)."""
    for name in ("_sha2", "_sha256") if sys.version_info >= (3, 12) else ("_sha256", "_sha2"):
        try:
            return __import__(name).sha256
        except ImportError:
            pass
    from hashlib import sha256
    return sha256


_sha256 = _sha256_type()


# The interpreters the accelerator was built and tested for. It reads their internals (frames,
# code objects), which change between versions: any other runs the pure-Python agent, which
# uses public APIs only. Add a version here only once the whole test suite passes on it.
TESTED = ((3, 11), (3, 12), (3, 13))


def _version():
    """The running interpreter's version; REWIND_ACCEL_PRETEND_VERSION (e.g. 3.14) lets a test
    pretend to be another."""
    pretend = os.environ.get("REWIND_ACCEL_PRETEND_VERSION")
    if pretend:
        return tuple(int(p) for p in pretend.split(".")[:2])
    return sys.version_info[:2]


def load():
    """The compiled module, building it first if needed. Raises Unavailable."""
    version = _version()
    if sys.implementation.name != "cpython" or version not in TESTED:
        raise Unavailable("it was built and tested for CPython %s, not %s %d.%d" % (
            " to ".join("%d.%d" % v for v in (TESTED[0], TESTED[-1])),
            sys.implementation.name, version[0], version[1]))
    sources = []
    for name in _SOURCES:
        try:
            with open(name, "rb") as f:
                sources.append(f.read())
        except OSError:
            raise Unavailable("its source %s is missing" % name)
    # The interpreter build (its version string names its date and compiler) stands for its
    # headers and its own compiler: reading them from sysconfig is a few ms of every start.
    key = _sha256(b"\0".join(sources + [
        sys.version.encode(), sys.executable.encode(), os.environ.get("CC", "").encode()])).hexdigest()[:20]
    folder = os.path.join(cache_dir(), key)
    path = os.path.join(folder, "_rewind_accel" + EXTENSION_SUFFIXES[0])  # sysconfig's EXT_SUFFIX
    if not os.path.exists(path):
        _build(folder, path)
    return _import(path)


def _build(folder, path):
    import sysconfig

    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    include = sysconfig.get_paths().get("include") or ""
    if not os.path.exists(os.path.join(include, "Python.h")):
        raise Unavailable("the interpreter's C headers are not installed (no Python.h in %s)"
                          % (include or "its include folder"))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise Unavailable("its cache folder %s cannot be written (%s)" % (folder, e.strerror))
    tmp = "%s.%d.tmp" % (path, os.getpid())
    cmd = cc + ["-shared", "-fPIC", "-O2", "-I" + include] + \
        [s for s in _SOURCES if s.endswith(".c")] + ["-o", tmp]
    try:
        status, output = _run(cmd)
    except OSError:
        raise Unavailable("no C compiler was found (%s)" % cc[0])
    if status != 0:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        first = output.decode("utf-8", "replace").strip().splitlines()[:1]
        raise Unavailable("the C compiler failed: %s" % (first[0] if first else "exit %d" % status))
    os.replace(tmp, path)  # atomic: a concurrent build or reader sees a whole file or none


def _run(cmd):
    """cmd's exit status and output (stdout and stderr). Not through subprocess, which would
    leave a dozen modules the program did not import in its sys.modules (re, signal, enum...)."""
    if not hasattr(os, "posix_spawnp"):
        raise OSError("no posix_spawnp")
    r, w = os.pipe()
    try:
        pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_DUP2, w, 2), (os.POSIX_SPAWN_CLOSE, r)])
    except BaseException:
        os.close(r)
        raise
    finally:
        os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks)


def _import(path):
    try:
        loader = ExtensionFileLoader("_rewind_accel", path)
        mod = loader.create_module(ModuleSpec("_rewind_accel", loader, origin=path))
        loader.exec_module(mod)
    except Exception as e:  # ImportError, or an OSError from a damaged cache entry
        raise Unavailable("the compiled accelerator %s does not load (%s)" % (path, e))
    return mod


def choose(mode):
    """(module or None, note): `off` never builds; `auto` falls back with a note saying why;
    `on` raises Unavailable."""
    if mode == "off":
        return None, "off"
    try:
        return load(), "on"
    except Unavailable as e:
        if mode == "on":
            raise
        return None, "unavailable: %s" % e
