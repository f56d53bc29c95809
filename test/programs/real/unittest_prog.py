# A test runner that is not recorded calls the tests and catches their exceptions.
import unittest


def check(x):
    assert x > 0, "x must be positive"  # @check
    return x


class Checks(unittest.TestCase):
    def test_bad(self):
        check(-1)  # @bad

    def test_good(self):
        check(1)  # @good


if __name__ == "__main__":
    unittest.main()
