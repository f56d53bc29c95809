# A pytest suite with every outcome: passed, failed, error (in a fixture), skipped,
# parametrized; and a doctest module (shop.py, with --doctest-modules).
import pytest

from shop import total


@pytest.fixture
def cart():
    return [("pen", 2, 1.5), ("ink", 1, 4.0)]


@pytest.fixture
def broken():
    raise RuntimeError("fixture failed")


def test_total(cart):
    assert total(cart) == 7.0


def test_wrong_total(cart):
    expected = 8.0
    assert total(cart) == expected  # @failing


def test_uses_broken(broken):
    assert broken


@pytest.mark.skip(reason="not today")
def test_skipped():
    assert False


@pytest.mark.parametrize("qty,price,want", [(1, 2.0, 2.0), (3, 1.0, 3.0), (2, 2.5, 5.0)])
def test_param(qty, price, want):
    assert total([("x", qty, price)]) == want
