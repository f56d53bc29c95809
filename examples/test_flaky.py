"""A test that fails now and then: the discount is drawn at random (SEED fixes the draw).

    SEED=1 python3 -m unittest examples/test_flaky.py    # passes
    SEED=9 python3 -m unittest examples/test_flaky.py    # fails
"""
import os
import random
import unittest


def pick_discount(rng):
    return rng.choice([0.0, 0.1, 0.25, 1.0])  # 1.0: a free order, the case nobody thought of


def net_unit_price(total, units, discount):
    net = total * (1 - discount)
    paid_units = units * (1 - discount)  # the bug: a discount is not a share of the units
    return net / paid_units


class TestPrice(unittest.TestCase):
    def test_net_unit_price(self):
        rng = random.Random(int(os.environ.get("SEED", random.randrange(1000))))
        discount = pick_discount(rng)
        price = net_unit_price(120.0, 4, discount)
        self.assertEqual(price, 30.0)


if __name__ == "__main__":
    unittest.main()
