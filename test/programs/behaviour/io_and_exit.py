import enum
import os
import sys


class Pair(enum.Enum):  # enum stops a generator of its own early here: PY_THROW out of scope
    ONE = (enum.auto(), 2)


print("argv", sys.argv[1:], "name", __name__, "file", os.path.basename(__file__))
print("path0", sys.path[0] == os.path.dirname(os.path.realpath(__file__)))
print("to stderr", file=sys.stderr)
for line in sys.stdin:
    print("echo", line.rstrip())
sys.stdout.write("no newline")
mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
if mode == "exit3":
    sys.exit(3)
if mode == "exitmsg":
    sys.exit("fatal: bad config")
if mode == "raise":
    def fail(x):
        return {}[x]
    fail("key")
if mode == "os_exit":
    sys.stdout.flush()
    os._exit(4)
if mode == "sigterm":
    import signal
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGTERM)
if mode == "interrupt":
    raise KeyboardInterrupt
