"""Coroutines: await, gather, async generators."""
import asyncio


async def double(x):
    await asyncio.sleep(0)
    return x * 2  # @double


async def ticks(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


async def main():
    a = await double(1)
    rest = await asyncio.gather(double(2), double(3))
    seen = [t async for t in ticks(3)]
    return a, rest, seen


print(asyncio.run(main()))
