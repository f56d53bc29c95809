"""Two threads append to one list in the order ORDER says ('ab' or 'ba'): a thread
interleaving made to happen, as a flaky race would by chance."""
import os
import threading

order = os.environ.get("ORDER", "ab")
log = []
turn = {name: threading.Event() for name in "ab"}


def work(name):
    turn[name].wait(30)
    log.append(name)  # @append
    nxt = order[order.index(name) + 1:]
    if nxt:
        turn[nxt].set()


threads = [threading.Thread(target=work, args=(n,), name="worker-" + n) for n in "ab"]
for t in threads:
    t.start()
turn[order[0]].set()
for t in threads:
    t.join()
print(log)
