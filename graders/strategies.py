"""Hypothesis strategies for the inputs of the course's functions: X, y, w, logits, scores.

Modelled on ``hypothesis.extra.numpy``: every size or shape argument takes a value *or* a
strategy, and bigger strategies are built from smaller ones. Element ranges are bounded on
purpose (design matrices in [-5, 5], logits within ±50, ...) so an ordinary check never trips
over an accidental 1e308; numerical stability is tested as its own check with
:func:`extreme_logits`. Every array strategy yields ``float64`` arrays, except :func:`labels`
which yields ``int64`` arrays of 0/1.

Bad arguments raise at once, naming the argument, its value and its type. Sizes drawn from a
strategy are checked when drawn.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

__all__ = [
    "EXTREME_LOGITS",
    "classification_problems",
    "design_matrices",
    "extreme_logits",
    "finite_floats",
    "flips",
    "labels",
    "logits",
    "normal_samples",
    "probabilities",
    "scores_with_ties",
    "thresholds",
    "weights",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Size = int | SearchStrategy[int]
Shape = int | tuple[int, ...] | SearchStrategy[int] | SearchStrategy[tuple[int, ...]]

#: Logits that break naive implementations: exp overflows above ~709.78, exp(-x) underflows to
#: zero below ~-745, 1e4 saturates any float sigmoid, and 1e300 squared overflows.
EXTREME_LOGITS: tuple[float, ...] = (
    0.0,
    1.0,
    -1.0,
    36.8,
    -36.8,
    709.0,
    -709.0,
    710.0,
    -710.0,
    745.0,
    -745.0,
    1e4,
    -1e4,
    1e300,
    -1e300,
)


def _bad(name: str, value: object, wanted: str) -> str:
    return f"{name} must be {wanted}, got {value!r} of type {type(value).__name__}"


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(_bad(name, value, "a finite number"))
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(_bad(name, value, "a finite number"))
    return result


def _check_int(name: str, value: object, min_value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(_bad(name, value, f"an int >= {min_value} or a strategy of ints"))
    if value < min_value:
        raise ValueError(_bad(name, value, f"an int >= {min_value} or a strategy of ints"))
    return int(value)


def _sizes(name: str, value: object, min_value: int = 0) -> SearchStrategy[int]:
    """A size given as an int or a strategy of ints, checked now or when drawn."""
    if isinstance(value, SearchStrategy):
        return value.map(lambda n: _check_drawn(name, n, min_value))
    return st.just(_check_int(name, value, min_value))


def _check_drawn(name: str, value: object, min_value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < min_value:
        raise ValueError(
            f"the strategy given as {name} drew {value!r} of type {type(value).__name__}; "
            f"it must draw ints >= {min_value}"
        )
    return int(value)


def _as_shape(name: str, value: object) -> tuple[int, ...]:
    if isinstance(value, tuple):
        return tuple(_check_int(f"{name}[{i}]", d, 0) for i, d in enumerate(value))
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(_bad(name, value, "an int, a tuple of ints or a strategy of either"))
    return (_check_int(name, value, 0),)


def _shapes(name: str, value: object) -> SearchStrategy[tuple[int, ...]]:
    if isinstance(value, SearchStrategy):
        return value.map(lambda s: _as_shape(name, s))
    return st.just(_as_shape(name, value))


def _elements(name: str, value: object) -> SearchStrategy[float]:
    if not isinstance(value, SearchStrategy):
        raise TypeError(_bad(name, value, "a strategy of floats, e.g. finite_floats(-5, 5)"))
    return value


def finite_floats(min_value: float, max_value: float) -> SearchStrategy[float]:
    """Floats in ``[min_value, max_value]``: no NaN, no infinity, no subnormals.

    Parameters
    ----------
    min_value, max_value
        Finite bounds, ``min_value <= max_value``.

    Returns
    -------
    SearchStrategy[float]
    """
    low = _check_number("min_value", min_value)
    high = _check_number("max_value", max_value)
    if low > high:
        raise ValueError(f"min_value={min_value!r} must not exceed max_value={max_value!r}")
    return st.floats(
        min_value=low,
        max_value=high,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
    )


def _float_arrays(
    shape: SearchStrategy[tuple[int, ...]], elements: SearchStrategy[float]
) -> SearchStrategy[FloatArray]:
    return shape.flatmap(lambda s: hnp.arrays(np.float64, s, elements=elements))


def design_matrices(
    n_rows: Size = st.integers(1, 20),  # noqa: B008 - strategies are immutable
    n_cols: Size = st.integers(1, 5),  # noqa: B008
    elements: SearchStrategy[float] = finite_floats(-5, 5),  # noqa: B008
) -> SearchStrategy[FloatArray]:
    """Design matrices ``X`` of shape ``(n_rows, n_cols)``, float64.

    Parameters
    ----------
    n_rows, n_cols
        Sizes, as ints or strategies of ints (``n_rows >= 1``, ``n_cols >= 1``).
    elements
        Strategy for the entries; bounded to [-5, 5] by default.

    Returns
    -------
    SearchStrategy[numpy.ndarray]
    """
    rows = _sizes("n_rows", n_rows, 1)
    cols = _sizes("n_cols", n_cols, 1)
    entries = _elements("elements", elements)
    return _float_arrays(st.tuples(rows, cols), entries)


def weights(
    d: Size,
    elements: SearchStrategy[float] = finite_floats(-5, 5),  # noqa: B008
) -> SearchStrategy[FloatArray]:
    """Weight vectors ``w`` of shape ``(d,)``, float64, entries in [-5, 5] by default."""
    dims = _sizes("d", d, 1)
    entries = _elements("elements", elements)
    return _float_arrays(dims.map(lambda n: (n,)), entries)


@st.composite
def _labels(draw: st.DrawFn, n: SearchStrategy[int], both_classes: bool) -> IntArray:
    size = draw(n)  # already checked: at least 2 when both_classes
    y: IntArray = draw(hnp.arrays(np.int64, size, elements=st.integers(0, 1)))
    if both_classes and (y.min() == y.max()):
        # Flip one entry rather than filter: filtering rejects most of Hypothesis's
        # constant arrays, and flipping keeps shrinking towards "all zeros and a single 1".
        y[draw(st.integers(0, size - 1))] ^= 1
    return y


def labels(n: Size, *, both_classes: bool = False) -> SearchStrategy[IntArray]:
    """Label vectors ``y`` of shape ``(n,)``, int64 with values 0 and 1.

    Parameters
    ----------
    n
        Length, as an int or a strategy of ints.
    both_classes
        If True, both 0 and 1 occur (requires ``n >= 2``).
    """
    if not isinstance(both_classes, bool):
        raise TypeError(_bad("both_classes", both_classes, "a bool"))
    sizes = _sizes("n", n, 2 if both_classes else 0)
    return _labels(sizes, both_classes)


def logits(
    shape: Shape = st.integers(1, 20),  # noqa: B008
    max_abs: float = 50.0,
) -> SearchStrategy[FloatArray]:
    """Logits ``z`` in ``[-max_abs, max_abs]``, float64.

    Parameters
    ----------
    shape
        An int, a tuple of ints, or a strategy of either.
    max_abs
        Bound on ``|z|``; 50 keeps ``exp(z)`` comfortably finite. Use :func:`extreme_logits` to
        test stability.
    """
    bound = _check_number("max_abs", max_abs)
    if bound <= 0:
        raise ValueError(_bad("max_abs", max_abs, "a positive finite number"))
    return _float_arrays(_shapes("shape", shape), finite_floats(-bound, bound))


def extreme_logits(
    shape: Shape = st.integers(1, 10),  # noqa: B008
) -> SearchStrategy[FloatArray]:
    """Logits mixing the values of :data:`EXTREME_LOGITS` (±1e4, ±745, ±1e300, ...) with
    ordinary ones in [-1e4, 1e4], float64: for stability checks.

    Parameters
    ----------
    shape
        An int, a tuple of ints, or a strategy of either.
    """
    elements = st.one_of(st.sampled_from(EXTREME_LOGITS), finite_floats(-1e4, 1e4))
    return _float_arrays(_shapes("shape", shape), elements)


def probabilities(
    shape: Shape = st.integers(1, 20),  # noqa: B008
    *,
    open_interval: bool = True,
) -> SearchStrategy[FloatArray]:
    """Probabilities, float64, in ``(0, 1)`` (or ``[0, 1]`` with ``open_interval=False``).

    The open interval excludes exactly 0 and 1 (so ``log(p)`` and ``log(1 - p)`` are finite)
    but reaches within a float spacing of them; no subnormals.
    """
    if not isinstance(open_interval, bool):
        raise TypeError(_bad("open_interval", open_interval, "a bool"))
    elements = st.floats(
        min_value=0.0,
        max_value=1.0,
        exclude_min=open_interval,
        exclude_max=open_interval,
        allow_nan=False,
        allow_subnormal=False,
    )
    return _float_arrays(_shapes("shape", shape), elements)


def flips(n: Size = st.integers(1, 50)) -> SearchStrategy[FloatArray]:  # noqa: B008
    """Coin flips: float64 arrays of shape ``(n,)`` holding 0.0 and 1.0."""
    sizes = _sizes("n", n, 1)
    return _float_arrays(sizes.map(lambda k: (k,)), st.sampled_from((0.0, 1.0)))


def normal_samples(
    n: Size = st.integers(1, 50),  # noqa: B008
    loc: float = 0.0,
    scale: float = 1.0,
) -> SearchStrategy[FloatArray]:
    """Samples for normal MLE checks: float64 arrays ``loc + scale * z`` with ``z`` in [-4, 4].

    Not random normal draws: each entry is drawn (and shrunk) by Hypothesis, so the
    counterexample a student sees is small and readable; the bound keeps them in the range a
    normal sample plausibly covers.

    Parameters
    ----------
    n
        Sample size, an int or a strategy of ints (``n >= 1``).
    loc, scale
        Finite centre and positive spread.
    """
    centre = _check_number("loc", loc)
    spread = _check_number("scale", scale)
    if spread <= 0:
        raise ValueError(_bad("scale", scale, "a positive finite number"))
    if not math.isfinite(abs(centre) + 4 * spread):
        raise ValueError(f"loc={loc!r} and scale={scale!r} would give infinite samples")
    sizes = _sizes("n", n, 1)
    return _float_arrays(sizes.map(lambda k: (k,)), finite_floats(-4, 4)).map(
        lambda z: centre + spread * z
    )


@st.composite
def _scores_with_ties(draw: st.DrawFn, n: SearchStrategy[int]) -> FloatArray:
    size = draw(n)
    pool = draw(st.lists(finite_floats(0, 1), min_size=1, max_size=4, unique=True))
    scores: FloatArray = draw(hnp.arrays(np.float64, size, elements=st.sampled_from(pool)))
    return scores


def scores_with_ties(n: Size = st.integers(1, 30)) -> SearchStrategy[FloatArray]:  # noqa: B008
    """Classifier scores in [0, 1], float64 of shape ``(n,)``, drawn from at most four
    distinct values so that ties (the hard case for ROC curves and thresholds) happen."""
    return _scores_with_ties(_sizes("n", n, 1))


def thresholds() -> SearchStrategy[float]:
    """Decision thresholds: Python floats in [0, 1], with 0.5, 0 and 1 tried first."""
    return st.one_of(st.sampled_from((0.5, 0.0, 1.0)), finite_floats(0, 1))


@st.composite
def _classification_problems(
    draw: st.DrawFn,
    n_rows: SearchStrategy[int],
    n_cols: SearchStrategy[int],
    elements: SearchStrategy[float],
    weight_elements: SearchStrategy[float],
    both_classes: bool,
) -> tuple[FloatArray, IntArray, FloatArray]:
    n = draw(n_rows)
    d = draw(n_cols)
    X = draw(design_matrices(n, d, elements))
    y = draw(labels(n, both_classes=both_classes))
    w = draw(weights(d, weight_elements))
    return X, y, w


def classification_problems(
    n_rows: Size | None = None,
    n_cols: Size = st.integers(1, 5),  # noqa: B008
    elements: SearchStrategy[float] = finite_floats(-5, 5),  # noqa: B008
    weight_elements: SearchStrategy[float] = finite_floats(-5, 5),  # noqa: B008
    *,
    both_classes: bool = False,
) -> SearchStrategy[tuple[FloatArray, IntArray, FloatArray]]:
    """Consistent ``(X, y, w)``: ``X`` (n, d) float64, ``y`` (n,) int64 0/1, ``w`` (d,) float64.

    Parameters
    ----------
    n_rows, n_cols
        Sizes ``n`` and ``d``, as ints or strategies of ints (at least 1; with
        ``both_classes`` ``n_rows`` must be at least 2). ``n_rows`` defaults to 1..20
        (2..20 with ``both_classes``), ``n_cols`` to 1..5.
    elements, weight_elements
        Strategies for the entries of ``X`` and ``w``.
    both_classes
        If True, ``y`` holds both classes.
    """
    if not isinstance(both_classes, bool):
        raise TypeError(_bad("both_classes", both_classes, "a bool"))
    min_rows = 2 if both_classes else 1
    if n_rows is None:
        n_rows = st.integers(min_rows, 20)
    return _classification_problems(
        _sizes("n_rows", n_rows, min_rows),
        _sizes("n_cols", n_cols, 1),
        _elements("elements", elements),
        _elements("weight_elements", weight_elements),
        both_classes,
    )
