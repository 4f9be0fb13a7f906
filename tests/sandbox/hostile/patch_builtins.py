"""Replace builtins the worker itself relies on, then hand in a wrong answer."""

import builtins


def always(*args, **kwargs):
    return True


builtins.isinstance = always
builtins.len = lambda value: 0  # noqa: E731 -- what an attacker would write


def bernoulli_mle(flips):
    return 0.123
