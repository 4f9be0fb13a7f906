# Typical mistake: the sigmoid written as e^x / (1 + e^x) overflows to inf / inf = nan for x > ~709.
import numpy as np


def predict_y(X, w):
    return X @ w


def sigmoid(x):
    return np.exp(x) / (1 + np.exp(x))


def log_likelihood(X, y, w):
    z = X @ w
    return np.sum(y * z - np.logaddexp(0, z))


def gradient_step(X, y, w, alpha):
    return w + alpha * X.T @ (y - sigmoid(X @ w))


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(X.shape[1]) if initial_weights is None else np.array(initial_weights, dtype=float)
    for _ in range(max_iterations):
        w = gradient_step(X, y, w, alpha)
    return w
