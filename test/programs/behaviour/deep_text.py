# A recursion that passes the same long string (and list) down every frame, as a recursive
# parser passes its input: every snapshot of the deep part holds them once per frame.
import sys

sys.setrecursionlimit(10000)
TEXT = "".join(chr(97 + i % 26) for i in range(600))
ITEMS = list(range(100))


def down(text, items, depth, acc):
    here = text[depth % 500:depth % 500 + 5]
    if depth == 0:
        for i in range(3000):
            acc += (len(text) + items[i % 100] + i) % 7
        return acc
    return down(text, items, depth - 1, acc + len(here))


print(down(TEXT, ITEMS, 3000, 0))
