"""What a program sees of how it was started: run as a script and with -m, plain and recorded."""
import os
import sys

print("names", list(globals()))
print("annotations", globals().get("__annotations__", "none"), "spec", __spec__ and __spec__.name)
print("path0", sys.path[0] == os.path.dirname(os.path.realpath(__file__)), "argv", sys.argv[1:])
print("main", sys.modules["__main__"] is sys.modules[__name__], "loader", type(__loader__).__name__)
# The agent imports nothing a small program would not (re, enum: several ms of every start),
# nor, with sys.monitoring, threading (gevent patches it before anything imports it).
watched = ("re", "enum", "fnmatch", "signal", "importlib.util") + (("threading",) if sys.version_info >= (3, 12) else ())
print("modules", sorted(m for m in watched if m in sys.modules))
print("orig_argv", getattr(sys, "orig_argv", None))
