# Module globals changed by functions: rebound (`global`), deleted, changed in place through
# their name, a secret's value, and another module's globals changed by its own functions.
import globals_helper

COUNT = 0
CACHE = {}
LATER = "soon"
SESSION_TOKEN = None


def bump(step):
    global COUNT
    COUNT += step  # @bump


def remember(key, value):
    CACHE[key] = value  # @remember
    return len(CACHE)


def forget_later():
    global LATER
    del LATER


def login():
    global SESSION_TOKEN
    SESSION_TOKEN = "tok-" + "4242"


def main():
    for i in range(3):
        bump(i)
    before = len(CACHE)  # @before-remember
    remember("a", 1)
    forget_later()
    login()
    globals_helper.register("x")
    for _ in range(3000):  # enough events for the state to come from snapshots
        bump(1)
    total = COUNT + len(CACHE)  # @total
    print(COUNT, CACHE, globals_helper.REGISTRY, globals_helper.CALLS, before, total)


main()
