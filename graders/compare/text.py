"""Deterministic text for numbers, shapes and indices, shared by the decision's summaries and the
renderer's explanations.

One reason to change: how a single number, index or shape is written in a message (digits,
``nan``/``inf``, the ``± allowance``, shortening). Both :mod:`graders.compare.decide` (which
writes a mismatch's one-line summary) and :mod:`graders.compare.render` use it, so a number reads
the same in both.
"""

from __future__ import annotations

import math

import numpy as np

from graders.compare.records import Tolerance

#: Rows of the student-facing table before "... and N more".
_SHOW_ROWS = 5


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


def _index_text(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


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
