def counter():
    count = 0

    def bump(step):
        nonlocal count
        count += step  # @bump
        return count
    return bump


b = counter()
b(1)
b(2)
