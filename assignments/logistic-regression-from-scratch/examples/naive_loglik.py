# Typical mistake: the log-likelihood as y log(p) + (1 - y) log(1 - p) with p = sigmoid(z):
# for logits of a few hundred p is exactly 1.0 or 0.0, log(0) = -inf and 0 * -inf = nan.
import numpy as np


def predict_y(X, w):
    return np.asarray(X, dtype=float) @ np.asarray(w, dtype=float)


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out if out.ndim else float(out)


def log_likelihood(X, y, w):
    p = sigmoid(predict_y(X, w))
    y = np.asarray(y, dtype=float)
    return float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    return np.asarray(w, dtype=float) + alpha * X.T @ (np.asarray(y, dtype=float) - sigmoid(X @ w))


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    w = np.ones(np.shape(X)[1]) if initial_weights is None else np.asarray(initial_weights, float)
    for _ in range(max_iterations):
        w = gradient_step(X, y, w, alpha)
    return w
