"""Alternative correct style: pandas operations for the RSS, gradient_descent returning
(point, path), and restarts chosen with min(..., key=f)."""

import numpy as np
import pandas as pd


def rss(m, X, y):
    X = pd.Series(np.asarray(X, dtype=float))
    y = pd.Series(np.asarray(y, dtype=float))
    return float(((y - m * X) ** 2).sum())


def rss_derivative(m, X, y):
    X = pd.Series(np.asarray(X, dtype=float))
    y = pd.Series(np.asarray(y, dtype=float))
    return float(-2 * (X * (y - m * X)).sum())


def gradient_descent(grad, start, alpha, max_iterations, precision):
    path = [start]
    x = start
    while len(path) <= max_iterations:
        step = alpha * grad(x)
        x = x - step
        path.append(x)
        if abs(step) < precision:
            break
    return x, np.array(path, dtype=float)


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    ends = [gradient_descent(grad, s, alpha, max_iterations, 1e-8)[0] for s in starts]
    return min(ends, key=f)  # min keeps the first of equal values
