# Typical mistake: the sample standard deviation (ddof=1) instead of the MLE (ddof=0).
import numpy as np


def bernoulli_log_likelihood(p, flips):
    flips = np.asarray(flips)
    k = flips.sum()
    n = len(flips)
    ll = 0.0
    if k > 0:
        ll += k * np.log(p)
    if k < n:
        ll += (n - k) * np.log(1 - p)
    return ll


def bernoulli_mle(flips):
    return np.sum(flips) / len(flips)


def normal_log_likelihood(mu, sigma, x):
    return np.sum(-0.5 * np.log(2 * np.pi) - np.log(sigma) - (x - mu) ** 2 / (2 * sigma**2))


def normal_mle(x):
    return np.mean(x), np.std(x, ddof=1)
