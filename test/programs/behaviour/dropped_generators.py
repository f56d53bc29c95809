"""Generators dropped while suspended at a yield outside any try: 3.11 closes them without
running them, so no event says their frames ended. Their frames' memory comes back for frames
of other code, here the standard library's (out of scope), which raise and return: those must
not be taken for the dropped generators' frames."""
import json


def numbers():
    n = 0
    while True:
        yield n
        n += 1


def drop_some(k):
    gens = [numbers() for _ in range(k)]
    return sum(next(g) for g in gens)  # each one suspended, then freed with the list


def parse_badly(texts):
    bad = 0
    for t in texts:
        try:
            json.loads(t)  # raises inside the standard library
        except ValueError:
            bad += 1
    return bad


total = 0
for round_ in range(5):
    total += drop_some(40)
    total += parse_badly(["[1, 2", "{", "tru", "[1]", "\"x"] * 20)
print(total)
