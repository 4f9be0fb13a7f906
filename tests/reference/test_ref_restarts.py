"""reference.restarts and the wiggly objective: restarts reach the global minimum, one start not.

Oracles: scipy.optimize.brentq for the critical points of ``wiggly``, central finite differences
for its derivative, a dense grid for its global minimum, and plain loops of
``gradient_descent`` for ``multi_start``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import brentq

from reference.data import (
    WIGGLY_GLOBAL_MINIMUM,
    WIGGLY_LOCAL_MINIMA,
    WIGGLY_TRAP_MINIMUM,
    WIGGLY_TRAP_START,
    wiggly,
    wiggly_derivative,
    wiggly_local_minima,
)
from reference.linear_gd import gradient_descent
from reference.restarts import RestartResult, multi_start, multi_start_descent
from tests.reference.ref_strategies import FEW, SETTINGS, bounded_floats

pytestmark = pytest.mark.filterwarnings("error")

ALPHA, MAX_ITERATIONS, PRECISION = 0.01, 10_000, 1e-10


def brentq_minima(a: float) -> np.ndarray:
    """Local minima of x^2/10 + sin(a x) by brentq on every sign change of f' (- to +)."""

    def slope(x: float) -> float:
        return x / 5 + a * np.cos(a * x)

    grid = np.linspace(-5 * a - 1, 5 * a + 1, 200_001)
    values = slope(grid)
    return np.array(
        [
            brentq(slope, grid[i], grid[i + 1], xtol=1e-15, rtol=1e-15)
            for i in np.flatnonzero((values[:-1] < 0) & (values[1:] >= 0))
        ]
    )


# --------------------------------------------------------------------------- wiggly


def test_documented_local_minima_match_brentq() -> None:
    reference = brentq_minima(3.0)
    assert len(WIGGLY_LOCAL_MINIMA) == len(reference) == 15
    np.testing.assert_allclose(WIGGLY_LOCAL_MINIMA, reference, rtol=0, atol=1e-12)
    np.testing.assert_allclose(wiggly_local_minima(), reference, rtol=0, atol=1e-12)
    assert np.all(wiggly_derivative(np.array(WIGGLY_LOCAL_MINIMA)) == pytest.approx(0, abs=1e-12))


@pytest.mark.parametrize("a", [0.7, 1.0, 2.0, 5.0])
def test_local_minima_for_other_frequencies_match_brentq(a: float) -> None:
    np.testing.assert_allclose(wiggly_local_minima(a), brentq_minima(a), rtol=0, atol=1e-10)


def test_documented_global_minimum_is_the_lowest_point_of_a_dense_grid() -> None:
    grid = np.linspace(-20, 20, 400_001)
    assert abs(grid[np.argmin(wiggly(grid))] - WIGGLY_GLOBAL_MINIMUM) < 1e-4
    values = wiggly(np.array(WIGGLY_LOCAL_MINIMA))
    assert WIGGLY_LOCAL_MINIMA[int(np.argmin(values))] == WIGGLY_GLOBAL_MINIMUM
    assert wiggly(WIGGLY_GLOBAL_MINIMUM) == pytest.approx(-0.973180479, abs=1e-9)
    assert WIGGLY_TRAP_MINIMUM in WIGGLY_LOCAL_MINIMA
    assert wiggly(WIGGLY_TRAP_MINIMUM) > wiggly(WIGGLY_GLOBAL_MINIMUM) + 0.2


@SETTINGS
@given(x=bounded_floats(-20.0, 20.0), a=bounded_floats(0.5, 6.0))
def test_wiggly_derivative_matches_central_finite_differences(x: float, a: float) -> None:
    h = 1e-6
    numeric = (wiggly(x + h, a) - wiggly(x - h, a)) / (2 * h)
    assert wiggly_derivative(x, a) == pytest.approx(numeric, abs=1e-6)


def test_wiggly_is_elementwise_with_scalar_in_float_out() -> None:
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    np.testing.assert_allclose(wiggly(x), x**2 / 10 + np.sin(3 * x), rtol=1e-15)
    assert type(wiggly(0.5)) is float and type(wiggly_derivative(0.5)) is float
    assert wiggly_derivative(x).shape == (3, 4)


def test_a_single_descent_from_the_trap_start_is_trapped() -> None:
    result = gradient_descent(
        wiggly_derivative, WIGGLY_TRAP_START, ALPHA, MAX_ITERATIONS, PRECISION
    )
    assert result.point == pytest.approx(WIGGLY_TRAP_MINIMUM, abs=1e-6)
    assert abs(result.point - WIGGLY_GLOBAL_MINIMUM) > 2.0


# --------------------------------------------------------------------------- restarts


def test_multi_start_finds_the_global_minimum_a_single_start_misses() -> None:
    starts = [WIGGLY_TRAP_START, 5.0, -4.0, 0.0, 3.0]
    best = multi_start_descent(wiggly, wiggly_derivative, starts, ALPHA, MAX_ITERATIONS, PRECISION)
    assert best == pytest.approx(WIGGLY_GLOBAL_MINIMUM, abs=1e-6)
    single = gradient_descent(wiggly_derivative, starts[0], ALPHA, MAX_ITERATIONS, PRECISION)
    assert single.point != pytest.approx(WIGGLY_GLOBAL_MINIMUM, abs=1e-3)


@FEW
@given(
    starts=hnp.arrays(np.float64, st.integers(1, 6), elements=bounded_floats(-8.0, 8.0)),
    alpha=bounded_floats(0.005, 0.05),
)
def test_multi_start_matches_a_plain_loop_of_descents(starts: np.ndarray, alpha: float) -> None:
    result = multi_start(wiggly, wiggly_derivative, starts, alpha, 1_000, 1e-9)
    assert isinstance(result, RestartResult)
    ends = [gradient_descent(wiggly_derivative, float(s), alpha, 1_000, 1e-9).point for s in starts]
    np.testing.assert_array_equal(result.points, ends)
    np.testing.assert_array_equal(result.values, [wiggly(e) for e in ends])
    first_best = min(range(len(ends)), key=lambda i: (wiggly(ends[i]), i))
    assert result.best_point == ends[first_best]
    assert result.best_value == wiggly(ends[first_best]) == min(result.values)
    assert type(result.best_point) is float


def test_ties_go_to_the_first_start() -> None:
    def flat(x: float) -> float:
        return 0.0  # every end point ties

    best = multi_start(flat, lambda x: 0.0, [4.0, -2.0, 7.0], 0.1, 10)
    assert best.best_point == 4.0 and best.best_value == 0.0
    # mirror-image starts on an even function end at mirror-image points with bit-equal values
    symmetric = multi_start(
        lambda x: (x * x - 1) ** 2, lambda x: 4 * x * (x * x - 1), [2.0, -2.0], 0.01, 5_000
    )
    assert symmetric.points[0] == -symmetric.points[1] != 0.0
    assert symmetric.values[0] == symmetric.values[1]
    assert symmetric.best_point == symmetric.points[0] > 0


def test_multi_start_with_vector_starts() -> None:
    target = np.array([1.0, -2.0])

    def f(x: np.ndarray) -> float:
        return float(np.sum((x - target) ** 2) + np.sin(3 * x[0]))

    def grad(x: np.ndarray) -> np.ndarray:
        return 2 * (x - target) + np.array([3 * np.cos(3 * x[0]), 0.0])

    starts = np.array([[3.0, 0.0], [-1.0, -1.0], [0.5, 2.0]])
    result = multi_start(f, grad, starts, 0.05, 5_000)
    assert result.points.shape == (3, 2) and result.values.shape == (3,)
    assert isinstance(result.best_point, np.ndarray) and result.best_point.shape == (2,)
    assert result.best_value == min(result.values)
    best = multi_start_descent(f, grad, starts, 0.05, 5_000)
    np.testing.assert_array_equal(best, result.best_point)


def test_multi_start_ignores_nan_values_and_validates_starts() -> None:
    def nan_left(x: float) -> float:
        return float("nan") if x < 0 else x * x

    result = multi_start(nan_left, lambda x: 0.0, [-1.0, 2.0, 1.0], 0.1, 3)
    assert result.best_point == 1.0
    with pytest.raises(ValueError, match="NaN at every end point"):
        multi_start(lambda x: float("nan"), lambda x: 0.0, [1.0], 0.1, 3)
    with pytest.raises(ValueError, match="at least one starting point"):
        multi_start(wiggly, wiggly_derivative, [], 0.1, 3)
    with pytest.raises(ValueError, match="starts must be a sequence"):
        multi_start(wiggly, wiggly_derivative, 1.0, 0.1, 3)
