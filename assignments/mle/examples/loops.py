# Alternative style: plain Python loops and the math module, no vectorisation.
import math


def bernoulli_log_likelihood(p, flips):
    heads = 0
    tails = 0
    for flip in flips:
        if flip == 1:
            heads += 1
        else:
            tails += 1
    total = 0.0
    if heads:
        if p == 0:
            return -math.inf
        total += heads * math.log(p)
    if tails:
        if p == 1:
            return -math.inf
        total += tails * math.log(1 - p)
    return total


def bernoulli_mle(flips):
    count = 0
    heads = 0
    for flip in flips:
        count += 1
        heads += int(flip)
    return heads / count


def normal_log_likelihood(mu, sigma, x):
    total = 0.0
    for value in x:
        total += -0.5 * math.log(2 * math.pi * sigma * sigma) - (value - mu) ** 2 / (2 * sigma * sigma)
    return total


def normal_mle(x):
    values = [float(v) for v in x]
    n = len(values)
    mu = sum(values) / n
    squares = 0.0
    for v in values:
        squares += (v - mu) ** 2
    return mu, math.sqrt(squares / n)
