"""The graded function never returns."""


def bernoulli_mle(flips):
    while True:
        pass
