"""Hypothesis strategies and settings for the reference tests.

Bounded on purpose (house style): element ranges are chosen so the ORACLES stay accurate, and
numerical extremes are tested by explicit examples in the test modules instead.

- design matrices: ``n`` in [1, 25] rows, ``d`` in [1, 4] columns, entries in [-4, 4]
  (no NaN/inf, no subnormals);
- weights: entries in [-3, 3], so ``|X @ w| <= 48`` and every logit is moderate;
- labels: 0/1 int64 vectors, optionally forced to hold both classes;
- scores: drawn from a small grid (multiples of 1/4 in [-5, 5]) so ties are frequent and every
  strictly increasing transform used in the tests stays strictly increasing in floating point.

Module name is prefixed (``ref_``) so it cannot collide with other test folders' helpers when
pytest puts each rootless test directory on ``sys.path``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "SETTINGS",
    "binary_labels",
    "logistic_problems",
    "logits",
    "scores_and_labels",
]

SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=40)
"""Reproducible runs everywhere: fixed seed, no example database, no timing flakiness."""

FEW = settings(derandomize=True, database=None, deadline=None, max_examples=20)
"""For properties whose single example is comparatively expensive."""


def bounded_floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in ``[lo, hi]``, no subnormals."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def logits(max_abs: float = 50.0, max_dims: int = 3) -> st.SearchStrategy[Any]:
    """Float arrays of any shape (up to ``max_dims`` axes, 0-d included), ``|z| <= max_abs``."""
    return hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=max_dims, max_side=6),
        elements=bounded_floats(-max_abs, max_abs),
    )


def binary_labels(n: int, *, both_classes: bool = False) -> st.SearchStrategy[Any]:
    """int64 0/1 vectors of length ``n``; with ``both_classes`` at least one of each (n >= 2)."""
    labels = hnp.arrays(np.int64, n, elements=st.integers(0, 1))
    if both_classes:
        return labels.filter(lambda y: 0 < int(y.sum()) < n)
    return labels


@st.composite
def logistic_problems(
    draw: st.DrawFn,
    n_rows: tuple[int, int] = (1, 25),
    n_cols: tuple[int, int] = (1, 4),
) -> tuple[Any, Any, Any]:
    """``(X, y, w)`` with consistent shapes: ``(n, d)``, ``(n,)`` 0/1 labels, ``(d,)``."""
    n = draw(st.integers(*n_rows))
    d = draw(st.integers(*n_cols))
    X = draw(hnp.arrays(np.float64, (n, d), elements=bounded_floats(-4.0, 4.0)))
    y = draw(binary_labels(n))
    w = draw(hnp.arrays(np.float64, d, elements=bounded_floats(-3.0, 3.0)))
    return X, y, w


@st.composite
def scores_and_labels(draw: st.DrawFn, n_max: int = 30) -> tuple[Any, Any]:
    """``(y_true, scores)`` with both classes present and many tied scores."""
    n = draw(st.integers(2, n_max))
    y = draw(binary_labels(n, both_classes=True))
    grid = hnp.arrays(np.float64, n, elements=st.integers(-20, 20).map(lambda k: k / 4.0))
    return y, draw(grid)
