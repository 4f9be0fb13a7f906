"""The records of a comparison: the :class:`Tolerance` applied and the :class:`Mismatch` found.

One reason to change: what a comparison's outcome holds (its fields and their meaning). Deciding
(:mod:`graders.compare.decide`) fills these records; rendering (:mod:`graders.compare.render`)
reads them; neither is here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

MismatchKind = Literal["type", "shape", "dtype", "nonfinite", "value"]


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
