"""Object-heavy: small classes, attribute updates through self, method calls."""


class Vec:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def add(self, other):
        return Vec(self.x + other.x, self.y + other.y)


class Particle:
    def __init__(self, i):
        self.pos = Vec(i, i * 2)
        self.vel = Vec(1, -1)
        self.steps = 0

    def step(self):
        self.pos = self.pos.add(self.vel)
        self.steps += 1


particles = [Particle(i) for i in range(20)]
for _ in range(3000):
    for p in particles:
        p.step()
print(sum(p.pos.x for p in particles), particles[0].steps)
