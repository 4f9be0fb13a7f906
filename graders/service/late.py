"""The late policy: a submission after the due date loses a share of its points per day late.

One reason to change: how lateness changes a grade. ``late_penalty_per_day`` (a fraction of each
check's points, per started day after ``due``) scales every check's score; the result says so in
a note, so the student, the gradebook, ``grades.csv`` and the Canvas export all read the same
points. The penalty is applied when the attempt is graded, from its upload time: a regrade (a
changed due date, say) applies the policy in force then.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

from graders.results import SubmissionResult
from graders.service.settings import AssignmentSettings

__all__ = ["days_late", "with_late_penalty"]

_DAY = 86400.0


def days_late(submitted: float, due: dt.datetime | None) -> int:
    """Started days between ``due`` and ``submitted`` (UNIX time); 0 when on time or no due date.

    >>> due = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    >>> [days_late(due.timestamp() + s, due) for s in (0, 1, 86400, 86401)]
    [0, 1, 1, 2]
    """
    if due is None:
        return 0
    moment = due if due.tzinfo is not None else due.replace(tzinfo=dt.timezone.utc)
    late = submitted - moment.timestamp()
    return math.ceil(late / _DAY) if late > 0 else 0


def with_late_penalty(
    result: SubmissionResult, submitted: float, settings: AssignmentSettings
) -> SubmissionResult:
    """``result`` with the late penalty applied (unchanged when on time or without a penalty)."""
    days = days_late(submitted, settings.due)
    if days == 0 or settings.late_penalty_per_day == 0 or result.status != "graded":
        return result
    factor = max(0.0, 1.0 - settings.late_penalty_per_day * days)
    checks = tuple(replace(c, score=c.score * factor) for c in result.checks)
    kept = f"{100 * factor:g}%"
    note = (
        f"Submitted {days} day{'s' if days > 1 else ''} after the due date: "
        f"{kept} of the points are kept (late penalty {100 * settings.late_penalty_per_day:g}% "
        "a day)."
    )
    return replace(result, checks=checks, notes=(*result.notes, note))
