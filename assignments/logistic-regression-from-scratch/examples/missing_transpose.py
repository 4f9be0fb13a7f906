# Typical mistake: X.dot(error) where the gradient needs X^T (y - p): fails for any non-square X.
import numpy as np
from scipy.special import expit


def predict_y(X, w):
    return np.dot(X, w)


def sigmoid(x):
    return expit(x)


def log_likelihood(X, y, w):
    z = np.dot(X, w)
    return np.sum(y * z - np.logaddexp(0, z))


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    error_vector = np.asarray(y, dtype=float) - sigmoid(np.dot(X, w))
    return w + alpha * X.dot(error_vector)


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(X.shape[1]) if initial_weights is None else np.array(initial_weights, dtype=float)
    for _ in range(max_iterations):
        error_vector = y - sigmoid(np.dot(X, w))
        w = w + alpha * X.dot(error_vector)
    return w
