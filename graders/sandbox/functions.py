"""Trusted function families that a check can pass *into* a student's function.

Some assignment functions take functions as arguments (``gradient_descent(grad, ...)``,
``multi_start_descent(f, grad, ...)``). A callable cannot cross the wire, so the grader sends a
``FunctionSpec(family, params)`` and the worker materialises it here. Every family is plain
numpy arithmetic; parameters may be scalars or arrays (they broadcast with ``x``).

Families (``x`` is a scalar or an array; results are elementwise unless ``reduce`` is true, in
which case ``f`` sums over the entries of ``x`` so that it maps a point in R^d to a number and the
matching gradient is still elementwise):

- ``quadratic``: ``f(x) = a * (x - c)**2 + d``; params ``a`` (default 1), ``c`` (0), ``d`` (0),
  ``reduce`` (False). ``quadratic_grad``: ``2 * a * (x - c)``.
- ``wiggly``: ``f(x) = (x - c)**2 / 10 + b * sin(a * x)``, several local minima; params ``a``
  (required), ``b`` (1), ``c`` (0), ``reduce``. ``wiggly_grad``: ``(x - c) / 5 + a*b*cos(a*x)``.
- ``poly``: ``f(x) = sum(coefficients[k] * x**k)`` (ascending powers, like
  ``numpy.polynomial.polynomial.polyval``); params ``coefficients`` (required), ``reduce``.
  ``poly_grad``: its derivative.

Imported by the worker as the sibling module ``functions`` and by the grader (to validate specs
before sending them); standard library and numpy only, Python >= 3.9.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["FAMILIES", "materialise", "validate"]

_PARAMS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # family base name -> (required params, optional params)
    "quadratic": (frozenset(), frozenset({"a", "c", "d", "reduce"})),
    "wiggly": (frozenset({"a"}), frozenset({"b", "c", "reduce"})),
    "poly": (frozenset({"coefficients"}), frozenset({"reduce"})),
}
FAMILIES = frozenset(name + suffix for name in _PARAMS for suffix in ("", "_grad"))


def validate(family: str, params: Mapping[str, Any]) -> None:
    """Check that ``family`` exists and ``params`` names exactly its parameters.

    Raises
    ------
    ValueError
        With the family, the offending parameter names and the accepted ones.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown function family {family!r}; known: {sorted(FAMILIES)}")
    required, optional = _PARAMS[family.removesuffix("_grad")]
    names = set(params)
    if not required <= names or not names <= required | optional:
        raise ValueError(
            f"function family {family!r} takes parameters {sorted(required)} (required) and "
            f"{sorted(optional)} (optional); got {sorted(names)}"
        )
    for name, value in params.items():
        if name == "reduce":
            if type(value) is not bool:
                raise ValueError(f"{family}: 'reduce' must be a bool, got {value!r}")
            continue
        array = np.asarray(value)
        if array.dtype.kind not in "biuf" or (name != "coefficients" and array.ndim > 1):
            raise ValueError(f"{family}: parameter {name!r} must be numeric, got {value!r}")
    if "coefficients" in params and np.asarray(params["coefficients"]).ndim != 1:
        raise ValueError(f"{family}: 'coefficients' must be a 1-d list of numbers")


def materialise(family: str, params: Mapping[str, Any]) -> Callable[[Any], Any]:
    """Return the callable described by ``family`` and ``params`` (validated first)."""
    validate(family, params)
    reduce = bool(params.get("reduce", False))
    grad = family.endswith("_grad")
    base = family.removesuffix("_grad")
    numbers = {k: np.asarray(v, dtype=np.float64) for k, v in params.items() if k != "reduce"}

    def finish(value: Any) -> Any:
        value = np.asarray(value)
        if reduce and not grad:
            return np.float64(value.sum())
        return value[()] if value.ndim == 0 else value  # a scalar in, a numpy scalar out

    if base == "quadratic":
        a, c, d = (
            numbers.get(k, np.float64(default)) for k, default in (("a", 1), ("c", 0), ("d", 0))
        )

        def quadratic(x: Any) -> Any:
            x = np.asarray(x, dtype=np.float64)
            return finish(2 * a * (x - c) if grad else a * (x - c) ** 2 + d)

        return quadratic
    if base == "wiggly":
        a = numbers["a"]
        b = numbers.get("b", np.float64(1))
        c = numbers.get("c", np.float64(0))

        def wiggly(x: Any) -> Any:
            x = np.asarray(x, dtype=np.float64)
            if grad:
                return finish((x - c) / 5 + a * b * np.cos(a * x))
            return finish((x - c) ** 2 / 10 + b * np.sin(a * x))

        return wiggly
    coefficients = numbers["coefficients"]
    if grad:
        coefficients = coefficients[1:] * np.arange(1, len(coefficients))

    def poly(x: Any) -> Any:
        x = np.asarray(x, dtype=np.float64)
        total = np.zeros_like(x)
        for coefficient in coefficients[::-1]:  # Horner's rule
            total = total * x + coefficient
        return finish(total)

    return poly
