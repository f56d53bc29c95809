# Many events that cost the indexer more than the agent (a generator's every yield is a run
# record): a test signals the recorder once the program is over, while it indexes the rest.
import sys


def numbers(n):
    for i in range(n):
        yield i


total = 0
for x in numbers(int(sys.argv[2]) if len(sys.argv) > 2 else 1000000):
    total += x
with open(sys.argv[1], "w") as f:
    f.write("done %d" % total)  # @done
