"""Exceptions: raised and caught, propagated, re-raised, finally, chained."""


class AppError(Exception):
    pass


def parse(s):
    return int(s)  # @parse


def safe_parse(s):
    try:
        return parse(s)
    except ValueError as e:
        return -1


def outer():
    try:
        inner()
    finally:
        cleanup = True


def inner():
    raise AppError("deep")  # @raise


results = [safe_parse(x) for x in ["1", "x", "3"]]
try:
    outer()
except AppError as err:
    caught = str(err)
try:
    try:
        {}["missing"]
    except KeyError as ke:
        raise AppError("wrapped") from ke
except AppError:
    pass
print(results, caught)
