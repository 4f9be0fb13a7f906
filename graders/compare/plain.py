"""Re-validation of untrusted values from the worker: what counts as a plain number or array.

One reason to change: which values from the worker may take part in a comparison. Only exact
``np.ndarray`` objects of numeric or bool dtype, numpy or Python scalars, (nested) lists/tuples of
numbers and the values of pandas Series/DataFrames get through (:func:`as_plain_array`);
anything else becomes a ``"type"`` :class:`~graders.compare.records.Mismatch` naming what came
back, so a subclass with a lying ``__eq__`` never takes part in a comparison.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import numpy.typing as npt

from graders.compare.records import Mismatch
from graders.compare.text import _shorten

#: Largest number of elements accepted from the worker; more is a "type" mismatch.
MAX_ELEMENTS = 10_000_000

#: Nesting depth accepted for lists of numbers (numpy itself stops at 64 dimensions).
_MAX_DEPTH = 32

_SCALAR_TYPES = (bool, int, float)
_NUMPY_SCALAR_TYPES = (np.bool_, np.integer, np.floating)
# dtype kinds that are plain numbers: bool, signed, unsigned, float (not complex, object, str...)
_PLAIN_KINDS = frozenset("biuf")


def _is_unsupported(value: object) -> bool:
    # Structural test for graders.sandbox.protocol.Unsupported, which this module must not
    # import (compare sits below the sandbox in the import graph).
    return isinstance(getattr(value, "type_name", None), str) and isinstance(
        getattr(value, "summary", None), str
    )


def _class_text(type_name: str) -> str:
    return type_name if type_name.startswith("<class") else f"<class '{type_name}'>"


def _describe_type(value: object) -> str:
    """What came back, for a "type" mismatch: ``<class 'str'> ('abc')``."""
    if _is_unsupported(value):
        type_name = str(getattr(value, "type_name"))  # noqa: B009 - structural access
        detail = str(getattr(value, "summary"))  # noqa: B009
        text = _class_text(type_name)
        return f"{text} ({_shorten(detail, 120)})" if detail else text
    text = repr(type(value))
    if type(value) is np.ndarray:
        return f"{text} of dtype {value.dtype}"
    if isinstance(value, str):
        return f"{text} ({_shorten(repr(value), 40)})"
    return text


def _type_mismatch(value: object, name: str, expecting: str, why: str = "") -> Mismatch:
    tail = f" ({why})" if why else ""
    return Mismatch(
        kind="type",
        summary=f"{name} is a {_describe_type(value)}{tail}; expected {expecting}",
        expected=None,
        actual=value,
    )


def _normalise_dtype(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Bring a plain numeric array to bool, int64 or float64."""
    kind = array.dtype.kind
    if kind == "b":
        return array.astype(np.bool_, copy=False)
    if kind in "iu":
        if array.size and kind == "u" and int(array.max()) > np.iinfo(np.int64).max:
            return array.astype(np.float64)
        return array.astype(np.int64, copy=False)
    return array.astype(np.float64, copy=False)


def _list_problem(value: object, depth: int, budget: list[int]) -> str | None:
    """Why a (nested) list/tuple is not plain numbers, or None. ``budget`` counts elements."""
    if depth > _MAX_DEPTH:
        return f"lists nested more than {_MAX_DEPTH} deep"
    assert isinstance(value, (list, tuple))
    for item in value:
        if type(item) in (list, tuple):
            problem = _list_problem(item, depth + 1, budget)
            if problem is not None:
                return problem
            continue
        if type(item) is np.ndarray:
            if item.dtype.kind not in _PLAIN_KINDS:
                return f"it contains an array of dtype {item.dtype}"
            budget[0] -= item.size
        elif type(item) in _SCALAR_TYPES or isinstance(item, _NUMPY_SCALAR_TYPES):
            budget[0] -= 1
        else:
            return f"it contains a {_describe_type(item)}"
        if budget[0] < 0:
            return f"more than {MAX_ELEMENTS:,} numbers"
    return None


def _pandas_values(value: object) -> npt.NDArray[Any] | None:
    """The values of a pandas Series (1-D) or DataFrame (2-D; one column: 1-D), else None.

    A result computed with pandas (``DataFrame.dot``, ``Series.mean`` over columns...) is the
    right answer when its values are: the index carries no part of it. Only exact pandas types
    count, and only when pandas is loaded already (the protocol decoder built them from
    validated numeric arrays). A column of a dtype other than bool/int/float comes back as an
    object array, which the caller refuses as before.
    """
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return None
    kind = type(value)
    if kind is pandas.Series:
        return _column_values(value)
    if kind is not pandas.DataFrame:
        return None
    frame: Any = value
    columns = [_column_values(frame.iloc[:, j]) for j in range(frame.shape[1])]
    if any(c.dtype.kind not in _PLAIN_KINDS for c in columns):
        return np.empty(frame.shape, dtype=object)
    if len(columns) == 1:
        return columns[0]
    if not columns:
        return np.empty(frame.shape, dtype=np.float64)
    return np.column_stack(columns)


def _column_values(series: Any) -> npt.NDArray[Any]:
    dtype = series.dtype
    if not isinstance(dtype, np.dtype) or dtype.kind not in _PLAIN_KINDS:
        return np.empty(len(series), dtype=object)
    values: npt.NDArray[Any] = np.asarray(series.to_numpy(), dtype=dtype)
    return values


def as_plain_array(
    value: object, *, name: str = "your result", expecting: str = "a numpy array of floats"
) -> npt.NDArray[Any] | Mismatch:
    """Re-validate a value that came from the untrusted worker.

    Parameters
    ----------
    value
        The decoded value.
    name
        The subject of the mismatch summary, e.g. ``"your result"`` or ``"sigmoid(z)"``.
    expecting
        What was expected, for the summary (``"a numpy array of floats"``).

    Returns
    -------
    numpy.ndarray or Mismatch
        A fresh or validated ndarray of dtype bool, int64 or float64 (0-d for scalars), or a
        ``"type"`` mismatch naming what came back: ``"your result is a <class 'LyingArray'>;
        expected a numpy array of floats"``.

    Notes
    -----
    Accepted: exactly ``np.ndarray`` (``type(x) is np.ndarray``, no subclass) with a bool,
    integer or float dtype; numpy bool/integer/float scalars; Python ``bool``, ``int``,
    ``float`` (exact types); lists and tuples of those, possibly nested; a pandas ``Series``
    (as its 1-D values) or ``DataFrame`` (2-D values, a single column as 1-D) of such dtypes,
    whatever its index. Rejected: the worker's
    ``Unsupported`` placeholders, strings, ``None``, dicts, complex numbers, object or string
    dtypes, ragged lists and anything above :data:`MAX_ELEMENTS` elements.
    """
    if _is_unsupported(value):
        return _type_mismatch(value, name, expecting)
    values = _pandas_values(value)
    if values is not None:
        if values.dtype.kind not in _PLAIN_KINDS:
            return _type_mismatch(value, name, expecting, "its columns are not all numbers")
        value = values
    if type(value) is np.ndarray:
        if value.dtype.kind not in _PLAIN_KINDS:
            return _type_mismatch(value, name, expecting)
        if value.size > MAX_ELEMENTS:
            return _type_mismatch(
                value, name, expecting, f"{value.size:,} elements, more than {MAX_ELEMENTS:,}"
            )
        return _normalise_dtype(value)
    if isinstance(value, _NUMPY_SCALAR_TYPES):
        return _normalise_dtype(np.asarray(value))
    if type(value) in _SCALAR_TYPES:
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            return _type_mismatch(value, name, expecting, "an integer too large for int64")
        return _normalise_dtype(np.asarray(value))
    if type(value) in (list, tuple):
        assert isinstance(value, (list, tuple))
        problem = _list_problem(value, 1, [MAX_ELEMENTS])
        if problem is not None:
            return _type_mismatch(value, name, expecting, problem)
        try:
            array = np.array(value)
        except (ValueError, OverflowError):
            return _type_mismatch(value, name, expecting, "rows of different lengths")
        if array.dtype.kind not in _PLAIN_KINDS:
            return _type_mismatch(value, name, expecting, "rows of different lengths")
        return _normalise_dtype(array)
    return _type_mismatch(value, name, expecting)
