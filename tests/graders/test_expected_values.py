"""Expected values are remembered across submissions only where reusing them cannot change a
verdict: the same module-level reference on exactly the same small inputs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graders.checks import expected
from graders.checks.expected import expected_value

CALLS: list[tuple[object, ...]] = []


def doubled(x: np.ndarray, scale: float = 2.0) -> np.ndarray:
    """A module-level "reference" that counts its calls."""
    CALLS.append((x, scale))
    return np.asarray(x) * scale


def as_list(x: np.ndarray) -> list[float]:
    CALLS.append((x,))
    return [float(v) for v in x]


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    CALLS.clear()
    expected._EXPECTED.clear()
    yield
    expected._EXPECTED.clear()


def test_the_same_input_is_computed_once_and_the_result_cannot_be_changed() -> None:
    first = expected_value(doubled, (np.array([1.0, 2.0]), 2.0))
    again = expected_value(doubled, (np.array([1.0, 2.0]), 2.0))  # equal, not the same object
    assert len(CALLS) == 1
    np.testing.assert_array_equal(again, [2.0, 4.0])
    assert again is first
    with pytest.raises(ValueError, match="read-only"):
        again[0] = 99.0


@pytest.mark.parametrize(
    ("seen", "other"),
    [
        ((np.array([1.0, 2.0]), 2.0), (np.array([1.0, 2.0]), 3.0)),
        ((np.array([1.0, 0.0]), 2.0), (np.array([1.0, -0.0]), 2.0)),  # -0.0 matters to 1/x
        ((np.array([1.0, 2.0]), 2.0), (np.array([1, 2]), 2.0)),
        ((np.array([1.0, 2.0]), 2.0), (np.array([[1.0, 2.0]]), 2.0)),
    ],
    ids=["scalar", "signed zero", "dtype", "shape"],
)
def test_any_difference_in_the_input_is_computed_afresh(
    seen: tuple[np.ndarray, float], other: tuple[np.ndarray, float]
) -> None:
    expected_value(doubled, seen)
    value = expected_value(doubled, other)
    assert len(CALLS) == 2
    np.testing.assert_array_equal(value, other[0] * other[1])
    assert str(value.dtype) == str((other[0] * other[1]).dtype)


def test_lambdas_closures_large_inputs_and_mutable_results_are_never_remembered() -> None:
    scale = 3.0
    closure = lambda x: doubled(x, scale)  # noqa: E731 -- the point: not a module attribute
    big = np.zeros(expected._MAX_EXPECTED_INPUT_BYTES // 8 + 1)
    for reference, args in [
        (closure, (np.ones(2),)),
        (doubled, (big, 2.0)),
        (as_list, (np.ones(2),)),
        (doubled, ([1.0, 2.0], 2.0)),  # a list argument: could be changed by the caller
    ]:
        for _ in range(2):
            expected_value(reference, args)
    assert len(CALLS) == 8
    assert not expected._EXPECTED


@settings(derandomize=True, database=None, deadline=None, max_examples=50)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=6))
def test_remembered_values_equal_fresh_ones(values: list[float]) -> None:
    x = np.array(values)
    for _ in range(2):
        np.testing.assert_array_equal(expected_value(doubled, (x.copy(), 2.0)), x * 2.0)
