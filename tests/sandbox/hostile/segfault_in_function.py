"""A segmentation fault through ctypes inside the graded function."""

import ctypes


def bernoulli_mle(flips):
    return ctypes.string_at(0)
