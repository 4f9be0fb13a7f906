"""Known misconceptions: run a mistaken variant on the failing input and see if it is the student's.

A diagnosis is only offered when a catalogued mistaken implementation reproduces the student's
output on the very input that failed, so it is evidence, not a guess. The variants are our own
trusted code and run in the grader's process; the student's value arrived as data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graders.compare import Mismatch, Tolerance, as_plain_array, compare


@dataclass(frozen=True)
class Misconception:
    """A named, explained mistake and a function that makes it.

    Attributes
    ----------
    name
        Short stable id (groups a class's errors), e.g. ``"sigmoid-overflow"``.
    explanation
        What a teaching assistant would say: the mistake and how to fix it.
    variant
        A deliberately wrong implementation with the student function's signature.
    normalise
        Applied to the variant's output before comparing (mirrors what the check does).
    """

    name: str
    explanation: str
    variant: Callable[..., Any]
    normalise: Callable[[Any], Any] | None = None


def diagnose(
    catalogue: Sequence[Misconception],
    args: tuple[Any, ...],
    actual: Any,
    tolerance: Tolerance,
    **compare_options: Any,
) -> str | None:
    """``"name: explanation"`` of the first misconception reproducing ``actual``, else None."""
    for m in catalogue:
        if reproduces(m, args, actual, tolerance, **compare_options):
            return f"{m.name}: {m.explanation}"
    return None


def reproduces(
    m: Misconception, args: tuple[Any, ...], actual: Any, tolerance: Tolerance, **options: Any
) -> bool:
    """Whether the mistaken variant gives the student's value on ``args``."""
    try:
        with np.errstate(all="ignore"):
            expected = m.variant(*args)
            if m.normalise is not None:
                expected = m.normalise(expected)
    except Exception:  # a mistaken variant may itself raise on this input: then it is not a match
        return False
    checked = as_plain_array(actual, name="value")
    if isinstance(checked, Mismatch):
        return False
    return compare(expected, checked, tolerance, **options) is None
