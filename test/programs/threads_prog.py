"""Threads: two workers filling their own lists, a lock, a shared counter."""
import threading

lock = threading.Lock()
shared = {"n": 0}


def work(name, n, out):
    for i in range(n):
        out.append((name, i))  # @append
        with lock:
            shared["n"] += 1


results = {"a": [], "b": []}
threads = [threading.Thread(target=work, args=(k, 3, v), name="worker-" + k) for k, v in results.items()]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(shared["n"], len(results["a"]), len(results["b"]))
