"""Float loops: numeric integration and a Mandelbrot tile."""


def integrate(n):
    total = 0.0
    dx = 1.0 / n
    for i in range(n):
        x = (i + 0.5) * dx
        total += 4.0 / (1.0 + x * x)
    return total * dx


def mandel(size, iters):
    count = 0
    for py in range(size):
        for px in range(size):
            cr = px * 3.0 / size - 2.0
            ci = py * 2.0 / size - 1.0
            zr = zi = 0.0
            k = 0
            while k < iters and zr * zr + zi * zi < 4.0:
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                k += 1
            count += k
    return count


print(integrate(1000000), mandel(120, 40))
