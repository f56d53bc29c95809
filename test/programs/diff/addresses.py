"""Values that differ between runs only by object addresses: runs must not differ."""


class Token:
    pass


t = Token()
label = repr(t)  # '<__main__.Token object at 0x...>'
names = [repr(object()) for _ in range(2)]
print(len(label), len(names))
