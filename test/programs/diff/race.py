"""A real race: two threads read a counter, sometimes lose the processor, then write it back.
When one is preempted between its read and its write, an update is lost and the check fails:
a flaky test, failing about one run in three."""
import random
import threading
import time

counter = 0


def bump():
    global counter
    seen = counter  # @read
    if random.random() < 0.2:
        time.sleep(0.002)  # preempted here, sometimes
    counter = seen + 1  # @write


threads = [threading.Thread(target=bump, name="worker-%d" % i) for i in (1, 2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert counter == 2, "lost an update: counter is %d" % counter
print("ok")
