"""Closures: nonlocal counters, decorators, lambdas."""


def make_counter():
    count = 0

    def bump(by=1):
        nonlocal count
        count += by  # @bump
        return count

    return bump


def logged(fn):
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        return fn(*args, **kwargs)

    wrapper.calls = calls
    return wrapper


@logged
def add(a, b):
    return a + b


c = make_counter()
c()
c(5)
adders = [lambda x, k=k: x + k for k in range(3)]
print(c(), add(2, 3), [f(10) for f in adders], len(add.calls))
