"""Tests for graders.compare: the decision (compare), re-validation and the student-facing text."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graders.compare import (
    MAX_ELEMENTS,
    Mismatch,
    Tolerance,
    as_plain_array,
    compare,
    render_mismatch,
    render_value,
)

FAST = settings(derandomize=True, database=None, deadline=None, max_examples=150)


@dataclass(frozen=True)
class Unsupported:
    """Stand-in for graders.sandbox.protocol.Unsupported (compare detects it structurally)."""

    type_name: str
    summary: str


class LyingArray(np.ndarray):
    """An ndarray subclass whose == always says "equal"."""

    def __eq__(self, other: object) -> bool:
        return True


# --------------------------------------------------------------------------- Tolerance


def test_tolerance_str_is_stable() -> None:
    assert str(Tolerance()) == "rtol=1e-06, atol=1e-09"
    assert str(Tolerance(rtol=0, atol=0.5)) == "rtol=0.0, atol=0.5"


@pytest.mark.parametrize("bad", [-1e-6, float("nan"), float("inf")])
def test_tolerance_rejects_bad_values_naming_the_argument(bad: float) -> None:
    with pytest.raises(ValueError, match=r"rtol must be a non-negative finite number, got"):
        Tolerance(rtol=bad)


def test_tolerance_rejects_non_numbers_with_type() -> None:
    with pytest.raises(TypeError, match=r"atol .* got '1e-9' of type str"):
        Tolerance(atol="1e-9")  # type: ignore[arg-type]


def test_compare_rejects_misuse_early() -> None:
    with pytest.raises(TypeError, match="tolerance must be a Tolerance"):
        compare(1.0, 1.0, 1e-6)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected must be a number or an array"):
        compare("0.5", 0.5)
    with pytest.raises(TypeError, match="compare the parts of a structured answer"):
        compare(np.array(["a"]), 0.5)


# --------------------------------------------------------------------------- decisions


def test_equal_arrays_match() -> None:
    assert compare(np.array([0.5, 0.25]), np.array([0.5, 0.25])) is None


def test_scalars_and_zero_d_arrays_are_interchangeable() -> None:
    for expected in (0.5, np.float64(0.5), np.array(0.5)):
        for actual in (0.5, np.float64(0.5), np.float32(0.5), np.array(0.5)):
            assert compare(expected, actual) is None


def test_int_result_for_float_quantity_is_compared_by_value() -> None:
    assert compare(np.array([1.0, 2.0]), np.array([1, 2])) is None
    assert compare(3.0, 3) is None


def test_lists_of_numbers_are_accepted() -> None:
    assert compare(np.array([[1.0, 2.0], [3.0, 4.0]]), [[1, 2.0], (3, 4)]) is None


def test_relative_tolerance_uses_the_expected_value_as_denominator() -> None:
    tol = Tolerance(rtol=0.1, atol=0.0)
    # Expected 10, got 11: 1 <= 0.1 * 10 passes. Expected 9, got 10: 1 > 0.1 * 9 fails, though
    # it would pass if the denominator were the student's value (0.1 * 10).
    assert compare(10.0, 11.0, tol) is None
    assert compare(9.0, 10.0, tol) is not None


def test_column_vector_is_a_shape_mismatch_with_hint() -> None:
    m = compare(np.zeros(5), np.zeros((5, 1)))
    assert m is not None and m.kind == "shape"
    assert re.search(
        r"your result has shape \(5, 1\); expected \(5,\)\. A column vector", m.summary
    )
    assert "broadcasts silently" in m.summary and ".ravel()" in m.summary


def test_row_vector_and_transpose_hints() -> None:
    m = compare(np.zeros(3), np.zeros((1, 3)))
    assert m is not None and m.kind == "shape" and "row vector" in m.summary
    m = compare(np.zeros((2, 3)), np.zeros((3, 2)))
    assert m is not None and m.kind == "shape" and "transposed" in m.summary


def test_scalar_for_an_array_is_a_shape_mismatch_never_broadcast() -> None:
    m = compare(np.full(4, 0.5), 0.5)
    assert m is not None and m.kind == "shape"
    assert re.search(r"is a single number; expected an array of shape \(4,\)", m.summary)


@pytest.mark.parametrize("actual", [np.array([0.5]), [0.5], np.array([[0.5]])])
def test_length_one_array_for_a_scalar_is_a_shape_mismatch(actual: object) -> None:
    m = compare(0.5, actual)
    assert m is not None and m.kind == "shape"
    assert re.search(r"expected a single number\. .*float\(x\) or x\.item\(\)", m.summary)


def test_shape_strict_false_accepts_length_one_axes_only() -> None:
    assert compare(np.arange(3.0), np.arange(3.0)[:, None], shape_strict=False) is None
    assert compare(0.5, [0.5], shape_strict=False) is None
    m = compare(np.zeros((2, 3)), np.zeros((3, 2)), shape_strict=False)
    assert m is not None and m.kind == "shape"


def test_bool_result_needs_allow_bool() -> None:
    m = compare(np.array([1.0, 0.0]), np.array([True, False]))
    assert m is not None and m.kind == "dtype"
    assert re.search(r"array of bools .*expected numbers\. Convert with \.astype", m.summary)
    assert compare(np.array([1.0, 0.0]), np.array([True, False]), allow_bool=True) is None
    m = compare(1.0, True)
    assert m is not None and m.kind == "dtype" and "a bool (True)" in m.summary


def test_require_integer_rejects_integral_floats() -> None:
    counts = np.array([[3, 1], [0, 2]])
    assert compare(counts, counts.copy(), require_integer=True) is None
    m = compare(counts, counts.astype(float), require_integer=True)
    assert m is not None and m.kind == "dtype"
    assert re.search(r"dtype float64; expected integers \(counts\)", m.summary)
    m = compare(counts, counts.astype(bool), require_integer=True, allow_bool=True)
    assert m is not None and m.kind == "value"  # bools allowed, but True != 3


def test_nan_where_finite_expected_is_nonfinite_with_count_and_positions() -> None:
    actual = np.array([0.1, np.nan, 0.3, np.inf, np.nan])
    m = compare(np.array([0.1, 0.2, 0.3, 0.4, 0.5]), actual)
    assert m is not None and m.kind == "nonfinite"
    assert m.n_differing == 3 and m.n_total == 5
    assert re.search(r"3 non-finite entries \(2 NaN and 1 infinite\)", m.summary)
    assert "at index [1], [3], [4]" in m.summary
    assert [index for index, _, _ in m.differing] == [(1,), (3,), (4,)]


def test_nonfinite_is_reported_before_ordinary_value_differences() -> None:
    m = compare(np.array([1.0, 2.0]), np.array([5.0, np.nan]))
    assert m is not None and m.kind == "nonfinite"


def test_nan_expected_and_nan_given_are_equal_and_infinities_must_match() -> None:
    expected = np.array([np.nan, np.inf, -np.inf])
    assert compare(expected, expected.copy()) is None
    m = compare(expected, np.array([np.nan, -np.inf, -np.inf]))
    assert m is not None and m.kind == "value" and m.n_differing == 1
    m = compare(expected, np.array([0.0, np.inf, -np.inf]))
    assert m is not None and m.kind == "value"


def test_value_mismatch_counts_and_keeps_first_entries_in_order() -> None:
    expected = np.arange(20.0)
    actual = expected.copy()
    actual[[2, 5, 7, 11, 13, 17, 19]] += 1.0
    m = compare(expected, actual)
    assert m is not None and m.kind == "value"
    assert (m.n_differing, m.n_total) == (7, 20)
    assert m.differing[0] == ((2,), 2.0, 3.0)
    assert [i for i, _, _ in m.differing] == [(2,), (5,), (7,), (11,), (13,), (17,), (19,)]


# --------------------------------------------------------------------------- as_plain_array


def test_as_plain_array_normalises_dtypes() -> None:
    for value, dtype in [
        (np.arange(3, dtype=np.float32), np.float64),
        (np.arange(3, dtype=np.uint8), np.int64),
        (np.array([True]), np.bool_),
        (3, np.int64),
        (2.5, np.float64),
        (np.float32(2.5), np.float64),
        ([1, 2.5], np.float64),
        ((1, 2), np.int64),
    ]:
        result = as_plain_array(value, name="f(x)")
        assert isinstance(result, np.ndarray) and result.dtype == dtype, value


def test_pandas_results_count_by_their_values_not_their_index() -> None:
    import pandas as pd

    series = pd.Series([0.25, 0.5], index=[7, 3], name="p")
    assert compare(np.array([0.25, 0.5]), series) is None
    column = pd.DataFrame({"w": [1.0, -2.0]}, index=["a", "b"])  # one column: a vector
    assert compare(np.array([1.0, -2.0]), column) is None
    table = pd.DataFrame([[3, 1], [0, 2]], columns=["no", "yes"])  # e.g. pd.crosstab
    assert compare(np.array([[3, 1], [0, 2]]), table, require_integer=True) is None
    assert as_plain_array(pd.Series([True, False])).dtype == np.bool_


def test_pandas_text_is_still_not_numbers() -> None:
    import pandas as pd

    m = as_plain_array(pd.DataFrame({"p": ["0.25", "0.5"]}))
    assert isinstance(m, Mismatch) and m.kind == "type"
    assert "its columns are not all numbers" in m.summary


def test_as_plain_array_names_an_unsupported_object() -> None:
    m = as_plain_array(Unsupported("LyingArray", "ndarray subclass"), name="sigmoid(z)")
    assert isinstance(m, Mismatch) and m.kind == "type"
    assert re.fullmatch(
        r"sigmoid\(z\) is a <class 'LyingArray'> \(ndarray subclass\); "
        r"expected a numpy array of floats",
        m.summary,
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (np.zeros(3).view(LyingArray), r"<class '.*LyingArray'>"),
        ("0.5", r"<class 'str'> \('0\.5'\)"),
        (None, r"<class 'NoneType'>"),
        ({"w": 1.0}, r"<class 'dict'>"),
        (1 + 2j, r"<class 'complex'>"),
        (np.array([1 + 2j]), r"of dtype complex128"),
        (np.array([1.0, "a"], dtype=object), r"of dtype object"),
        ([1.0, "a"], r"it contains a <class 'str'>"),
        ([[1.0, 2.0], [3.0]], r"rows of different lengths"),
        (2**70, r"too large for int64"),
        ([Unsupported("Foo", "")], r"it contains a <class 'Foo'>"),
    ],
)
def test_as_plain_array_rejects_with_a_type_mismatch(value: object, shown: str) -> None:
    m = as_plain_array(value, name="your result")
    assert isinstance(m, Mismatch) and m.kind == "type"
    assert re.search(r"your result is a .*" + shown, m.summary), m.summary
    assert m.summary.endswith("expected a numpy array of floats")


def test_lying_array_never_reaches_a_value_comparison() -> None:
    m = compare(np.ones(3), np.zeros(3).view(LyingArray))
    assert m is not None and m.kind == "type"


def test_as_plain_array_rejects_oversized_arrays() -> None:
    big = np.broadcast_to(np.float64(0), (MAX_ELEMENTS + 1,))  # a view: no memory used
    m = as_plain_array(big, name="x")
    assert isinstance(m, Mismatch) and "more than 10,000,000" in m.summary


# --------------------------------------------------------------------------- rendering


def test_render_array_mismatch_headline_and_table() -> None:
    expected = np.linspace(0.1, 1.0, 10)
    actual = expected.copy()
    actual[[1, 3, 5, 6, 7, 8, 9]] += 0.5
    m = compare(expected, actual)
    assert m is not None
    text = render_mismatch(m, what="sigmoid(z)")
    lines = text.splitlines()
    assert lines[0] == (
        "sigmoid(z) differs from the expected value in 7 of 10 entries "
        "(tolerance: rtol=1e-06, atol=1e-09)"
    )
    assert re.fullmatch(r"\s+index\s+\|\s+expected\s+\|\s+yours\s+\|\s+difference", lines[1])
    rows = [line for line in lines if re.match(r"\s+\[\d+\]", line)]
    assert len(rows) == 5
    assert re.fullmatch(r"\s+\[1\]\s+\|\s+0\.2\s+\|\s+0\.7\s+\|\s+0\.5", rows[0])
    assert lines[-1].strip() == "... and 2 more"


def test_render_scalar_mismatch_shows_the_allowance() -> None:
    m = compare(0.5, 0.7310585786300049)
    assert m is not None
    text = render_mismatch(m, what="sigmoid(1.0)")
    assert re.fullmatch(
        r"sigmoid\(1\.0\) differs from the expected value: expected 0\.5 ± 5\.01e-07, "
        r"got 0\.7310585786 \(difference 0\.2310585786; tolerance: rtol=1e-06, atol=1e-09\)\.",
        text,
    )


def test_render_shape_and_type_mismatches_name_the_call() -> None:
    m = compare(np.zeros(5), np.zeros((5, 1)))
    assert m is not None
    assert re.match(
        r"sigmoid\(z\) returned the wrong shape: your result has shape \(5, 1\); expected \(5,\)",
        render_mismatch(m, what="sigmoid(z)"),
    )
    m = compare(np.zeros(5), Unsupported("LyingArray", ""))
    assert m is not None
    assert render_mismatch(m, what="sigmoid(z)") == (
        "sigmoid(z) returned the wrong type of value: your result is a <class 'LyingArray'>; "
        "expected a numpy array of floats."
    )


def test_render_nonfinite_lists_positions() -> None:
    m = compare(np.zeros(3), np.array([0.0, np.nan, 0.0]))
    assert m is not None
    text = render_mismatch(m, what="log_likelihood(X, y, w)")
    assert text.startswith("log_likelihood(X, y, w) returned non-finite values: ")
    assert re.search(r"\[1\]\s+\|\s+0\.0\s+\|\s+nan", text)


def test_render_value_examples() -> None:
    assert render_value(np.array([-1000.0, 0.0, 3.5])) == "array([-1000., 0., 3.5])"
    assert render_value(np.arange(50.0)) == (
        "array([0., 1., 2., 3., 4., 5., ..., 48., 49.]) (shape (50,))"
    )
    assert render_value(np.eye(2)) == "array([[1., 0.], [0., 1.]]) (shape (2, 2))"
    assert render_value(np.zeros((50, 3))) == (
        "array([[0., 0., 0.], [0., 0., 0.], ...]) (shape (50, 3))"
    )
    assert render_value(np.array([1, 2])) == "array([1, 2])"
    assert render_value(0.1) == "0.1"
    assert render_value(np.float64(2.0)) == "2.0"
    assert render_value(1 / 3) == "0.3333333333"
    assert render_value((1, [2.5, None])) == "(1, [2.5, None])"
    assert render_value(Unsupported("Gen", "a generator")) == "<class 'Gen'> (a generator)"


def test_render_value_is_deterministic_and_bounded() -> None:
    value = np.linspace(-1, 1, 10_000).reshape(100, 100)
    first = render_value(value)
    assert first == render_value(value.copy())
    assert len(first) < 200 and "(shape (100, 100))" in first


def test_render_value_survives_hostile_objects() -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert render_value(Hostile()) == "<Hostile object>"
    with pytest.raises(ValueError, match=r"max_items must be a positive int, got 0 of type int"):
        render_value(1.0, max_items=0)


# --------------------------------------------------------------------------- properties

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
tolerances = st.builds(
    Tolerance,
    rtol=st.sampled_from([0.0, 1e-9, 1e-6, 1e-3]),
    atol=st.sampled_from([0.0, 1e-12, 1e-9, 1e-3]),
)
any_floats = st.floats(allow_subnormal=True) | st.sampled_from([np.nan, np.inf, -np.inf, 0.0])


def oracle_close(e: float, a: float, tol: Tolerance) -> bool:
    """The specification, entry by entry, in plain Python."""
    if math.isnan(e):
        return math.isnan(a)
    if math.isinf(e):
        return a == e
    if not math.isfinite(a):
        return False
    return abs(a - e) <= tol.atol + tol.rtol * abs(e)


@FAST
@given(hnp.arrays(np.float64, shapes, elements=finite))
def test_any_finite_array_matches_itself(x: np.ndarray) -> None:
    assert compare(x, x.copy()) is None
    if 0 not in x.shape:  # tolist() of an empty 2-D array is [], which has lost the shape
        assert compare(x, x.tolist()) is None


@st.composite
def nearby_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, Tolerance]:
    """Expected and actual arrays whose differences sit around the tolerance boundary."""
    tol = draw(tolerances)
    expected = draw(hnp.arrays(np.float64, shapes, elements=any_floats))
    factors = draw(
        hnp.arrays(
            np.float64,
            expected.shape,
            elements=st.sampled_from([0.0, 0.5, 0.999, 1.0, 1.001, 2.0, -1.0, -1.001]),
        )
    )
    with np.errstate(all="ignore"):
        actual = expected + factors * (tol.atol + tol.rtol * np.abs(expected))
    if draw(st.booleans()):
        noise = draw(hnp.arrays(np.float64, expected.shape, elements=any_floats))
        mask = draw(hnp.arrays(np.bool_, expected.shape))
        actual = np.where(mask, noise, actual)
    return expected, actual, tol


@FAST
@given(nearby_pairs())
def test_compare_agrees_with_the_elementwise_oracle(
    pair: tuple[np.ndarray, np.ndarray, Tolerance],
) -> None:
    expected, actual, tol = pair
    verdicts = [
        oracle_close(float(e), float(a), tol)
        for e, a in zip(expected.ravel(), actual.ravel(), strict=True)
    ]
    m = compare(expected, actual, tol)
    assert (m is None) == all(verdicts)
    if m is not None:
        assert m.kind in ("nonfinite", "value")
        assert m.n_differing == (
            sum(not v for v in verdicts)
            if m.kind == "value"
            else int(np.count_nonzero(np.isfinite(expected) & ~np.isfinite(actual)))
        )
        for index, e, a in m.differing:
            assert not oracle_close(e, a, tol)
            assert np.array_equal(expected[index], e, equal_nan=True)


@FAST
@given(
    hnp.arrays(np.float64, shapes, elements=any_floats),
    hnp.arrays(np.float64, shapes, elements=any_floats),
)
def test_shape_is_always_reported_before_values(x: np.ndarray, y: np.ndarray) -> None:
    m = compare(x, y)
    if x.shape != y.shape:
        assert m is not None and m.kind == "shape"
        assert str(x.shape) in m.summary or "single number" in m.summary


@st.composite
def mismatches(draw: st.DrawFn) -> Mismatch:
    """Mismatches from compare on random pairs, and hand-built ones with odd fields."""
    if draw(st.booleans()):
        x = draw(hnp.arrays(np.float64, shapes, elements=any_floats))
        y = draw(
            hnp.arrays(np.float64, shapes, elements=any_floats)
            | st.just(x + 1.0)
            | st.sampled_from([None, "text", Unsupported("X", "y"), [1, "a"], True])
        )
        m = compare(x, y)
        if m is not None:
            return m
    entries = st.tuples(
        st.lists(st.integers(0, 10**9), max_size=3).map(tuple), any_floats, any_floats
    )
    return Mismatch(
        kind=draw(st.sampled_from(["type", "shape", "dtype", "nonfinite", "value"])),
        summary=draw(st.text(max_size=30)),
        expected=draw(st.sampled_from([None, 0.5, np.zeros(3), np.array(1.0), "x"])),
        actual=draw(st.sampled_from([None, 0.5, np.zeros((2, 2)), Unsupported("A", "b")])),
        tolerance=draw(tolerances),
        differing=tuple(draw(st.lists(entries, max_size=8))),
        n_differing=draw(st.integers(0, 100)),
        n_total=draw(st.integers(0, 100)),
    )


@FAST
@given(mismatches(), st.text(min_size=1, max_size=20))
def test_render_never_raises_and_names_the_call(m: Mismatch, what: str) -> None:
    text = render_mismatch(m, what=what)
    assert isinstance(text, str) and text.startswith(what)
    assert text == render_mismatch(m, what=what)


@FAST
@given(
    hnp.arrays(
        hnp.scalar_dtypes().filter(lambda d: d.kind in "biuf"),
        hnp.array_shapes(min_dims=0, max_dims=4, max_side=6),
    ),
    st.integers(1, 12),
)
def test_render_value_never_raises_and_stays_short(x: np.ndarray, max_items: int) -> None:
    text = render_value(x, max_items=max_items)
    assert text == render_value(x.copy(), max_items=max_items)
    assert len(text) < 60 * (max_items + 2)
