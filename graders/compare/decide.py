"""The decision: does a student's value match the expected one within the tolerance?

One reason to change: the comparison rule. :func:`compare` is pure: it returns ``None`` or a
:class:`~graders.compare.records.Mismatch`, checking type, then dtype, then shape, then
non-finite values, then values, with one denominator for relative error (the *expected* value).
It writes each mismatch's one-line summary; the longer explanation is
:mod:`graders.compare.render`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from graders.compare.plain import _PLAIN_KINDS, _is_unsupported, as_plain_array
from graders.compare.records import Mismatch, Tolerance
from graders.compare.text import _SHOW_ROWS, _allowance_text, _fmt, _index_text, _shape_text

#: How many differing entries a :class:`Mismatch` keeps (the renderer shows fewer).
_KEEP_DIFFERING = 10


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
