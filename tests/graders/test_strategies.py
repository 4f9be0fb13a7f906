"""Tests for graders.strategies: bounds, shapes, dtypes, composition and argument checking."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from graders import strategies as gs

FAST = settings(derandomize=True, database=None, deadline=None, max_examples=60)
# find() also needs explicit settings, or it would use the default example database.
FIND = settings(derandomize=True, database=None, deadline=None, max_examples=300)


def is_plain_float_array(x: object) -> bool:
    return type(x) is np.ndarray and x.dtype == np.float64


@FAST
@given(gs.finite_floats(-2.5, 7))
def test_finite_floats_respect_bounds_and_skip_subnormals(x: float) -> None:
    assert math.isfinite(x) and -2.5 <= x <= 7
    assert x == 0 or abs(x) >= np.finfo(np.float64).tiny


@FAST
@given(gs.design_matrices())
def test_design_matrices_default_sizes_and_bounds(X: np.ndarray) -> None:
    assert is_plain_float_array(X) and X.ndim == 2
    assert 1 <= X.shape[0] <= 20 and 1 <= X.shape[1] <= 5
    assert np.all(np.abs(X) <= 5)


@FAST
@given(
    gs.design_matrices(n_rows=3, n_cols=st.sampled_from([2, 4]), elements=gs.finite_floats(0, 1))
)
def test_design_matrices_accept_values_or_strategies(X: np.ndarray) -> None:
    assert X.shape in ((3, 2), (3, 4))
    assert np.all((X >= 0) & (X <= 1))


@FAST
@given(gs.labels(st.integers(0, 12)))
def test_labels_are_int64_zeros_and_ones(y: np.ndarray) -> None:
    assert type(y) is np.ndarray and y.dtype == np.int64 and y.ndim == 1
    assert set(np.unique(y).tolist()) <= {0, 1}


@FAST
@given(gs.labels(st.integers(2, 12), both_classes=True))
def test_labels_with_both_classes_have_both(y: np.ndarray) -> None:
    assert set(np.unique(y).tolist()) == {0, 1}


def test_labels_with_both_classes_shrink_to_a_single_one() -> None:
    y = find(gs.labels(5, both_classes=True), lambda _: True, settings=FIND)
    assert y.tolist() in ([0, 0, 0, 0, 1], [1, 0, 0, 0, 0])


@FAST
@given(gs.weights(st.integers(1, 6)))
def test_weights_are_1d_and_bounded(w: np.ndarray) -> None:
    assert is_plain_float_array(w) and w.ndim == 1 and 1 <= w.size <= 6
    assert np.all(np.abs(w) <= 5)


@FAST
@given(gs.logits((2, 3), max_abs=7.5))
def test_logits_respect_shape_and_max_abs(z: np.ndarray) -> None:
    assert is_plain_float_array(z) and z.shape == (2, 3)
    assert np.all(np.abs(z) <= 7.5)


@FAST
@given(gs.logits(st.sampled_from([(), (4,), (2, 2)])))
def test_logits_accept_shape_strategies(z: np.ndarray) -> None:
    assert z.shape in ((), (4,), (2, 2)) and np.all(np.abs(z) <= 50)


def test_extreme_logits_reach_the_extremes() -> None:
    for value in (1e4, -745.0, 1e300, -1e300):

        def contains(z: np.ndarray, v: float = value) -> bool:
            return bool(np.any(z == v))

        z = find(gs.extreme_logits(3), contains, settings=FIND)
        assert is_plain_float_array(z) and z.shape == (3,)


@FAST
@given(gs.extreme_logits())
def test_extreme_logits_are_finite(z: np.ndarray) -> None:
    assert is_plain_float_array(z) and np.all(np.isfinite(z)) and 1 <= z.size <= 10


@FAST
@given(gs.probabilities(5), gs.probabilities(5, open_interval=False))
def test_probabilities_open_and_closed(p: np.ndarray, q: np.ndarray) -> None:
    assert is_plain_float_array(p) and p.shape == (5,)
    assert np.all((p > 0) & (p < 1))
    assert np.all((q >= 0) & (q <= 1))


@FAST
@given(gs.flips(st.integers(1, 9)))
def test_flips_are_float_zeros_and_ones(f: np.ndarray) -> None:
    assert is_plain_float_array(f) and 1 <= f.size <= 9
    assert set(f.tolist()) <= {0.0, 1.0}


@FAST
@given(gs.normal_samples(7, loc=10.0, scale=2.0))
def test_normal_samples_stay_within_four_scales(x: np.ndarray) -> None:
    assert is_plain_float_array(x) and x.shape == (7,)
    assert np.all(np.abs(x - 10.0) <= 8.0 + 1e-12)


@FAST
@given(gs.scores_with_ties(st.integers(1, 30)))
def test_scores_with_ties_have_few_distinct_values(s: np.ndarray) -> None:
    assert is_plain_float_array(s) and s.ndim == 1
    assert np.all((s >= 0) & (s <= 1))
    assert np.unique(s).size <= 4


def test_scores_with_ties_do_tie() -> None:
    s = find(gs.scores_with_ties(6), lambda s: 1 < np.unique(s).size < s.size, settings=FIND)
    assert np.unique(s).size < s.size


@FAST
@given(gs.thresholds())
def test_thresholds_are_floats_in_unit_interval(t: float) -> None:
    assert isinstance(t, float) and 0 <= t <= 1


@FAST
@given(gs.classification_problems(both_classes=True))
def test_classification_problems_are_consistent(problem: tuple[np.ndarray, ...]) -> None:
    X, y, w = problem
    assert is_plain_float_array(X) and is_plain_float_array(w)
    assert y.dtype == np.int64
    n, d = X.shape
    assert y.shape == (n,) and w.shape == (d,) and n >= 2
    assert set(np.unique(y).tolist()) == {0, 1}


@FAST
@given(st.data())
def test_strategies_compose_with_flatmap(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 8))
    X = data.draw(gs.design_matrices(n_rows=n))
    y = data.draw(gs.labels(n))
    assert X.shape[0] == y.shape[0] == n
    f = data.draw(st.integers(1, 5).flatmap(gs.flips))
    assert 1 <= f.size <= 5


@pytest.mark.parametrize(
    ("function", "args", "kwargs", "error", "pattern"),
    [
        ("finite_floats", (0, float("nan")), {}, ValueError, r"max_value .* got nan of type float"),
        ("finite_floats", ("0", 1), {}, TypeError, r"min_value .* got '0' of type str"),
        ("finite_floats", (1, 0), {}, ValueError, r"min_value=1 must not exceed max_value=0"),
        ("design_matrices", (), {"n_rows": 0}, ValueError, r"n_rows .* got 0 of type int"),
        ("design_matrices", (), {"n_cols": 2.0}, TypeError, r"n_cols .* got 2\.0 of type float"),
        ("design_matrices", (), {"elements": 3}, TypeError, r"elements .* got 3 of type int"),
        ("labels", (True,), {}, TypeError, r"n .* got True of type bool"),
        ("labels", (1,), {"both_classes": True}, ValueError, r"n must be an int >= 2"),
        ("labels", (3,), {"both_classes": 1}, TypeError, r"both_classes .* got 1 of type int"),
        ("logits", (), {"max_abs": 0}, ValueError, r"max_abs .* got 0 of type int"),
        ("logits", ((2, "3"),), {}, TypeError, r"shape\[1\] .* got '3' of type str"),
        ("logits", ([2],), {}, TypeError, r"shape .* got \[2\] of type list"),
        ("normal_samples", (3,), {"scale": -1.0}, ValueError, r"scale .* got -1\.0"),
        ("normal_samples", (3, 1e308, 1e308), {}, ValueError, r"infinite samples"),
        ("probabilities", (3,), {"open_interval": "yes"}, TypeError, r"open_interval"),
    ],
)
def test_bad_arguments_raise_at_once_with_name_value_and_type(
    function: str,
    args: tuple[object, ...],
    kwargs: dict[str, object],
    error: type[Exception],
    pattern: str,
) -> None:
    make: Any = getattr(gs, function)
    with pytest.raises(error, match=pattern):
        make(*args, **kwargs)


def test_a_size_strategy_drawing_a_bad_value_is_reported_when_drawn() -> None:
    strategy: SearchStrategy[np.ndarray] = gs.weights(st.just(0))  # lazily checked
    with pytest.raises(ValueError, match=r"the strategy given as d drew 0 of type int"):
        find(strategy, lambda _: True, settings=FIND)
