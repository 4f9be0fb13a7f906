"""Alternative correct style: scipy's expit, the log-sigmoid form of the likelihood, and a
grad_desc that also returns the log-likelihood history (weights, history)."""

import numpy as np
from scipy.special import expit


def predict_y(X, w):
    return np.dot(np.asarray(X, dtype=float), np.asarray(w, dtype=float))


def sigmoid(x):
    return expit(x)


def log_likelihood(X, y, w):
    z = predict_y(X, w)
    y = np.asarray(y, dtype=float)
    # log(sigma(z)) = -logaddexp(0, -z) and log(1 - sigma(z)) = -logaddexp(0, z): both finite
    return float(-np.sum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)))


def gradient_step(X, y, w, alpha):
    X = np.asarray(X, dtype=float)
    error = np.asarray(y, dtype=float) - sigmoid(predict_y(X, w))
    gradient = np.dot(error, X)  # the same as X.T @ error
    return w + alpha * gradient


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(X.shape[1]) if initial_weights is None else np.asarray(initial_weights, dtype=float)
    history = []
    for _ in range(max_iterations):
        w = gradient_step(X, y, w, alpha)
        history.append(log_likelihood(X, y, w))
    return w, np.array(history)
