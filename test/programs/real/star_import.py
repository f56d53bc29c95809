# A star import at module level: the names it binds are recorded, and so is what follows.
from os.path import *  # @star
base = basename("/tmp/report.txt")  # @after
parts = splitext(base)
print(parts)
