# An exception raised inside a comprehension and never caught (3.12+ inlines comprehensions
# and runs a clean-up line before re-raising).
def ratios(xs):
    return [1 / x for x in xs]  # @raise


def safe(xs):
    try:
        return ratios(xs)
    finally:
        done = True  # @finally


safe([1, 0])
