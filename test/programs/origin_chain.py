"""A wrong value that travels: through three functions, a list, an attribute and a return value."""


class Order:
    def __init__(self):
        self.discount = 0.0


def read_rate(raw):
    rate = raw / 10  # @rate (the bug: a percentage is divided by 10)
    return rate  # @return-rate


def scale(rate, factor):
    scaled = rate * factor  # @scaled
    return scaled  # @return-scaled


def store(rates, value):
    rates[0] = value  # @store


def apply(order, rates):
    order.discount = rates[0]  # @apply


rates = [0.0]
raw = 25  # @raw
r = read_rate(raw)  # @call-read
s = scale(r, 2)  # @call-scale
store(rates, s)  # @call-store
o = Order()
apply(o, rates)  # @call-apply
print(o.discount)  # @print
