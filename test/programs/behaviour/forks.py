"""A program that forks: its children are not recorded (their events would land in the
parent's stream); the parent's recording is its own history, whichever way a child ends."""
import os
import sys


def work(tag, n):
    total = 0
    for i in range(n):
        total += i
    return total


for how in ("os._exit", "sys.exit"):
    pid = os.fork()
    if pid == 0:
        print("child", how, work("child", 3000))
        sys.stdout.flush()
        if how == "os._exit":
            os._exit(0)
        sys.exit(0)  # through atexit, as the parent would
    os.waitpid(pid, 0)
print("parent", work("parent", 3000))
