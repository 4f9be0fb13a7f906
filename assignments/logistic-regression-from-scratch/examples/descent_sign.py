# Typical mistake: gradient DESCENT on the log-likelihood (w - alpha * gradient) where ascent is asked.
import numpy as np
from scipy.special import expit


def predict_y(X, w):
    return np.asarray(X) @ np.asarray(w)


def sigmoid(x):
    return expit(x)


def log_likelihood(X, y, w):
    z = predict_y(X, w)
    return float(np.sum(y * z - np.logaddexp(0, z)))


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    gradient = X.T @ (np.asarray(y) - sigmoid(X @ w))
    return w - alpha * gradient


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(X.shape[1]) if initial_weights is None else np.asarray(initial_weights, dtype=float)
    for _ in range(max_iterations):
        w = gradient_step(X, y, w, alpha)
    return w
