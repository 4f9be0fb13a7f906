"""The graded function sleeps for eleven days."""

import time


def bernoulli_mle(flips):
    time.sleep(10**6)
