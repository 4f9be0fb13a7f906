"""Checks for maximum-likelihood estimation: Bernoulli and normal log-likelihoods and MLEs."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from graders import strategies as gs
from graders.checks.base import (
    Args,
    CheckContext,
    agree_with_reference,
    assert_inputs_unchanged,
    call_student,
    fail,
)
from graders.compare import Mismatch, as_plain_array, compare
from graders.diagnose import Misconception, diagnose
from reference import mle as ref

_FLIPS = np.array([1, 0, 1, 1, 0, 1, 1, 0, 1, 1])
_SAMPLE = np.array([2.0, 3.5, 1.25, 4.0, 2.75])

# --- misconceptions ----------------------------------------------------------------------------


def _bernoulli_product(p: float, flips: Any) -> float:
    flips = np.asarray(flips)
    return float(np.prod(np.where(flips == 1, p, 1 - p)))


def _bernoulli_unguarded(p: float, flips: Any) -> float:
    flips = np.asarray(flips, dtype=float)
    return float(np.sum(flips * np.log(p) + (1 - flips) * np.log(1 - p)))


def _bernoulli_log_of_product(p: float, flips: Any) -> float:
    with np.errstate(divide="ignore"):
        return float(np.log(_bernoulli_product(p, flips)))


BERNOULLI_LL_MISTAKES = (
    Misconception(
        "likelihood-not-log-likelihood",
        "this is the likelihood (a product of probabilities); the question asks for its log, "
        "a sum of log-probabilities.",
        _bernoulli_product,
    ),
    Misconception(
        "unguarded-log",
        "0 * log(0) evaluates to nan in numpy: at p = 0 or p = 1 the terms of outcomes with "
        "probability 0 must be left out (k log p + (n - k) log(1 - p), skipping a term whose "
        "count is 0).",
        _bernoulli_unguarded,
    ),
    Misconception(
        "log-of-product",
        "the log is taken of the likelihood, a product of probabilities: with a few thousand "
        "observations the product underflows to 0.0 and log(0) = -inf. Sum the "
        "log-probabilities instead (k log p + (n - k) log(1 - p)).",
        _bernoulli_log_of_product,
    ),
)


def _normal_mle_ddof1(x: Any) -> Any:
    x = np.asarray(x, dtype=float)
    return np.array([x.mean(), x.std(ddof=1)])


def _normal_mle_variance(x: Any) -> Any:
    x = np.asarray(x, dtype=float)
    return np.array([x.mean(), x.var()])


NORMAL_MLE_MISTAKES = (
    Misconception(
        "ddof-1",
        "sigma was computed with ddof=1 (dividing by n - 1): that is the unbiased sample "
        "estimate, not the maximum-likelihood estimate, which divides by n (np.std(x), ddof=0).",
        _normal_mle_ddof1,
    ),
    Misconception(
        "variance-not-std",
        "the second value is the variance sigma^2; the question asks for sigma.",
        _normal_mle_variance,
    ),
)


def _normal_ll_no_constant(mu: float, sigma: float, x: Any) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.sum(-np.log(sigma) - (x - mu) ** 2 / (2 * sigma**2)))


def _normal_ll_variance(mu: float, sigma: float, x: Any) -> float:
    return ref.normal_log_likelihood(mu, np.sqrt(sigma), x)


def _normal_ll_log_of_product(mu: float, sigma: float, x: Any) -> float:
    x = np.asarray(x, dtype=float)
    density = np.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
    with np.errstate(divide="ignore", over="ignore"):
        return float(np.log(np.prod(density)))


NORMAL_LL_MISTAKES = (
    Misconception(
        "missing-constant",
        "the -n/2 log(2 pi) term is missing: it does not move the maximiser, but it is part of "
        "the log-likelihood.",
        _normal_ll_no_constant,
    ),
    Misconception(
        "sigma-as-variance",
        "sigma was used as the variance: the density has sigma^2 in the exponent's denominator.",
        _normal_ll_variance,
    ),
    Misconception(
        "log-of-product",
        "the log is taken of the likelihood, a product of densities: with a few thousand "
        "observations the product underflows to 0.0 (or overflows to inf) and its log is "
        "infinite. Sum the log-densities instead: -n/2 log(2 pi sigma^2) - "
        "sum (x - mu)^2 / (2 sigma^2).",
        _normal_ll_log_of_product,
    ),
)

# --- inputs ------------------------------------------------------------------------------------


@st.composite
def _coin_problems(draw: st.DrawFn) -> Args:
    n = draw(st.integers(1, 30))
    flips = draw(gs.flips(n))
    p = draw(st.floats(0.01, 0.99))
    return p, flips


@st.composite
def _normal_problems(draw: st.DrawFn) -> Args:
    n = draw(st.integers(1, 25))
    x = draw(gs.normal_samples(n))
    mu = draw(st.floats(-5, 5))
    sigma = draw(st.floats(0.1, 5))
    return mu, sigma, x


# Thousands of observations, as a real data set has: a product of that many probabilities or
# densities underflows (|log-likelihood| > ~745), so only a sum of logs gets them right. The
# samples are drawn by a seeded generator, not element by element: Hypothesis would spend its
# budget on thousands of entries, and shrinking them would not make the input any more readable.
@st.composite
def _many_flips(draw: st.DrawFn) -> Args:
    n = draw(st.integers(2000, 5000))
    heads = draw(st.floats(0.1, 0.9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    flips = (rng.random(n) < heads).astype(np.int64)
    return draw(st.floats(0.05, 0.95)), flips


@st.composite
def _many_normal_observations(draw: st.DrawFn) -> Args:
    n = draw(st.integers(2000, 5000))
    mu = draw(st.floats(-5, 5))
    sigma = draw(st.floats(0.5, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = draw(st.floats(-5, 5)) + draw(st.floats(0.5, 3)) * rng.standard_normal(n)
    return mu, sigma, x


_MANY_FLIPS = (np.arange(3000) % 10 < 3).astype(np.int64)  # 900 heads in 3000
_MANY_SAMPLE = np.linspace(-2.0, 4.0, 2500)


def _ref_normal_mle(x: Any) -> Any:
    return np.array(ref.normal_mle(x))


# --- checks ------------------------------------------------------------------------------------


def check_bernoulli_log_likelihood_matches_reference(ctx: CheckContext) -> None:
    """k log p + (n - k) log(1 - p) for 0 < p < 1."""
    agree_with_reference(
        ctx,
        ref.bernoulli_log_likelihood,
        regression=[(0.7, _FLIPS), (0.5, np.array([0, 1]))],
        strategy=_coin_problems(),
        misconceptions=BERNOULLI_LL_MISTAKES,
    )


def check_bernoulli_log_likelihood_handles_certain_coins(ctx: CheckContext) -> None:
    """At p = 1 with all heads (or p = 0 with all tails) the log-likelihood is 0, not nan."""
    for p, flips in ((1.0, np.ones(5, dtype=np.int64)), (0.0, np.zeros(4, dtype=np.int64))):
        raw = call_student(ctx, p, flips)
        actual = as_plain_array(raw)
        mismatch = (
            actual
            if isinstance(actual, Mismatch)
            else compare(ref.bernoulli_log_likelihood(p, flips), actual, ctx.tolerance)
        )
        if mismatch is not None:
            raise fail(
                ctx,
                "A coin that always lands the way it did has likelihood 1, so log-likelihood 0. "
                "Terms whose count is zero must be skipped (0 * log 0 is nan in numpy).",
                args=(p, flips),
                mismatch=mismatch,
                # Only here (p = 0 or 1) does the unguarded formula differ from the reference.
                diagnosis=diagnose(BERNOULLI_LL_MISTAKES, (p, flips), raw, ctx.tolerance),
            )


def check_bernoulli_log_likelihood_handles_many_flips(ctx: CheckContext) -> None:
    """With thousands of flips the log-likelihood is a large negative number, not -inf."""
    agree_with_reference(
        ctx,
        ref.bernoulli_log_likelihood,
        regression=[(0.3, _MANY_FLIPS), (0.5, np.ones(2000, dtype=np.int64) - _MANY_FLIPS[:2000])],
        strategy=_many_flips(),
        headline="`bernoulli_log_likelihood` does not agree with the reference on a few thousand "
        "flips (where the likelihood itself, a product, is too small for a float).",
        misconceptions=BERNOULLI_LL_MISTAKES,
    )


def check_bernoulli_mle_matches_reference(ctx: CheckContext) -> None:
    """The MLE of p is the fraction of heads."""
    agree_with_reference(
        ctx,
        ref.bernoulli_mle,
        regression=[(_FLIPS,), (np.array([0, 0, 0]),)],
        strategy=st.integers(1, 40).flatmap(gs.flips).map(lambda f: (f,)),
    )


def check_normal_log_likelihood_matches_reference(ctx: CheckContext) -> None:
    """sum_i log N(x_i | mu, sigma^2), including the -n/2 log(2 pi) constant."""
    agree_with_reference(
        ctx,
        ref.normal_log_likelihood,
        regression=[(3.0, 1.0, _SAMPLE), (0.0, 2.0, np.array([0.0]))],
        strategy=_normal_problems(),
        misconceptions=NORMAL_LL_MISTAKES,
    )


def check_normal_log_likelihood_handles_many_observations(ctx: CheckContext) -> None:
    """With thousands of observations the log-likelihood is finite and right, not -inf."""
    agree_with_reference(
        ctx,
        ref.normal_log_likelihood,
        regression=[(1.0, 1.5, _MANY_SAMPLE), (0.0, 0.6, _MANY_SAMPLE / 4)],
        strategy=_many_normal_observations(),
        headline="`normal_log_likelihood` does not agree with the reference on a few thousand "
        "observations (where the likelihood itself, a product, is too small for a float).",
        misconceptions=NORMAL_LL_MISTAKES,
    )


def check_normal_mle_matches_reference(ctx: CheckContext) -> None:
    """(mean, population standard deviation with ddof=0)."""
    agree_with_reference(
        ctx,
        _ref_normal_mle,
        regression=[(_SAMPLE,), (np.array([1.0, 3.0]),)],
        strategy=st.integers(2, 30).flatmap(gs.normal_samples).map(lambda x: (x,)),
        headline="`normal_mle` should return the tuple (mu_hat, sigma_hat) of the MLEs.",
        misconceptions=NORMAL_MLE_MISTAKES,
    )


def check_normal_mle_does_not_mutate_inputs(ctx: CheckContext) -> None:
    """normal_mle leaves the sample unchanged (no in-place sort or centring)."""
    assert_inputs_unchanged(ctx, (_SAMPLE.copy(),))


CHECKS = (
    check_bernoulli_log_likelihood_matches_reference,
    check_bernoulli_log_likelihood_handles_certain_coins,
    check_bernoulli_log_likelihood_handles_many_flips,
    check_bernoulli_mle_matches_reference,
    check_normal_log_likelihood_matches_reference,
    check_normal_log_likelihood_handles_many_observations,
    check_normal_mle_matches_reference,
    check_normal_mle_does_not_mutate_inputs,
)
