def total(items):
    """
    >>> total([("a", 2, 1.0)])
    2.0
    """
    s = 0.0
    for _, qty, price in items:
        s += qty * price  # @add
    return s
