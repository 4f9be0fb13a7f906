"""Decide whether a student's value matches the expected one, and explain why not.

Deciding and explaining are separate, as in pytest's ``approx``: :func:`compare` is a pure
function returning ``None`` or a :class:`Mismatch` record; :func:`render_mismatch` turns that
record into the text a student reads. Types and shapes are compared before any value, and
relative error has one denominator everywhere: the *expected* value.

Values arriving from the worker are untrusted. :func:`as_plain_array` re-validates them in the
grader: only exact ``np.ndarray`` objects of numeric or bool dtype, numpy or Python scalars,
(nested) lists/tuples of numbers and the values of pandas Series/DataFrames (rebuilt by the
protocol decoder from such arrays) get through, so a subclass with a lying ``__eq__`` never takes
part in a comparison.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_ELEMENTS",
    "Mismatch",
    "MismatchKind",
    "Tolerance",
    "as_plain_array",
    "compare",
    "render_mismatch",
    "render_value",
]

MismatchKind = Literal["type", "shape", "dtype", "nonfinite", "value"]

#: Largest number of elements accepted from the worker; more is a "type" mismatch.
MAX_ELEMENTS = 10_000_000
#: How many differing entries a :class:`Mismatch` keeps (the renderer shows fewer).
_KEEP_DIFFERING = 10
#: Rows of the student-facing table before "... and N more".
_SHOW_ROWS = 5
#: Nesting depth accepted for lists of numbers (numpy itself stops at 64 dimensions).
_MAX_DEPTH = 32

_SCALAR_TYPES = (bool, int, float)
_NUMPY_SCALAR_TYPES = (np.bool_, np.integer, np.floating)
# dtype kinds that are plain numbers: bool, signed, unsigned, float (not complex, object, str...)
_PLAIN_KINDS = frozenset("biuf")


def _check_nonnegative_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{name} must be a non-negative finite number, got {value!r} of type "
            f"{type(value).__name__}"
        )
    result = float(value)
    if not math.isfinite(result) or result < 0:
        raise ValueError(
            f"{name} must be a non-negative finite number, got {value!r} of type "
            f"{type(value).__name__}"
        )
    return result


@dataclass(frozen=True)
class Tolerance:
    """How far a value may be from the expected: ``|actual - expected| <= atol + rtol*|expected|``.

    Parameters
    ----------
    rtol
        Relative tolerance, relative to the *expected* value only.
    atol
        Absolute tolerance, which matters near zero.
    """

    rtol: float = 1e-6
    atol: float = 1e-9

    def __post_init__(self) -> None:
        object.__setattr__(self, "rtol", _check_nonnegative_float("rtol", self.rtol))
        object.__setattr__(self, "atol", _check_nonnegative_float("atol", self.atol))

    def allowance(self, expected: float) -> float:
        """Return the absolute difference allowed around ``expected``."""
        return self.atol + self.rtol * abs(expected)

    def __str__(self) -> str:
        return f"rtol={self.rtol!r}, atol={self.atol!r}"


# eq=False: the record holds numpy arrays, whose == is elementwise and has no truth value.
@dataclass(frozen=True, eq=False)
class Mismatch:
    """Why a value did not match; decided by :func:`compare`, explained by :func:`render_mismatch`.

    Attributes
    ----------
    kind
        ``"type"`` (not a plain number or array), ``"shape"``, ``"dtype"`` (e.g. floats where
        integer counts were required, bools where numbers were expected), ``"nonfinite"``
        (NaN/inf where a finite value was expected) or ``"value"`` (outside the tolerance).
    summary
        One student-readable sentence, starting with the subject passed as ``name``
        (``"your result has shape (5, 1); expected (5,). ..."``).
    expected, actual
        The expected value (an ndarray) and what came back (the validated ndarray, or the raw
        object for a ``"type"`` mismatch).
    tolerance
        The tolerance that was applied.
    differing
        ``(index, expected, actual)`` for the first few differing entries, in C order; for
        ``"nonfinite"`` only the non-finite entries. Empty for the other kinds.
    n_differing, n_total
        How many entries differ (for ``"nonfinite"``: how many are non-finite) and how many
        there are. ``n_differing`` is 0 for type, shape and dtype mismatches.
    """

    kind: MismatchKind
    summary: str
    expected: object
    actual: object
    tolerance: Tolerance = field(default_factory=Tolerance)
    differing: tuple[tuple[tuple[int, ...], float, float], ...] = ()
    n_differing: int = 0
    n_total: int = 0


# ---------------------------------------------------------------------------------------------
# Re-validation of untrusted values
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# The decision
# ---------------------------------------------------------------------------------------------


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


def _shape_mismatch(
    expected: npt.NDArray[Any], actual: npt.NDArray[Any], name: str, tolerance: Tolerance
) -> Mismatch:
    want, got = expected.shape, actual.shape
    if not want:
        summary = f"{name} is an array of shape {_shape_text(got)}; expected a single number"
        if actual.size == 1:
            summary += (
                ". A length-1 array is not a number: return a float, e.g. with float(x) or x.item()"
            )
    elif not got:
        summary = (
            f"{name} is a single number; expected an array of shape {_shape_text(want)}."
            " A single number broadcasts silently in numpy and gives wrong answers later;"
            " return one value per entry (check for a sum or mean over the whole array)"
        )
    else:
        summary = f"{name} has shape {_shape_text(got)}; expected {_shape_text(want)}"
        if len(want) == 1 and got == (want[0], 1):
            summary += (
                ". A column vector broadcasts silently in numpy and gives wrong answers later;"
                " use .ravel() or keep w 1-D"
            )
        elif len(want) == 1 and got == (1, want[0]):
            summary += (
                ". A row vector broadcasts silently in numpy and gives wrong answers later;"
                " use .ravel() or keep w 1-D"
            )
        elif len(want) == 2 and got == want[::-1]:
            summary += ". It looks transposed: check the order of the axes (or a stray .T)"
        elif actual.size == expected.size:
            summary += ". It has the right number of entries but not the right shape"
    return Mismatch(
        kind="shape",
        summary=summary,
        expected=expected,
        actual=actual,
        tolerance=tolerance,
        n_total=int(expected.size),
    )


def _squeezes_to(actual: npt.NDArray[Any], shape: tuple[int, ...]) -> bool:
    return tuple(d for d in actual.shape if d != 1) == tuple(d for d in shape if d != 1)


def _index_text(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def _differing_entries(
    where: npt.NDArray[np.bool_], expected: npt.NDArray[Any], actual: npt.NDArray[Any]
) -> tuple[tuple[tuple[int, ...], float, float], ...]:
    positions = np.argwhere(where)[:_KEEP_DIFFERING]
    entries = []
    for position in positions:
        index = tuple(int(i) for i in position)
        entries.append((index, float(expected[index]), float(actual[index])))
    return tuple(entries)


def _nonfinite_summary(
    name: str, actual: npt.NDArray[Any], bad: npt.NDArray[np.bool_], n_bad: int
) -> str:
    if actual.ndim == 0:
        return f"{name} is {_fmt(float(actual))}; expected a finite number"
    n_nan = int(np.count_nonzero(np.isnan(actual) & bad))
    n_inf = n_bad - n_nan
    parts = [f"{n_nan} NaN"] if n_nan else []
    parts += [f"{n_inf} infinite"] if n_inf else []
    positions = [_index_text(tuple(int(i) for i in p)) for p in np.argwhere(bad)[:_SHOW_ROWS]]
    where = ", ".join(positions)
    if n_bad > len(positions):
        where += f" and {n_bad - len(positions)} more"
    noun = "entry" if n_bad == 1 else "entries"
    return (
        f"{name} has {n_bad} non-finite {noun} ({' and '.join(parts)}) where finite values"
        f" were expected, at index {where}"
    )


def _as_expected_array(expected: object) -> npt.NDArray[Any]:
    if _is_unsupported(expected) or isinstance(expected, (str, bytes, dict)) or expected is None:
        raise TypeError(
            f"expected must be a number or an array of numbers (the reference's answer), got "
            f"{type(expected).__name__}; compare one array at a time"
        )
    array = np.asarray(expected)
    if array.dtype.kind not in _PLAIN_KINDS:
        raise TypeError(
            f"expected must be a number or an array of numbers, got dtype {array.dtype} from a "
            f"{type(expected).__name__}; compare the parts of a structured answer separately"
        )
    return array


def compare(
    expected: object,
    actual: object,
    tolerance: Tolerance | None = None,
    *,
    shape_strict: bool = True,
    require_integer: bool = False,
    allow_bool: bool = False,
    name: str = "your result",
) -> Mismatch | None:
    """Decide whether ``actual`` matches ``expected`` within ``tolerance``.

    Parameters
    ----------
    expected
        The trusted reference answer: a number or an array of numbers.
    actual
        What the student's code returned (untrusted; re-validated with :func:`as_plain_array`).
    tolerance
        Allowed difference, ``|actual - expected| <= atol + rtol*|expected|``; default
        ``Tolerance()``.
    shape_strict
        If True (the default), shapes must be equal: ``(n, 1)`` or ``()`` for ``(n,)`` is a
        ``"shape"`` mismatch, never broadcast. If False, shapes that differ only by length-1
        axes are accepted (a length-1 array for a number, a column for a vector).
    require_integer
        Require an integer (or, with ``allow_bool``, bool) dtype, e.g. for counts in a
        confusion matrix; floats are then a ``"dtype"`` mismatch even if integral.
    allow_bool
        Accept a bool result where numbers (0/1) are expected. Off by default, so ``True``
        for ``1.0`` is a ``"dtype"`` mismatch unless the caller says so.
    name
        The subject of the mismatch summary.

    Returns
    -------
    Mismatch or None
        ``None`` if the values match, else the first problem found, in the order type, dtype,
        shape, non-finite values, values.

    Notes
    -----
    Python scalars, numpy scalars and 0-d arrays are interchangeable. Integers and floats are
    compared by value. NaN matches NaN and an infinity matches the same infinity; NaN or inf
    where a finite value was expected is a ``"nonfinite"`` mismatch.

    Examples
    --------
    >>> compare(np.array([0.5, 0.25]), [0.5, 0.25]) is None
    True
    >>> compare(np.zeros(5), np.zeros((5, 1))).kind
    'shape'
    """
    if tolerance is None:
        tolerance = Tolerance()
    if not isinstance(tolerance, Tolerance):
        raise TypeError(
            f"tolerance must be a Tolerance, got {tolerance!r} of type "
            f"{type(tolerance).__name__}; use Tolerance(rtol=..., atol=...)"
        )
    want = _as_expected_array(expected)
    if want.ndim == 0:
        expecting = "an integer" if require_integer else "a number"
    else:
        expecting = "a numpy array of integers" if require_integer else "a numpy array of floats"
    checked = as_plain_array(actual, name=name, expecting=expecting)
    if isinstance(checked, Mismatch):
        return Mismatch(
            kind="type",
            summary=checked.summary,
            expected=want,
            actual=actual,
            tolerance=tolerance,
            n_total=int(want.size),
        )
    got = checked

    dtype_problem = _dtype_problem(want, got, require_integer, allow_bool)
    if dtype_problem is not None:
        return Mismatch(
            kind="dtype",
            summary=f"{name} {dtype_problem}",
            expected=want,
            actual=got,
            tolerance=tolerance,
            n_total=int(want.size),
        )

    if got.shape != want.shape:
        if shape_strict or not _squeezes_to(got, want.shape):
            return _shape_mismatch(want, got, name, tolerance)
        got = got.reshape(want.shape)

    return _compare_values(want, got, tolerance, name)


def _dtype_problem(
    want: npt.NDArray[Any], got: npt.NDArray[Any], require_integer: bool, allow_bool: bool
) -> str | None:
    plural = got.ndim > 0
    if got.dtype.kind == "b" and want.dtype.kind != "b" and not allow_bool:
        what = "an array of bools (dtype bool)" if plural else f"a bool ({bool(got)})"
        return f"is {what}; expected numbers. Convert with .astype(float) (or int) to return 0/1"
    if require_integer and got.dtype.kind not in ("iu" + ("b" if allow_bool else "")):
        what = f"an array of dtype {got.dtype}" if plural else f"a {got.dtype} number"
        return (
            f"is {what}; expected integers (counts). Count with an integer dtype, e.g."
            " np.zeros(..., dtype=int), or convert with .astype(int)"
        )
    return None


def _compare_values(
    want: npt.NDArray[Any], got: npt.NDArray[Any], tolerance: Tolerance, name: str
) -> Mismatch | None:
    e = np.asarray(want, dtype=np.float64)
    a = np.asarray(got, dtype=np.float64)
    with np.errstate(all="ignore"):
        expected_finite = np.isfinite(e)
        # Most comparisons pass: one pass over the values says so. Only finite expected
        # values are admitted here (an infinite one would make every allowance infinite), and
        # NaN fails any comparison, so this agrees with the full rule below whenever it passes.
        if (
            expected_finite.all()
            and (np.abs(a - e) <= tolerance.atol + tolerance.rtol * np.abs(e)).all()
        ):
            return None
        nonfinite = expected_finite & ~np.isfinite(a)
        # Exact equality first: it makes inf == inf pass; then NaN == NaN; then the tolerance,
        # whose one denominator is the expected value.
        close = (
            (a == e)
            | (np.isnan(a) & np.isnan(e))
            # only a finite expected value has a finite allowance: inf - (-inf) is never close
            | (expected_finite & (np.abs(a - e) <= tolerance.atol + tolerance.rtol * np.abs(e)))
        )
    n_total = int(e.size)
    n_nonfinite = int(np.count_nonzero(nonfinite))
    if n_nonfinite:
        return Mismatch(
            kind="nonfinite",
            summary=_nonfinite_summary(name, a, nonfinite, n_nonfinite),
            expected=want,
            actual=got,
            tolerance=tolerance,
            differing=_differing_entries(nonfinite, e, a),
            n_differing=n_nonfinite,
            n_total=n_total,
        )
    differs = ~close
    n_differing = int(np.count_nonzero(differs))
    if not n_differing:
        return None
    if e.ndim == 0:
        summary = (
            f"{name} is {_fmt(float(a))}; expected {_fmt(float(e))}"
            f"{_allowance_text(float(e), tolerance)}"
        )
    else:
        summary = (
            f"{name} differs from the expected value in {n_differing} of {n_total} "
            f"{'entry' if n_total == 1 else 'entries'} (tolerance: {tolerance})"
        )
    return Mismatch(
        kind="value",
        summary=summary,
        expected=want,
        actual=got,
        tolerance=tolerance,
        differing=_differing_entries(differs, e, a),
        n_differing=n_differing,
        n_total=n_total,
    )


# ---------------------------------------------------------------------------------------------
# Explanations
# ---------------------------------------------------------------------------------------------


def _fmt(x: object, digits: int = 10) -> str:
    """Deterministic, repr-like text for one number with at most ``digits`` significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        # Huge integers in scientific notation, so one value cannot flood a message.
        return str(int(x)) if abs(int(x)) < 10**16 else f"{int(x):.{digits}g}"
    if not isinstance(x, (float, np.floating)):
        return _shorten(_safe_text(x), 40)
    value = float(x)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.{digits}g}"
    if text.lstrip("-").isdigit():
        text += ".0"
    return text


def _allowance_text(expected: float, tolerance: Tolerance) -> str:
    if not math.isfinite(expected):
        return ""
    return f" ± {_fmt(tolerance.allowance(expected), 3)}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def _safe_text(value: object) -> str:
    # Rendering must never raise, even for an object whose __repr__ does.
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__} object>"


def _scalar_text(value: object) -> str:
    try:
        return _fmt(value)
    except Exception:
        return f"<{type(value).__name__} object>"


def _difference_text(expected: float, actual: float) -> str:
    with np.errstate(all="ignore"):
        return _fmt(float(np.float64(actual) - np.float64(expected)))


def _table(rows: Sequence[tuple[tuple[int, ...], float, float]], n_more: int) -> list[str]:
    header = ("index", "expected", "yours", "difference")
    cells = [header] + [
        (_index_text(index), _scalar_text(e), _scalar_text(a), _difference_text(e, a))
        for index, e, a in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  " + "-+-".join("-" * w for w in widths))
    if n_more > 0:
        lines.append(f"  ... and {n_more} more")
    return lines


def render_mismatch(m: Mismatch, *, what: str = "your function") -> str:
    """Explain a mismatch to a student.

    Parameters
    ----------
    m
        The mismatch returned by :func:`compare` or :func:`as_plain_array`.
    what
        The call that produced the value, e.g. ``"sigmoid(z)"``.

    Returns
    -------
    str
        Multi-line text: a headline naming ``what``, the count of differing entries and the
        tolerance, then a small table (index | expected | yours | difference) of at most five
        rows and ``"... and N more"``; for a single number, ``"expected 0.5 ± 5e-07, got 0.73"``.
        Never raises.
    """
    try:
        return _render(m, what)
    except Exception:  # a renderer that crashes would turn a failed check into a grader error
        return f"{what}: {_safe_text(getattr(m, 'summary', m))}"


def _render(m: Mismatch, what: str) -> str:
    kind = m.kind
    if kind in ("type", "shape", "dtype"):
        noun = {"type": "type of value", "shape": "shape", "dtype": "kind of numbers"}[kind]
        return f"{what} returned the wrong {noun}: {m.summary}."
    if kind == "nonfinite":
        lines = [f"{what} returned non-finite values: {m.summary}."]
        if m.differing and _expected_ndim(m) > 0:
            rows = m.differing[:_SHOW_ROWS]
            lines += _table(rows, m.n_differing - len(rows))
        return "\n".join(lines)
    tolerance = m.tolerance
    if _expected_ndim(m) == 0 and len(m.differing) == 1:
        _, e, a = m.differing[0]
        return (
            f"{what} differs from the expected value: expected {_scalar_text(e)}"
            f"{_allowance_text(float(e), tolerance)}, got {_scalar_text(a)} "
            f"(difference {_difference_text(e, a)}; tolerance: {tolerance})."
        )
    noun = "entry" if m.n_total == 1 else "entries"
    lines = [
        f"{what} differs from the expected value in {m.n_differing} of {m.n_total} {noun}"
        f" (tolerance: {tolerance})"
    ]
    rows = m.differing[:_SHOW_ROWS]
    lines += _table(rows, m.n_differing - len(rows))
    return "\n".join(lines)


def _expected_ndim(m: Mismatch) -> int:
    expected = m.expected
    if type(expected) is np.ndarray:
        return int(expected.ndim)
    return 0 if isinstance(expected, (int, float, np.generic)) else 1


def _array_items(array: npt.NDArray[Any]) -> list[str]:
    return [_element_text(x) for x in array.tolist()]


def _element_text(x: object) -> str:
    # numpy's own style inside arrays: "3." for an integral float.
    text = _fmt(x)
    if isinstance(x, float) and text.endswith(".0") and "e" not in text:
        text = text[:-1]
    return text


def _render_1d(array: npt.NDArray[Any], max_items: int) -> str:
    if array.shape[0] <= max_items:
        return "[" + ", ".join(_array_items(array)) + "]"
    head = max(max_items - 2, 1)
    tail = max_items - head
    items = _array_items(array[:head]) + ["..."] + (_array_items(array[-tail:]) if tail else [])
    return "[" + ", ".join(items) + "]"


def _render_array(array: npt.NDArray[Any], max_items: int) -> str:
    shape_note = f" (shape {_shape_text(array.shape)})"
    if array.ndim == 0:
        return _fmt(array.item())
    if array.ndim == 1:
        body = _render_1d(array, max_items)
        return f"array({body})" + (shape_note if array.shape[0] > max_items else "")
    if array.ndim == 2:
        n_rows, n_cols = array.shape
        row_items = min(n_cols, max_items)
        rows_shown = max(1, max_items // max(row_items, 1)) if array.size > max_items else n_rows
        rows = [_render_1d(array[i], max_items) for i in range(min(rows_shown, n_rows))]
        if rows_shown < n_rows:
            rows.append("...")
        return "array([" + ", ".join(rows) + "])" + shape_note
    flat = array.reshape(-1)
    return f"array({_render_1d(flat, max_items)}) (shape {_shape_text(array.shape)}, flattened)"


def render_value(value: object, *, max_items: int = 8) -> str:
    """Render an input or result compactly and deterministically for a message.

    Parameters
    ----------
    value
        A number, array, list/tuple, dict, string, pandas object or anything else.
    max_items
        Most numbers shown; longer arrays are cut with ``"..."`` and their shape noted.

    Returns
    -------
    str
        E.g. ``"array([-1000., 0., 3.5])"``, ``"array([[1., 2.], [3., 4.]]) (shape (2, 2))"``,
        ``"array([0., 1., 2., 3., 4., 5., ..., 48., 49.]) (shape (50,))"``. Never raises.
    """
    if isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1:
        raise ValueError(
            f"max_items must be a positive int, got {max_items!r} of type "
            f"{type(max_items).__name__}"
        )
    try:
        return _render_any(value, max_items, depth=0)
    except Exception:
        return f"<{type(value).__name__} object>"


def _render_any(value: object, max_items: int, depth: int) -> str:
    if value is None or isinstance(value, (bool, np.bool_)):
        return str(value if value is None else bool(value))
    if type(value) is np.ndarray:
        if value.dtype.kind in _PLAIN_KINDS:
            return _render_array(value, max_items)
        return f"array of dtype {value.dtype} (shape {_shape_text(value.shape)})"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _fmt(value)
    if isinstance(value, str):
        return _shorten(repr(value), 60)
    if _is_unsupported(value):
        return _describe_type(value)
    if depth > 3:
        return "..."
    if isinstance(value, (list, tuple)):
        items = [_render_any(v, max_items, depth + 1) for v in value[:max_items]]
        if len(value) > max_items:
            items.append(f"... ({len(value)} items)")
        if isinstance(value, tuple):
            return "(" + ", ".join(items) + ("," if len(value) == 1 else "") + ")"
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=str)
        items = [
            f"{_shorten(repr(k), 30)}: {_render_any(value[k], max_items, depth + 1)}"
            for k in keys[:max_items]
        ]
        if len(keys) > max_items:
            items.append(f"... ({len(keys)} keys)")
        return "{" + ", ".join(items) + "}"
    return _render_other(value, max_items)


def _render_other(value: object, max_items: int) -> str:
    type_name = type(value).__name__
    if type_name in ("DataFrame", "Series") and hasattr(value, "to_numpy"):
        # pandas, detected by name so this module needs no pandas import.
        data = np.asarray(getattr(value, "to_numpy")(dtype=np.float64))  # noqa: B009
        if type_name == "DataFrame":
            columns = [str(c) for c in list(getattr(value, "columns", []))[:max_items]]
            head = f"DataFrame with columns {columns}"
        else:
            head = f"Series {_shorten(repr(getattr(value, 'name', None)), 30)}"
        return f"{head}: {_render_array(data, max_items)}"
    family, params = getattr(value, "family", None), getattr(value, "params", None)
    if isinstance(family, str) and isinstance(params, dict):
        # graders.sandbox.protocol.FunctionSpec, e.g. "quadratic function (a=1.0, c=2.0)".
        inner = ", ".join(
            f"{k}={_render_any(params[k], max_items, 4)}" for k in sorted(params, key=str)
        )
        return f"{family} function ({inner})"
    return f"<{type_name} object>"
