"""The replay benchmark's program: about 10.5 million events. `counter` changes about 1.3
million times; `step`'s `x = ...` line is hot (1.5 million hits); the `hits` line is a
breakpoint that hits every seventh call."""


def step(state, i):
    x = i * 3 % 7
    if x == 5:
        state["hits"] += 1  # @rare
    return x


def main(n):
    state = {"hits": 0}
    counter = 0
    for i in range(n):
        counter += step(state, i)  # @loop
    return counter, state


print(main(1_500_000))
