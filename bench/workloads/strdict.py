"""Strings and dicts: word counting, formatting, joining."""

WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu " * 20).split()


def count(words):
    counts = {}
    for w in words:
        key = w.upper()
        counts[key] = counts.get(key, 0) + 1
    return counts


def render(counts):
    parts = []
    for k in sorted(counts):
        parts.append("%s=%d" % (k, counts[k]))
    return ", ".join(parts)


out = ""
for i in range(1500):
    out = render(count(WORDS))
print(len(out))
