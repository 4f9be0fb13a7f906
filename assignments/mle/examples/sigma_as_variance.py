# Typical mistakes: sigma used as the variance in the normal density, and the MLE mutating its input.
import numpy as np


def bernoulli_log_likelihood(p, flips):
    from scipy.special import xlogy

    flips = np.asarray(flips, dtype=float)
    k = flips.sum()
    return float(xlogy(k, p) + xlogy(len(flips) - k, 1 - p))


def bernoulli_mle(flips):
    return float(np.asarray(flips).mean())


def normal_log_likelihood(mu, sigma, x):
    # Wrong: sigma is the standard deviation, this formula treats it as the variance.
    n = len(x)
    return -n / 2 * np.log(2 * np.pi * sigma) - np.sum((x - mu) ** 2) / (2 * sigma)


def normal_mle(x):
    mu = x.mean()
    x -= mu  # Wrong: centres the caller's array in place.
    return mu, np.sqrt(np.mean(x**2))
