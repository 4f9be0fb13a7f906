# Typical mistakes: the mean of the squared residuals (MSE) instead of their sum, and
# x + alpha * grad(x) (climbing) in gradient_descent.
import numpy as np


def rss(m, X, y):
    return float(np.mean((np.asarray(y) - m * np.asarray(X)) ** 2))


def rss_derivative(m, X, y):
    X = np.asarray(X)
    y = np.asarray(y)
    return float(-2 * np.sum(X * (y - m * X)))


def gradient_descent(grad, start, alpha, max_iterations, precision):
    x = start
    for _ in range(max_iterations):
        new_x = x + alpha * grad(x)
        done = abs(new_x - x) < precision
        x = new_x
        if done:
            break
    return x


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    ends = [gradient_descent(grad, s, alpha, max_iterations, 1e-8) for s in starts]
    values = [f(e) for e in ends]
    return ends[int(np.argmin(values))]
