"""Equal code objects are different code: the same function at the same line of two files (code
equality ignores the file), and a module imported afresh."""
import sys

import twin_a
import twin_b

a = twin_a.twice(1)
b = twin_b.twice(2)
del sys.modules["twin_a"]
import twin_a as fresh  # noqa: E402  (a new module object, with code equal to the first's)

c = fresh.twice(3)
print(a, b, c)
