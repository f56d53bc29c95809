def double(x):
    """
    >>> double(2)
    4
    >>> double(-1)
    -2
    """
    y = x * 2  # @double
    return y


def broken(x):
    """
    >>> broken(1)
    2
    """
    return x
