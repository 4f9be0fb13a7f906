"""Trusted function families: each gradient is the derivative of its function."""

from __future__ import annotations

import numpy as np
import pytest

from graders.sandbox.functions import FAMILIES, materialise, validate

PARAMS = {
    "quadratic": {"a": 2.0, "c": 1.5, "d": -1.0},
    "wiggly": {"a": 3.0, "b": 0.5, "c": 0.25},
    "poly": {"coefficients": [1.0, -2.0, 0.5, 0.25]},
}
POINTS = np.linspace(-3, 3, 13)


@pytest.mark.parametrize("family", sorted(PARAMS))
def test_gradient_matches_central_differences(family: str) -> None:
    f = materialise(family, PARAMS[family])
    grad = materialise(family + "_grad", PARAMS[family])
    h = 1e-6
    numeric = (f(POINTS + h) - f(POINTS - h)) / (2 * h)
    np.testing.assert_allclose(grad(POINTS), numeric, rtol=1e-6, atol=1e-6)


def test_documented_formulas() -> None:
    assert materialise("quadratic", {"a": 2.0, "c": 1.0, "d": 3.0})(4.0) == 2 * 9 + 3
    assert materialise("poly", {"coefficients": [1, 2, 3]})(2.0) == 1 + 4 + 12
    wiggly = materialise("wiggly", {"a": 3.0})(1.0)
    assert wiggly == pytest.approx(1 / 10 + np.sin(3.0))


def test_scalar_in_gives_numpy_scalar_out_and_reduce_sums() -> None:
    assert isinstance(materialise("quadratic_grad", {})(1.0), np.float64)
    f = materialise("quadratic", {"c": [1.0, 2.0], "reduce": True})
    assert f(np.array([1.0, 4.0])) == 4.0
    grad = materialise("quadratic_grad", {"c": [1.0, 2.0], "reduce": True})
    np.testing.assert_array_equal(grad(np.array([1.0, 4.0])), [0.0, 4.0])


@pytest.mark.parametrize(
    ("family", "params", "match"),
    [
        ("cubic", {}, "unknown function family 'cubic'"),
        ("wiggly", {}, r"takes parameters \['a'\] \(required\)"),
        ("quadratic", {"z": 1}, r"got \['z'\]"),
        ("quadratic", {"a": "x"}, "must be numeric"),
        ("poly", {"coefficients": 3.0}, "1-d list"),
        ("quadratic", {"reduce": 1}, "must be a bool"),
    ],
)
def test_bad_specs_are_refused_with_the_reason(
    family: str, params: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        validate(family, params)


def test_every_family_has_a_gradient() -> None:
    assert all(name + "_grad" in FAMILIES for name in PARAMS)
