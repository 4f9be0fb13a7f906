# Typical mistake: in-place updates (`w += ...`) change the caller's weights array.
import numpy as np
from scipy.special import expit


def predict_y(X, w):
    return np.asarray(X) @ w


def sigmoid(x):
    return expit(x)


def log_likelihood(X, y, w):
    z = predict_y(X, w)
    return float(np.sum(y * z - np.logaddexp(0, z)))


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    w += alpha * X.T @ (np.asarray(y) - sigmoid(X @ w))
    return w


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if initial_weights is None:
        initial_weights = np.ones(X.shape[1])
    weights = initial_weights  # not a copy: the steps below update the caller's array
    for _ in range(max_iterations):
        weights = gradient_step(X, y, weights, alpha)
    return weights
