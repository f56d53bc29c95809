# Recursion to the limit, caught: the recording after it must be in step (or, where the
# pure-Python agent's tracer cannot run at the limit, say loudly that it stopped).
def dive(n):
    return dive(n + 1)


try:
    dive(0)
except RecursionError:
    caught = True
after = 5  # @after
print("after", after)
