# Code that saves the tracer, turns it off and gives it back, as doctest and
# test.support.no_tracing do; and code that turns it off inside a frame that ends meanwhile.
import sys


def twice(n):
    t = n * 2  # @twice
    return t


def inner():
    sys.settrace(None)  # the tracer goes away in this frame, which returns meanwhile
    x = 1
    return x


def outer():
    saved = sys.gettrace()
    r = inner()
    sys.settrace(saved)
    y = r + twice(5)  # @resumed
    return y


saved = sys.gettrace()
sys.settrace(saved)  # doctest gives back what it got: nothing is missed
a = twice(1)
sys.settrace(None)
b = twice(2)  # not recorded under sys.settrace (3.11 and older)
sys.settrace(saved)
c = twice(3)  # @after_gap
d = outer()
print(a, b, c, d, callable(saved) or saved is None)
