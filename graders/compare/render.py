"""Explanations: a :class:`~graders.compare.records.Mismatch` or any value as text a student reads.

One reason to change: how a mismatch or a value is shown (the headline, the labelled table of
differing entries, compact arrays). It decides nothing: :func:`render_mismatch` explains what
:mod:`graders.compare.decide` found, and :func:`render_value` shows an input or a result. Both
never raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from graders.compare.plain import _PLAIN_KINDS, _describe_type, _is_unsupported
from graders.compare.records import Mismatch
from graders.compare.text import (
    _SHOW_ROWS,
    _allowance_text,
    _fmt,
    _index_text,
    _safe_text,
    _shape_text,
    _shorten,
)


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
