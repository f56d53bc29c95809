"""Classes: attributes mutated through self, properties, slots, inheritance, dataclasses."""
from dataclasses import dataclass, field


class Account:
    def __init__(self, owner):
        self.owner = owner
        self.balance = 0
        self.history = []

    def deposit(self, amount):
        self.balance += amount  # @deposit
        self.history.append(("deposit", amount))

    @property
    def rich(self):
        return self.balance > 100


class Savings(Account):
    def deposit(self, amount):
        super().deposit(amount * 2)


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


@dataclass
class Cart:
    items: list = field(default_factory=list)

    def add(self, name, price):
        self.items.append((name, price))


acct = Savings("ann")
for amount in (10, 50, 70):
    acct.deposit(amount)
p = Point(1, 2)
p.x += 10
cart = Cart()
cart.add("pen", 1.5)
print(acct.balance, acct.rich, p.x, cart)
