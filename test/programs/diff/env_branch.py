"""Takes another path when MODE is 'fast': runs differ by control flow."""
import os


def price(qty):
    if os.environ.get("MODE") == "fast":  # @check
        return qty * 2  # @fast
    unit = 3  # @slow
    return qty * unit


total = 0
for q in (1, 2):
    total += price(q)
print(total)
