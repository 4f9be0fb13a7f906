# Honest alternative: returns the normal MLE as a namedtuple Estimate(mu, sigma), a correct way to return a pair.
from collections import namedtuple
import numpy as np
Estimate = namedtuple("Estimate", "mu sigma")
def bernoulli_log_likelihood(p, flips):
    flips = np.asarray(flips); k = flips.sum(); n = len(flips)
    out = 0.0
    if k: out += k * np.log(p)
    if n - k: out += (n - k) * np.log(1 - p)
    return float(out)
def bernoulli_mle(flips):
    return float(np.mean(flips))
def normal_log_likelihood(mu, sigma, x):
    x = np.asarray(x, dtype=float)
    return float(np.sum(-0.5 * np.log(2 * np.pi * sigma**2) - (x - mu) ** 2 / (2 * sigma**2)))
def normal_mle(x):
    x = np.asarray(x, dtype=float)
    return Estimate(x.mean(), x.std())
