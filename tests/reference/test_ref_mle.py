"""reference.mle against scipy.stats, closed forms and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from reference.mle import (
    NormalEstimate,
    bernoulli_log_likelihood,
    bernoulli_mle,
    normal_log_likelihood,
    normal_mle,
)
from tests.reference.ref_strategies import SETTINGS, bounded_floats

pytestmark = pytest.mark.filterwarnings("error")

flips = hnp.arrays(np.int64, st.integers(1, 40), elements=st.integers(0, 1))
"""0/1 coin flips, 1 to 40 of them."""

samples = hnp.arrays(np.float64, st.integers(1, 40), elements=bounded_floats(-100.0, 100.0))
"""Normal-ish samples: 1 to 40 values in [-100, 100]."""


# --------------------------------------------------------------------------- Bernoulli


@SETTINGS
@given(outcomes=flips, p=bounded_floats(1e-6, 1.0 - 1e-6))
def test_bernoulli_log_likelihood_matches_scipy(outcomes: np.ndarray, p: float) -> None:
    expected = float(np.sum(stats.bernoulli.logpmf(outcomes, p)))
    assert bernoulli_log_likelihood(p, outcomes) == pytest.approx(expected, rel=1e-12)


@SETTINGS
@given(outcomes=flips, p=bounded_floats(1e-6, 1.0 - 1e-6))
def test_bernoulli_log_likelihood_matches_k_log_p_formula(outcomes: np.ndarray, p: float) -> None:
    n, k = outcomes.size, int(outcomes.sum())
    expected = k * math.log(p) + (n - k) * math.log1p(-p)
    assert bernoulli_log_likelihood(p, outcomes) == pytest.approx(expected, rel=1e-13)


def test_bernoulli_log_likelihood_certain_coins_use_zero_log_zero() -> None:
    heads, tails, mixed = np.ones(5), np.zeros(5), np.array([1, 0, 1])
    assert bernoulli_log_likelihood(1.0, heads) == 0.0
    assert bernoulli_log_likelihood(0.0, tails) == 0.0
    assert bernoulli_log_likelihood(0.0, heads) == -np.inf
    assert bernoulli_log_likelihood(1.0, tails) == -np.inf
    assert bernoulli_log_likelihood(0.0, mixed) == -np.inf
    assert bernoulli_log_likelihood(1.0, mixed) == -np.inf
    assert bernoulli_log_likelihood(0.3, []) == 0.0  # no data: likelihood 1


def test_bernoulli_log_likelihood_is_vectorised_over_p() -> None:
    outcomes = [1, 1, 0, 1]
    p = np.array([[0.0, 0.25], [0.75, 1.0]])
    values = bernoulli_log_likelihood(p, outcomes)
    assert isinstance(values, np.ndarray) and values.shape == (2, 2)
    for index in np.ndindex(2, 2):
        assert values[index] == bernoulli_log_likelihood(float(p[index]), outcomes)
    assert type(bernoulli_log_likelihood(0.5, outcomes)) is float
    assert values[0, 0] == -np.inf and values[1, 1] == -np.inf


@SETTINGS
@given(outcomes=flips)
def test_bernoulli_mle_is_the_mean_and_maximises_the_likelihood(outcomes: np.ndarray) -> None:
    p_hat = bernoulli_mle(outcomes)
    assert p_hat == int(outcomes.sum()) / outcomes.size
    grid = np.linspace(0.0, 1.0, 1001)
    assert np.all(
        bernoulli_log_likelihood(grid, outcomes) <= bernoulli_log_likelihood(p_hat, outcomes)
    )


def test_bernoulli_inputs_are_validated() -> None:
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        bernoulli_log_likelihood(1.5, [1, 0])
    with pytest.raises(ValueError, match=r"flips must contain only 0 \(tails\) and 1 \(heads\)"):
        bernoulli_log_likelihood(0.5, [1, 2])
    with pytest.raises(ValueError, match="at least one flip"):
        bernoulli_mle([])
    assert bernoulli_mle([True, False, True, True]) == 0.75
    assert bernoulli_mle(pd.Series([1, 0, 0, 0])) == 0.25


# --------------------------------------------------------------------------- normal


@SETTINGS
@given(x=samples, mu=bounded_floats(-50.0, 50.0), sigma=bounded_floats(0.1, 100.0))
def test_normal_log_likelihood_matches_scipy_logpdf_sum(
    x: np.ndarray, mu: float, sigma: float
) -> None:
    expected = float(np.sum(stats.norm.logpdf(x, loc=mu, scale=sigma)))
    assert normal_log_likelihood(mu, sigma, x) == pytest.approx(expected, rel=1e-12, abs=1e-10)


def test_normal_log_likelihood_broadcasts_mu_against_sigma() -> None:
    x = np.array([0.5, -1.0, 2.0])
    mu = np.array([[0.0], [1.0]])
    sigma = np.array([0.5, 1.0, 2.0])
    values = normal_log_likelihood(mu, sigma, x)
    assert isinstance(values, np.ndarray) and values.shape == (2, 3)
    for i, j in np.ndindex(2, 3):
        expected = stats.norm.logpdf(x, mu[i, 0], sigma[j]).sum()
        assert values[i, j] == pytest.approx(expected, rel=1e-13)
    assert type(normal_log_likelihood(0.0, 1.0, x)) is float


def test_normal_log_likelihood_rejects_non_positive_sigma() -> None:
    with pytest.raises(ValueError, match="sigma must be > 0"):
        normal_log_likelihood(0.0, 0.0, [1.0])
    with pytest.raises(ValueError, match="sigma must be > 0"):
        normal_log_likelihood(0.0, np.array([1.0, -1.0]), [1.0])


@SETTINGS
@given(x=samples)
def test_normal_mle_matches_the_closed_form_and_scipy_fit(x: np.ndarray) -> None:
    estimate = normal_mle(x)
    assert isinstance(estimate, NormalEstimate)
    mu_hat, sigma_hat = estimate
    assert mu_hat == pytest.approx(math.fsum(x) / x.size, rel=1e-12, abs=1e-12)
    sigma_closed = math.sqrt(math.fsum((v - mu_hat) ** 2 for v in x) / x.size)
    assert sigma_hat == pytest.approx(sigma_closed, rel=1e-10, abs=1e-12)
    if sigma_hat > 1e-6:
        loc, scale = stats.norm.fit(x)
        assert (mu_hat, sigma_hat) == pytest.approx((loc, scale), rel=1e-9, abs=1e-9)


@SETTINGS
@given(x=samples.filter(lambda v: v.size >= 2 and np.ptp(v) > 1e-3))
def test_normal_mle_is_a_stationary_maximum(x: np.ndarray) -> None:
    mu_hat, sigma_hat = normal_mle(x)
    h_mu, h_sigma = 1e-5 * sigma_hat, 1e-5 * sigma_hat
    d_mu = (
        normal_log_likelihood(mu_hat + h_mu, sigma_hat, x)
        - normal_log_likelihood(mu_hat - h_mu, sigma_hat, x)
    ) / (2 * h_mu)
    d_sigma = (
        normal_log_likelihood(mu_hat, sigma_hat + h_sigma, x)
        - normal_log_likelihood(mu_hat, sigma_hat - h_sigma, x)
    ) / (2 * h_sigma)
    # central differences of a smooth function: zero up to O(h^2) and rounding
    tolerance = 1e-4 * x.size / sigma_hat
    assert abs(d_mu) < tolerance and abs(d_sigma) < tolerance
    best = normal_log_likelihood(mu_hat, sigma_hat, x)
    for dm, ds in [(0.01, 0.0), (-0.01, 0.0), (0.0, 0.01), (0.0, -0.01)]:
        nearby = normal_log_likelihood(mu_hat + dm * sigma_hat, sigma_hat * (1 + ds), x)
        assert nearby < best


def test_normal_mle_uses_ddof_zero_and_accepts_pandas() -> None:
    x = pd.Series([1.0, 2.0, 3.0, 4.0])
    mu_hat, sigma_hat = normal_mle(x)
    assert mu_hat == 2.5
    assert sigma_hat == pytest.approx(math.sqrt(1.25), rel=1e-15)  # not sqrt(5/3)
    assert normal_mle([7.0, 7.0]) == (7.0, 0.0)
    with pytest.raises(ValueError, match="at least one observation"):
        normal_mle([])
