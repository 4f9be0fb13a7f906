"""Maximum likelihood estimation: a complete, vectorised solution."""

import numpy as np


def bernoulli_log_likelihood(p, flips):
    flips = np.asarray(flips)
    n = flips.size
    k = int(np.sum(flips))
    total = 0.0
    # 0 * log(0) is taken as 0: skip a term whose count is zero.
    if k > 0:
        total += k * np.log(p)
    if n - k > 0:
        total += (n - k) * np.log(1 - p)
    return float(total)


def bernoulli_mle(flips):
    return float(np.mean(flips))


def normal_log_likelihood(mu, sigma, x):
    x = np.asarray(x, dtype=float)
    n = x.size
    return float(-n / 2 * np.log(2 * np.pi * sigma**2) - np.sum((x - mu) ** 2) / (2 * sigma**2))


def normal_mle(x):
    x = np.asarray(x, dtype=float)
    mu_hat = x.mean()
    sigma_hat = np.sqrt(np.mean((x - mu_hat) ** 2))
    return float(mu_hat), float(sigma_hat)
