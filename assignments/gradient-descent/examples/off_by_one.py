# Typical mistake: the iteration counter allows max_iterations + 1 steps (`<=` instead of `<`).
import numpy as np


def rss(m, X, y):
    return np.sum((np.asarray(y) - m * np.asarray(X)) ** 2)


def rss_derivative(m, X, y):
    X = np.asarray(X)
    return -2 * np.sum(X * (np.asarray(y) - m * X))


def gradient_descent(grad, start, alpha, max_iterations, precision):
    x = start
    iters = 0
    while iters <= max_iterations:
        new_x = x - alpha * grad(x)
        if abs(new_x - x) < precision:
            return new_x
        x = new_x
        iters += 1
    return x


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    ends = np.array([gradient_descent(grad, s, alpha, max_iterations, 1e-8) for s in starts])
    return ends[np.argmin([f(e) for e in ends])]
