"""A small order-processing script with a bug, for trying Rewind.

Run it plain (`python3 examples/orders.py`) and it crashes with a ZeroDivisionError far from
its cause. Record it (`rewind record examples/orders.py`) and walk back to where the bad value
came from.
"""


class Order:
    def __init__(self, customer, items):
        self.customer = customer
        self.items = items  # [(name, quantity, unit price)]
        self.discount = 0.0

    def total(self):
        gross = sum(qty * price for _, qty, price in self.items)
        return gross * (1 - self.discount)


def apply_promotions(orders, codes):
    for order in orders:
        code = codes.get(order.customer)
        if code == "HALF":
            order.discount = 0.5
        elif code == "FREE":
            order.discount = 1.0  # the bug: a free order makes the average price divide by zero


def average_unit_price(order):
    units = sum(qty for _, qty, _ in order.items)
    return order.total() / (units * (1 - order.discount))


def report(orders):
    lines = []
    for order in orders:
        lines.append("%-6s %8.2f %6.2f" % (order.customer, order.total(), average_unit_price(order)))
    return "\n".join(lines)


orders = [
    Order("ann", [("pen", 3, 1.5), ("pad", 1, 4.0)]),
    Order("bob", [("ink", 2, 7.25)]),
    Order("cyd", [("pen", 10, 1.5), ("ink", 1, 7.25), ("pad", 2, 4.0)]),
]
apply_promotions(orders, {"bob": "HALF", "cyd": "FREE"})
print(report(orders))
