# Alternative correct style: explicit loops over observations and features, math.exp per number.
import math

import numpy as np


def predict_y(X, w):
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    z = np.zeros(n)
    for i in range(n):
        total = 0.0
        for j in range(d):
            total += X[i, j] * w[j]
        z[i] = total
    return z


def _sigmoid_number(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def sigmoid(x):
    if np.ndim(x) == 0:
        return _sigmoid_number(float(x))
    x = np.asarray(x, dtype=float)
    out = np.empty(x.shape)
    for index, value in np.ndenumerate(x):
        out[index] = _sigmoid_number(value)
    return out


def _log1p_exp(v):
    # log(1 + e^v) without overflow
    if v > 0:
        return v + math.log1p(math.exp(-v))
    return math.log1p(math.exp(v))


def log_likelihood(X, y, w):
    z = predict_y(X, w)
    total = 0.0
    for i in range(len(z)):
        total += y[i] * z[i] - _log1p_exp(z[i])
    return total


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    p = sigmoid(predict_y(X, w))
    new_w = np.array(w, dtype=float)
    for j in range(d):
        g = 0.0
        for i in range(n):
            g += (y[i] - p[i]) * X[i, j]
        new_w[j] = w[j] + alpha * g
    return new_w


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if initial_weights is None:
        w = [1.0] * X.shape[1]
    else:
        w = [float(v) for v in initial_weights]
    w = np.array(w)
    for _ in range(max_iterations):
        w = gradient_step(X, y, w, alpha)
    return w
