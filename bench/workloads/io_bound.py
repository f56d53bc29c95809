"""I/O-bound: write and read back files, small amounts of Python per system call."""
import os
import tempfile

d = tempfile.mkdtemp()
total = 0
for i in range(2000):
    path = os.path.join(d, "f%d.txt" % i)
    with open(path, "w") as f:
        f.write("line %d\n" % i * 50)
    with open(path) as f:
        total += len(f.read())
    os.remove(path)
os.rmdir(d)
print(total)
