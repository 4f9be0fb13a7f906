"""reference.linear_gd against closed forms, exact sums, finite differences and literal loops."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference.data import LINEAR_TRUE_SLOPE, linear_data
from reference.linear_gd import (
    DescentResult,
    gradient_descent,
    lab_descent,
    least_squares_slope,
    public_lab_descent,
    rss,
    rss_derivative,
)
from tests.reference.ref_strategies import SETTINGS, bounded_floats

pytestmark = pytest.mark.filterwarnings("error")


@st.composite
def xy_data(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 1 to 30 points, entries in [-10, 10]."""
    n = draw(st.integers(1, 30))
    X = draw(hnp.arrays(np.float64, n, elements=bounded_floats(-10.0, 10.0)))
    y = draw(hnp.arrays(np.float64, n, elements=bounded_floats(-10.0, 10.0)))
    return X, y


# --------------------------------------------------------------------------- rss


@SETTINGS
@given(data=xy_data(), m=bounded_floats(-5.0, 5.0))
def test_rss_matches_an_exactly_rounded_sum(data: tuple[np.ndarray, np.ndarray], m: float) -> None:
    X, y = data
    exact = math.fsum((yi - m * xi) ** 2 for xi, yi in zip(X, y, strict=True))
    assert rss(m, X, y) == pytest.approx(exact, rel=1e-13, abs=1e-13)


@SETTINGS
@given(data=xy_data(), m=bounded_floats(-5.0, 5.0))
def test_rss_matches_its_quadratic_closed_form(
    data: tuple[np.ndarray, np.ndarray], m: float
) -> None:
    X, y = data
    closed = float(y @ y - 2 * m * (X @ y) + m * m * (X @ X))
    scale = float(y @ y + 2 * abs(m * (X @ y)) + m * m * (X @ X)) + 1.0
    assert abs(rss(m, X, y) - closed) <= 1e-12 * scale


@SETTINGS
@given(data=xy_data(), m=bounded_floats(-5.0, 5.0))
def test_rss_derivative_matches_central_finite_differences(
    data: tuple[np.ndarray, np.ndarray], m: float
) -> None:
    X, y = data
    h = 1e-4  # the RSS is quadratic: the central difference is exact up to rounding
    numeric = (rss(m + h, X, y) - rss(m - h, X, y)) / (2 * h)
    scale = rss(m, X, y) + float(X @ X) + 1.0
    assert abs(rss_derivative(m, X, y) - numeric) <= 1e-9 * scale


@SETTINGS
@given(data=xy_data(), m=bounded_floats(-5.0, 5.0))
def test_rss_derivative_matches_its_closed_form(
    data: tuple[np.ndarray, np.ndarray], m: float
) -> None:
    X, y = data
    closed = -2.0 * float(X @ y - m * (X @ X))
    assert rss_derivative(m, X, y) == pytest.approx(closed, rel=1e-10, abs=1e-10 * (1 + X @ X))


def test_rss_is_vectorised_over_slopes() -> None:
    X, y = linear_data(20, seed=0)
    slopes = np.array([[0.0, 1.0], [1.5, -2.0]])
    values = rss(slopes, X, y)
    derivatives = rss_derivative(slopes, X, y)
    assert values.shape == derivatives.shape == (2, 2)
    for index in np.ndindex(2, 2):
        assert values[index] == pytest.approx(rss(float(slopes[index]), X, y), rel=1e-14)
        assert derivatives[index] == pytest.approx(
            rss_derivative(float(slopes[index]), X, y), rel=1e-12, abs=1e-9
        )
    assert type(rss(1.0, X, y)) is float and type(rss_derivative(1.0, X, y)) is float


def test_rss_accepts_pandas_series_like_the_lab() -> None:
    X, y = linear_data(25, seed=1)
    frame = pd.DataFrame({"budget": X, "revenue": y})
    assert rss(1.2, frame["budget"], frame["revenue"]) == rss(1.2, X, y)
    assert rss_derivative(1.2, frame["budget"], frame["revenue"]) == rss_derivative(1.2, X, y)
    assert rss(1.2, frame[["budget"]], frame["revenue"]) == rss(1.2, X, y)


def test_rss_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="X and y must have the same length; got 3 and 2"):
        rss(1.0, [1.0, 2.0, 3.0], [1.0, 2.0])


def test_least_squares_slope_matches_numpy_lstsq() -> None:
    X, y = linear_data(40, seed=2)
    expected = np.linalg.lstsq(X[:, None], y, rcond=None)[0][0]
    assert least_squares_slope(X, y) == pytest.approx(expected, rel=1e-12)
    assert least_squares_slope(X, y) == pytest.approx(LINEAR_TRUE_SLOPE, abs=0.1)
    assert rss_derivative(least_squares_slope(X, y), X, y) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="at least one non-zero X"):
        least_squares_slope([0.0, 0.0], [1.0, 2.0])


# --------------------------------------------------------------------------- gradient_descent


@SETTINGS
@given(
    a=bounded_floats(0.1, 5.0),
    c=bounded_floats(-10.0, 10.0),
    start=bounded_floats(-10.0, 10.0),
    rate=bounded_floats(0.01, 0.9),
    max_iterations=st.integers(0, 60),
)
def test_gradient_descent_follows_the_closed_form_on_a_quadratic(
    a: float, c: float, start: float, rate: float, max_iterations: int
) -> None:
    # f = a (x - c)^2 has f' = 2a (x - c); with alpha = rate / (2a) every step contracts the
    # distance to c by exactly (1 - rate): x_k = c + (1 - rate)^k (x_0 - c).
    alpha = rate / (2 * a)
    result = gradient_descent(lambda x: 2 * a * (x - c), start, alpha, max_iterations, 0.0)
    assert isinstance(result, DescentResult) and type(result.point) is float
    assert result.path.shape == (max_iterations + 1,)  # precision 0: never stops early
    k = np.arange(max_iterations + 1)
    expected = c + (1 - rate) ** k * (start - c)
    np.testing.assert_allclose(result.path, expected, rtol=1e-9, atol=1e-9)
    assert result.point == result.path[-1]


@SETTINGS
@given(
    start=bounded_floats(-10.0, 10.0),
    alpha=bounded_floats(0.01, 0.4),
    precision=bounded_floats(1e-8, 1e-1),
    max_iterations=st.integers(1, 500),
)
def test_gradient_descent_stopping_rule(
    start: float, alpha: float, precision: float, max_iterations: int
) -> None:
    path = gradient_descent(lambda x: 2 * (x - 1.0), start, alpha, max_iterations, precision).path
    steps = np.abs(np.diff(path))
    assert 1 <= len(steps) <= max_iterations
    assert np.all(steps[:-1] >= precision)  # it did not stop too early ...
    if len(steps) < max_iterations:  # ... and stopped right after the first small step
        assert steps[-1] < precision
    assert path[0] == start


def test_gradient_descent_in_several_dimensions_uses_the_max_abs_step() -> None:
    scales = np.array([1.0, 10.0])

    def grad(x: np.ndarray) -> np.ndarray:
        return scales * (x - np.array([3.0, -1.0]))

    start = np.array([0.0, 0.0])
    result = gradient_descent(grad, start, 0.05, 10_000, 1e-9)
    assert isinstance(result.point, np.ndarray) and result.point.shape == (2,)
    np.testing.assert_allclose(result.point, [3.0, -1.0], atol=1e-6)
    steps = np.max(np.abs(np.diff(result.path, axis=0)), axis=1)
    assert steps[-1] < 1e-9 and np.all(steps[:-1] >= 1e-9)
    np.testing.assert_array_equal(start, [0.0, 0.0])
    np.testing.assert_array_equal(result.path[0], start)


def test_gradient_descent_hands_grad_a_copy() -> None:
    def vandal(x: np.ndarray) -> np.ndarray:
        g = 2 * x
        x[:] = 1e9  # writing to its argument must not corrupt the iterates
        return g

    result = gradient_descent(vandal, np.array([1.0, -1.0]), 0.25, 3, 0.0)
    np.testing.assert_allclose(result.path, [[1, -1], [0.5, -0.5], [0.25, -0.25], [0.125, -0.125]])


def test_gradient_descent_edge_cases() -> None:
    zero = gradient_descent(lambda x: 2 * x, 3.0, 0.1, 0, 1e-6)
    assert zero.point == 3.0 and zero.path.shape == (1,)
    zero_d = gradient_descent(lambda x: 2 * x, np.array(3.0), 0.25, 1, 0.0).point
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == () and zero_d == 1.5
    with pytest.raises(ValueError, match=r"grad\(x\) must have the shape of the point"):
        gradient_descent(lambda x: np.array([1.0, 2.0]), 3.0, 0.1, 5, 1e-6)
    with pytest.raises(ValueError, match="precision must be >= 0"):
        gradient_descent(lambda x: x, 1.0, 0.1, 5, -1.0)
    with pytest.raises(TypeError, match="max_iterations must be a non-negative integer"):
        gradient_descent(lambda x: x, 1.0, 0.1, True, 1e-6)


# --------------------------------------------------------------------------- lab loops


def stated_loop(X, y, start, alpha, precision, max_iterations, h):  # type: ignore[no-untyped-def]
    """The loop exactly as the notebook states it, with the lab's own rss (pandas .sum())."""

    X_series, y_series = pd.Series(X), pd.Series(y)

    def lab_rss(m, X=X_series, y=y_series):  # type: ignore[no-untyped-def]
        return ((y - m * X) ** 2).sum()

    cur_x = start
    previous_step_size = 1
    iters = 0
    while previous_step_size > precision and iters < max_iterations:
        prev_x = cur_x
        gradient = (lab_rss(cur_x + h) - lab_rss(cur_x - h)) / (2 * h)
        cur_x = cur_x - alpha * gradient
        previous_step_size = abs(cur_x - prev_x)
        iters = iters + 1
    return cur_x, iters


@pytest.mark.parametrize(
    ("seed", "start", "alpha", "precision", "h"),
    [(0, 0.0, 1e-4, 1e-8, 1e-3), (1, 5.0, 2e-4, 1e-6, 1e-2), (2, -3.0, 5e-5, 1e-10, 1e-4)],
)
def test_lab_descent_matches_the_stated_loop(
    seed: int, start: float, alpha: float, precision: float, h: float
) -> None:
    X, y = linear_data(50, seed)
    expected, iterations = stated_loop(X, y, start, alpha, precision, 10_000, h)
    result = lab_descent(X, y, start, alpha, precision, 10_000, h)
    assert type(result.point) is float
    assert result.point == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert len(result.path) - 1 == iterations
    steps = np.abs(np.diff(result.path))
    assert steps[-1] <= precision and np.all(steps[:-1] > precision)


def test_lab_descent_stops_near_but_not_at_the_minimiser() -> None:
    X, y = linear_data(50, seed=0)
    m_star = least_squares_slope(X, y)
    result = lab_descent(X, y, 0.0, 1e-4, 1e-6, 10_000, 1e-3)
    assert result.point == pytest.approx(m_star, abs=1e-4)
    assert result.point != m_star
    # the remaining distance is about (last step) / (2 alpha sum X^2), here < 1e-6 / 0.17
    assert abs(result.point - m_star) < 1e-6 / (2 * 1e-4 * float(X @ X)) * 1.01


def test_lab_descent_respects_max_iterations_and_the_labs_initialisation() -> None:
    X, y = linear_data(30, seed=3)
    capped = lab_descent(X, y, 0.0, 1e-5, 1e-12, 7, 1e-3)
    assert len(capped.path) == 8
    assert lab_descent(X, y, 0.0, 1e-5, 1.0, 100, 1e-3).path.shape == (1,)  # precision >= 1
    with pytest.raises(ValueError, match="h must be > 0"):
        lab_descent(X, y, 0.0, 1e-5, 1e-6, 10, 0.0)


def public_loop(X, y, start, alpha, precision, max_iters):  # type: ignore[no-untyped-def]
    """The public lab's cell, transcribed (its rss takes pandas Series defaults)."""

    X_series, y_series = pd.Series(X), pd.Series(y)

    def rss_lab(m, X=X_series, y=y_series):  # type: ignore[no-untyped-def]
        yhat = m * X
        differences_squared = (yhat - y) ** 2
        return differences_squared.sum()

    cur_x = start
    previous_step_size = 1
    iters = 0
    while (previous_step_size > precision) & (iters < max_iters):
        prev_x = cur_x
        x_survey_region = np.linspace(
            start=cur_x - previous_step_size, stop=cur_x + previous_step_size, num=101
        )
        rss_survey_region = [np.sqrt(rss_lab(m)) for m in x_survey_region]
        gradient = np.gradient(rss_survey_region)[50]
        cur_x -= alpha * gradient
        previous_step_size = abs(cur_x - prev_x)
        iters += 1
    return cur_x, iters


def test_public_lab_descent_reproduces_the_public_lab_cell() -> None:
    X, y = linear_data(30, seed=4)
    X, y = X * 1e6, y * 1e6  # the lab's data are film budgets: large numbers, tiny alpha
    expected, iterations = public_loop(X, y, 1.5, 1e-7, 1e-7, 10_000)
    result = public_lab_descent(X, y)
    assert result.point == pytest.approx(expected, rel=1e-9)
    assert len(result.path) - 1 == iterations
