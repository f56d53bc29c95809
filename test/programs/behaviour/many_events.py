# Many events with a big value changing at each (the agent writes them much faster than they
# are indexed): a test signals the recorder once the program is over, while it indexes the rest.
import sys

table = {}
for i in range(200000):
    table[i % 100] = i
with open(sys.argv[1], "w") as f:
    f.write("done %d" % len(table))  # @done
