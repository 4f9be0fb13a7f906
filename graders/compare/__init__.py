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

This package's public face; its rooms, each with one reason to change:

- :mod:`~graders.compare.records`: :class:`Tolerance` and :class:`Mismatch`, what an outcome holds.
- :mod:`~graders.compare.plain`: :func:`as_plain_array`, which worker values may be compared.
- :mod:`~graders.compare.decide`: :func:`compare`, the comparison rule.
- :mod:`~graders.compare.render`: :func:`render_mismatch` and :func:`render_value`, the
  explanations.
- :mod:`~graders.compare.text`: how one number, index or shape is written, shared by the
  decision's summaries and the explanations.
"""

from __future__ import annotations

from graders.compare.decide import compare
from graders.compare.plain import MAX_ELEMENTS, as_plain_array
from graders.compare.records import Mismatch, MismatchKind, Tolerance
from graders.compare.render import render_mismatch, render_value

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
