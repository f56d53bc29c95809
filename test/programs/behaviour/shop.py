"""Replay transcripts: a loop, a method that mutates its object, a caught and an uncaught error."""


class Cart:
    def __init__(self):
        self.items = []
        self.total = 0

    def add(self, name, price, qty=1):
        self.items.append((name, price, qty))  # @append
        self.total += price * qty  # @add-total
        return self.total


def checkout(cart, budget):
    spent = 0  # @spent-init
    for name, price, qty in cart.items:
        spent += price * qty  # @spend
    if spent > budget:  # @check
        raise ValueError("over budget by %d" % (spent - budget))  # @raise
    return spent


cart = Cart()  # @make-cart
for i, (name, price) in enumerate([("pen", 3), ("ink", 7), ("pad", 4)]):
    cart.add(name, price, qty=i + 1)  # @call-add
print("total", cart.total)  # @print
try:
    checkout(cart, 20)  # @first-checkout
except ValueError:
    pass

checkout(cart, 10)  # @crash
