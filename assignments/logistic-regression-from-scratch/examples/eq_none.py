# Typical mistake: `initial_weights == None` compares elementwise when an array is passed, and
# `if` on that array raises "The truth value of an array with more than one element is ambiguous".
import numpy as np
from scipy.special import expit


def predict_y(X, w):
    return np.dot(X, w)


def sigmoid(x):
    return expit(x)


def log_likelihood(X, y, w):
    z = np.dot(X, w)
    return float(np.sum(y * z - np.logaddexp(0, z)))


def gradient_step(X, y, w, alpha):
    return w + alpha * np.dot(np.transpose(X), y - sigmoid(np.dot(X, w)))


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if initial_weights == None:  # noqa: E711 - the mistake this sample exercises
        initial_weights = np.ones(X.shape[1])
    weights = np.array(initial_weights, dtype=float)
    for _ in range(max_iterations):
        weights = gradient_step(X, y, weights, alpha)
    return weights
