r"""Deterministic data for the assignments and the tests (nothing is downloaded).

- :func:`breast_cancer_split`: scikit-learn's bundled Wisconsin breast cancer data, split and
  standardised.
- :func:`synthetic_logistic`: a well-conditioned logistic regression problem with known weights.
- :func:`linear_data`: data for the no-intercept RSS model :math:`y \approx m X`.
- :func:`wiggly` / :func:`wiggly_derivative`: a 1-D objective with many local minima, for restarts.

Every generator takes an explicit ``seed`` and uses ``numpy.random.default_rng(seed)``, so the
same arguments give bit-identical arrays on every machine with the same numpy.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, overload

import numpy as np
import numpy.typing as npt

from reference._arrays import (
    FloatArray,
    IntArray,
    as_count,
    as_float_array,
    as_real,
    finish,
    is_scalar_input,
)
from reference.logistic import sigmoid

__all__ = [
    "LINEAR_NOISE_SD",
    "LINEAR_TRUE_SLOPE",
    "WIGGLY_A",
    "WIGGLY_GLOBAL_MINIMUM",
    "WIGGLY_LOCAL_MINIMA",
    "WIGGLY_TRAP_MINIMUM",
    "WIGGLY_TRAP_START",
    "LinearData",
    "LogisticData",
    "Split",
    "breast_cancer_split",
    "linear_data",
    "synthetic_logistic",
    "wiggly",
    "wiggly_derivative",
    "wiggly_local_minima",
]


# --------------------------------------------------------------------------- breast cancer


class Split(NamedTuple):
    """A train/test split; unpacks as ``X_train, X_test, y_train, y_test`` (sklearn's order)."""

    X_train: FloatArray
    X_test: FloatArray
    y_train: IntArray
    y_test: IntArray


def breast_cancer_split(test_size: float = 0.25, seed: int = 0) -> Split:
    r"""The breast cancer data (569 x 30), stratified split, standardised with TRAIN statistics.

    Steps: ``X, y = sklearn.datasets.load_breast_cancer(return_X_y=True)`` (bundled with
    scikit-learn; ``y = 1`` is benign, ``0`` malignant); ``train_test_split(X, y,
    test_size=test_size, random_state=seed, stratify=y)``; then both parts are standardised
    with the training mean and standard deviation (``ddof=0``, as ``StandardScaler``):

    .. math::

        \tilde X = \frac{X - \bar x_{\text{train}}}{s_{\text{train}}}

    so the training columns have mean 0 and standard deviation 1, and no test information
    leaks into the scaling.

    Returns
    -------
    Split
        ``(X_train, X_test, y_train, y_test)``; float64 features, int64 labels.
    """
    from sklearn.datasets import load_breast_cancer  # heavy import, only when used
    from sklearn.model_selection import train_test_split

    size = as_real(test_size, "test_size")
    if not 0.0 < size < 1.0:
        raise ValueError(f"test_size must be a fraction in (0, 1); got {size!r}")
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=size, random_state=as_count(seed, "seed"), stratify=y
    )
    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0, ddof=0)
    return Split(
        X_train=np.asarray((X_train - mean) / scale, dtype=np.float64),
        X_test=np.asarray((X_test - mean) / scale, dtype=np.float64),
        y_train=np.asarray(y_train, dtype=np.int64),
        y_test=np.asarray(y_test, dtype=np.int64),
    )


# --------------------------------------------------------------------------- synthetic logistic


class LogisticData(NamedTuple):
    """Unpacks as ``X, y, w_true``."""

    X: FloatArray
    y: IntArray
    w_true: FloatArray


def synthetic_logistic(n: int, d: int, seed: int) -> LogisticData:
    r"""A well-conditioned logistic regression sample with known weights (no intercept).

    .. math::

        X_{ij} \sim N(0, 1), \qquad w^{\text{true}}_j \sim N\!\left(0, \tfrac{2.25}{d}\right),
        \qquad y_i \sim \text{Bernoulli}\left(\sigma(x_i^\top w^{\text{true}})\right)

    all drawn in that order from ``numpy.random.default_rng(seed)``. The logits have standard
    deviation about 1.5, so both classes are well represented and, for ``n`` much larger than
    ``d``, the data are not separable: the MLE exists and ``X^T X / n`` is close to the identity.

    Returns
    -------
    LogisticData
        ``(X, y, w_true)`` with shapes ``(n, d)``, ``(n,)`` (int64 0/1) and ``(d,)``.
    """
    rows = as_count(n, "n")
    cols = as_count(d, "d")
    if cols == 0:
        raise ValueError("d must be >= 1")
    rng = np.random.default_rng(as_count(seed, "seed"))
    X = rng.standard_normal((rows, cols))
    w_true = rng.standard_normal(cols) * (1.5 / math.sqrt(cols))
    y = (rng.random(rows) < sigmoid(X @ w_true)).astype(np.int64)
    return LogisticData(X=X, y=y, w_true=w_true)


# --------------------------------------------------------------------------- linear (RSS) data

LINEAR_TRUE_SLOPE = 1.5
"""The slope :math:`m` used by :func:`linear_data`."""

LINEAR_NOISE_SD = 2.0
"""The noise standard deviation used by :func:`linear_data`."""


class LinearData(NamedTuple):
    """Unpacks as ``X, y``."""

    X: FloatArray
    y: FloatArray


def linear_data(n: int, seed: int) -> LinearData:
    r"""Data for the no-intercept model :math:`y = m X + \varepsilon`.

    .. math::

        X_i \sim U(1, 10), \qquad y_i = 1.5\, X_i + \varepsilon_i, \qquad
        \varepsilon_i \sim N(0, 2^2),

    drawn in that order from ``numpy.random.default_rng(seed)`` (see
    :data:`LINEAR_TRUE_SLOPE`, :data:`LINEAR_NOISE_SD`). The RSS minimiser
    :math:`\sum X_i y_i / \sum X_i^2` is close to 1.5 for moderate ``n``.

    Returns
    -------
    LinearData
        ``(X, y)``, both float64 of shape ``(n,)``.
    """
    rows = as_count(n, "n")
    rng = np.random.default_rng(as_count(seed, "seed"))
    X = rng.uniform(1.0, 10.0, size=rows)
    y = LINEAR_TRUE_SLOPE * X + rng.normal(0.0, LINEAR_NOISE_SD, size=rows)
    return LinearData(X=X, y=y)


# --------------------------------------------------------------------------- wiggly objective

WIGGLY_A = 3.0
"""Default frequency ``a`` of :func:`wiggly`; the constants below are for this value."""

WIGGLY_LOCAL_MINIMA: tuple[float, ...] = (
    -14.724724251586636,
    -12.751254689734759,
    -10.729877835960922,
    -8.695070736178392,
    -6.653590389836328,
    -4.608298882423005,
    -2.560806938073543,
    -0.512214028356113,
    1.536589880147750,
    3.584751817303720,
    5.631303162965095,
    7.674941969136582,
    9.713578846121255,
    11.743017886493417,
    13.750581767550193,
)
"""All 15 local minima of ``wiggly(x, a=3)`` (there are none with ``|x| > 15``), increasing."""

WIGGLY_GLOBAL_MINIMUM = -0.512214028356113
"""The global minimiser of ``wiggly(x, a=3)``; ``wiggly`` there is about ``-0.973180``."""

WIGGLY_TRAP_START = 2.0
"""A start from which a single descent is trapped: it lies in the basin ``(0.5355, 2.6778)``
(between the neighbouring local maxima) of :data:`WIGGLY_TRAP_MINIMUM`, so
``gradient_descent(wiggly_derivative, 2.0, alpha=0.01, max_iterations=10_000,
precision=1e-10)`` ends near 1.5366, where ``wiggly`` is about ``-0.758629``, not at the global
minimum."""

WIGGLY_TRAP_MINIMUM = 1.536589880147750
"""The local (not global) minimum reached from :data:`WIGGLY_TRAP_START`."""


@overload
def wiggly(x: float, a: float = WIGGLY_A) -> float: ...
@overload
def wiggly(x: npt.NDArray[Any], a: float = WIGGLY_A) -> FloatArray: ...
@overload
def wiggly(x: npt.ArrayLike, a: float = WIGGLY_A) -> float | FloatArray: ...
def wiggly(x: npt.ArrayLike, a: float = WIGGLY_A) -> float | FloatArray:
    r"""A bowl with ripples: :math:`f(x) = x^2 / 10 + \sin(a x)`, elementwise.

    For the default ``a = 3`` it has 15 local minima (:data:`WIGGLY_LOCAL_MINIMA`), the global
    one at :data:`WIGGLY_GLOBAL_MINIMUM` :math:`\approx -0.5122`; the next best is
    :data:`WIGGLY_TRAP_MINIMUM` :math:`\approx 1.5366`.

    Parameters
    ----------
    x : float or array_like
        Evaluation point(s), any shape.
    a : float, default 3.0
        Frequency of the ripples; larger ``a`` means more, narrower basins.

    Returns
    -------
    float or ndarray
        ``float`` for a scalar ``x``, otherwise an array of the shape of ``x``.
    """
    x_ = as_float_array(x, "x")
    freq = as_real(a, "a")
    return finish(x_**2 / 10.0 + np.sin(freq * x_), is_scalar_input(x))


@overload
def wiggly_derivative(x: float, a: float = WIGGLY_A) -> float: ...
@overload
def wiggly_derivative(x: npt.NDArray[Any], a: float = WIGGLY_A) -> FloatArray: ...
@overload
def wiggly_derivative(x: npt.ArrayLike, a: float = WIGGLY_A) -> float | FloatArray: ...
def wiggly_derivative(x: npt.ArrayLike, a: float = WIGGLY_A) -> float | FloatArray:
    r"""Derivative of :func:`wiggly`, elementwise.

    .. math::

        f'(x) = \frac{x}{5} + a \cos(a x)

    Same parameters and return conventions as :func:`wiggly`.
    """
    x_ = as_float_array(x, "x")
    freq = as_real(a, "a")
    return finish(x_ / 5.0 + freq * np.cos(freq * x_), is_scalar_input(x))


def wiggly_local_minima(a: float = WIGGLY_A) -> FloatArray:
    r"""Every local minimum of :func:`wiggly` for frequency ``a > 0``, in increasing order.

    A critical point solves :math:`x / 5 = -a \cos(a x)`, so :math:`|x| \le 5a`. The interval
    ``[-5a, 5a]`` is scanned on a grid much finer than the period :math:`2\pi / a`; every sign
    change of :math:`f'` from negative to positive brackets a minimum, refined by bisection
    to full float precision. (A tangential zero of :math:`f'`, which needs a special ``a``,
    is not a strict minimum and is not reported.)
    """
    freq = as_real(a, "a")
    if freq <= 0.0:
        raise ValueError(f"a must be > 0; got {freq!r}")
    half_width = 5.0 * freq
    spacing = min(2.0 * math.pi / freq / 200.0, half_width / 1000.0)
    grid = np.arange(-half_width - spacing, half_width + 2.0 * spacing, spacing)
    slope = grid / 5.0 + freq * np.cos(freq * grid)
    brackets = np.flatnonzero((slope[:-1] < 0.0) & (slope[1:] >= 0.0))
    minima = []
    for i in brackets:
        lo, hi = float(grid[i]), float(grid[i + 1])
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):  # the bracket is two adjacent floats
                break
            if mid / 5.0 + freq * math.cos(freq * mid) < 0.0:
                lo = mid
            else:
                hi = mid
        minima.append(0.5 * (lo + hi))
    return np.array(minima, dtype=np.float64)
