def twice(x):
    y = x * 2
    return y
