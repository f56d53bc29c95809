"""Which source files are recorded.

By default every file except the standard library, installed packages (site-packages,
dist-packages), the agent itself and code without a file ('<frozen ...>', '<string>'), but
with doctests' examples ('<doctest ...>').
--include globs add files back, --exclude globs take files out; exclude wins.
"""

import os

_AGENT_DIR = os.path.dirname(os.path.realpath(__file__)) + os.sep
_STDLIB_DIR = os.path.dirname(os.path.realpath(os.__file__)) + os.sep
_PACKAGE_PARTS = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)


# For tests: the agent fails, as on an internal error, when it first meets a file whose path
# ends with this (how a failure is reported is tested on real processes).
_FAULT = os.environ.get("REWIND_AGENT_FAULT")


class Scope:
    def __init__(self, include=(), exclude=()):
        self.include = list(include)
        self.exclude = list(exclude)

    def wants(self, path):
        """`path` is an absolute filename (or a '<...>' pseudo-name)."""
        if _FAULT and path.endswith(_FAULT):
            raise RuntimeError("fault injected by REWIND_AGENT_FAULT")
        if path.startswith(_AGENT_DIR):
            return False
        if self.exclude and _matches(path, self.exclude):
            return False
        if self.include and _matches(path, self.include):
            return True
        if path.startswith("<"):
            return path.startswith("<doctest ")  # a doctest's examples are the user's code
        real = os.path.realpath(path)
        if real.startswith(_STDLIB_DIR) or path.startswith(_STDLIB_DIR):
            return False
        return not any(p in path or p in real for p in _PACKAGE_PARTS)


def _matches(path, globs):
    import fnmatch  # only where globs are given: it imports re, a tenth of the agent's start

    return any(fnmatch.fnmatch(path, g) for g in globs)
