"""Recursion: factorial, mutual recursion, a tree walk."""


def fact(n):
    if n <= 1:  # @fact-base
        return 1
    return n * fact(n - 1)  # @fact-rec


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def depth(tree):
    if not tree:
        return 0
    return 1 + max(depth(child) for child in tree)


total = 0
for i in range(6):
    total += fact(i)  # @total
print("total", total, is_even(7), depth([[[]], [[], [[]]]]))
