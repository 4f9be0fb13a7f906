# Typical mistakes: a `return` inside the restart loop (the first start's minimum comes back),
# and the derivative of the RSS with its sign flipped.
import numpy as np


def rss(m, X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(np.dot(y - m * X, y - m * X))


def rss_derivative(m, X, y):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(2 * np.sum(X * (y - m * X)))


def gradient_descent(grad, start, alpha, max_iterations, precision):
    x = float(start)
    for _ in range(max_iterations):
        step = alpha * grad(x)
        x -= step
        if abs(step) < precision:
            break
    return x


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    best = None
    for s in starts:
        end = gradient_descent(grad, s, alpha, max_iterations, 1e-8)
        if best is None or f(end) < f(best):
            best = end
        return best
