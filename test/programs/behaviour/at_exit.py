"""What a program sees of its streams and of its objects' lifetimes, to the very end: recorded,
the same as in a plain run."""
import io
import sys
import weakref

print("streams", sys.stdout is sys.__stdout__, sys.stderr is sys.__stderr__,
      type(sys.stdout).__name__, type(sys.stdout).__module__, isinstance(sys.stdout, io.TextIOWrapper))
print("repr", repr(sys.stdout))


class Thing:
    pass


def make():
    t = Thing()
    t.items = [1, 2]
    return weakref.ref(t)


r = make()
print("a function's local goes once the caller goes on", r() is None)
g = Thing()
rg = weakref.ref(g)
del g
print("a deleted global goes", rg() is None)
box = {"k": Thing()}
rk = weakref.ref(box["k"])
box["k"] = 1
print("a replaced dict value goes", rk() is None)


class Last:
    """Freed as the interpreter exits, while the module's globals are still there."""

    def __del__(self):
        sys.stdout.write("a global's finalizer runs at exit, %s\n" % type(sys).__name__)


last = Last()
sys.stdout = sys.__stdout__  # undoing a redirection: output still goes where it went
print("done")
