# Typical mistake: the gradient averaged over observations (divided by n) instead of summed.
import numpy as np


def predict_y(X, w):
    return np.asarray(X, dtype=float).dot(w)


def sigmoid(x):
    return np.exp(-np.logaddexp(0, -np.asarray(x, dtype=float)))


def log_likelihood(X, y, w):
    z = predict_y(X, w)
    return float(np.sum(np.asarray(y) * z - np.logaddexp(0, z)))


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    gradient = X.T @ (y - sigmoid(X @ w)) / len(y)
    return w + alpha * gradient


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(X.shape[1]) if initial_weights is None else np.asarray(initial_weights, dtype=float)
    for _ in range(max_iterations):
        w = gradient_step(X, y, w, alpha)
    return w
