"""Dicts keep insertion order whatever PYTHONHASHSEED is: runs must not differ."""
words = ["pear", "apple", "fig", "kiwi"]
counts = {}
for w in words:
    counts[w] = len(w)
index = {w: i for i, w in enumerate(words)}
print(list(counts), index)
