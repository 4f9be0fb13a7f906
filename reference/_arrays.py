"""Input conversion shared by the references: array-likes in, fresh ``float64`` arrays out.

Every public reference converts its arguments through these helpers, so the conventions stated in
:mod:`reference` (pandas accepted, one-column vectors accepted, inputs never written to, scalars
in -> floats out) hold in one place.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def as_float_array(value: npt.ArrayLike, name: str) -> FloatArray:
    """Return ``value`` as a NEW ``float64`` array (a copy, never a view of the caller's data).

    Copying up front is what makes "never mutate an input" hold by construction: nothing a
    reference does afterwards can reach the caller's array, Series or DataFrame. The copy is
    C-ordered because BLAS rounds differently for other layouts (a DataFrame converts to a
    Fortran-ordered array): the same numbers must give the same bits whatever container held them.
    """
    try:
        return np.array(value, dtype=np.float64, copy=True, order="C")
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be numeric and array-like (a number, list, numpy array or pandas "
            f"object); got {type(value).__name__}: {exc}"
        ) from None


def as_vector(value: npt.ArrayLike, name: str) -> FloatArray:
    """A 1-D float array; a single column ``(n, 1)`` (e.g. a one-column DataFrame) is flattened."""
    arr = as_float_array(value, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0].copy()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (or a single column); got shape {arr.shape}")
    return arr


def as_matrix(value: npt.ArrayLike, name: str) -> FloatArray:
    """A 2-D float array ``(n_samples, n_features)``."""
    arr = as_float_array(value, name)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (n_samples, n_features); got shape {arr.shape}"
        )
    return arr


def as_binary_labels(value: npt.ArrayLike, name: str) -> IntArray:
    """A 1-D ``int64`` array of 0/1 labels (bools and 0.0/1.0 floats accepted)."""
    arr = as_vector(value, name)
    bad = ~((arr == 0.0) | (arr == 1.0))
    if bad.any():
        shown = ", ".join(repr(float(v)) for v in arr[bad][:3])
        raise ValueError(f"{name} must contain only the labels 0 and 1; found {shown}")
    return arr.astype(np.int64)


def check_same_length(a: FloatArray | IntArray, b: FloatArray | IntArray, names: str) -> None:
    """Raise ``ValueError`` unless the two 1-D arrays have the same length."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{names} must have the same length; got {a.shape[0]} and {b.shape[0]}")


def as_count(value: object, name: str) -> int:
    """A non-negative integer (``int`` or numpy integer; ``bool`` and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be a non-negative integer; got {type(value).__name__} {value!r}"
        )
    count = int(value)
    if count < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {count}")
    return int(count)


def as_real(value: object, name: str, *, minimum: float | None = None) -> float:
    """A finite real number, optionally ``>= minimum``."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a real number; got {type(value).__name__} {value!r}"
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite; got {number!r}")
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be >= {minimum:g}; got {number!r}")
    return number


def is_scalar_input(value: object) -> bool:
    """True for Python/NumPy scalars: these get a ``float`` back, arrays get an array back."""
    return not isinstance(value, np.ndarray) and np.ndim(value) == 0  # type: ignore[arg-type]


def finish(result: npt.ArrayLike, scalar: bool) -> float | FloatArray:
    """Return ``float(result)`` for a scalar input, else ``result`` as a float array."""
    arr = np.asarray(result, dtype=np.float64)
    return float(arr) if scalar else arr
