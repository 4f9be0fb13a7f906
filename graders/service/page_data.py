"""What the web pages show, as plain data for the templates: attempts, the gradebook.

One reason to change: what a page shows of the stored state (not how it looks: the templates).
The feedback and the class summary are the reports' own (:mod:`graders.report.html.views`): the
feedback is built from the results document the JSON API serves (:mod:`graders.service.view`),
so a page never shows a student more than the API would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from graders.service.settings import Policy
from graders.service.store import Attempt

__all__ = [
    "SORTS",
    "Row",
    "counting_id",
    "gradebook_rows",
    "moment",
]

#: The gradebook's sortable columns (``?sort=``).
SORTS = ("student", "name", "score", "attempts", "submitted")


def moment(unix: float | dt.datetime | None) -> str:
    """A time as ``2026-12-03 14:05 UTC`` (an en dash for none)."""
    if unix is None:
        return "–"
    when = (
        unix if isinstance(unix, dt.datetime) else dt.datetime.fromtimestamp(unix, dt.timezone.utc)
    )
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def counting_id(attempts: Sequence[Attempt], policy: Policy) -> int | None:
    """The attempt the gradebook holds among one student's ``attempts`` (as the store picks it)."""
    graded = [a for a in attempts if a.record_json is not None]
    if not graded:
        return None
    if policy == "last":
        return max(a.id for a in graded)
    return max(graded, key=lambda a: (a.score or 0.0, a.id)).id


@dataclass(frozen=True)
class Row:
    """One roster student's line of the gradebook table."""

    student: str
    name: str
    attempts: int
    score: float | None
    counting: int | None
    latest: Attempt | None
    history: tuple[Attempt, ...] = field(default=(), repr=False)

    @property
    def submitted(self) -> float | None:
        """When the latest attempt was uploaded."""
        return self.latest.submitted if self.latest is not None else None


def gradebook_rows(
    roster: Sequence[tuple[str, Mapping[str, str]]],
    attempts: Sequence[Attempt],
    policy: Policy,
    sort: str = "student",
    order: Literal["asc", "desc"] = "asc",
) -> list[Row]:
    """Every roster student's row, sorted by ``sort`` (one of :data:`SORTS`); ungraded last."""
    mine: dict[str, list[Attempt]] = {}
    for attempt in attempts:  # newest first, as the store lists them
        mine.setdefault(attempt.student, []).append(attempt)
    rows = []
    for student, extra in roster:
        history = tuple(mine.get(student, ()))
        counting = counting_id(history, policy)
        score = next((a.score for a in history if a.id == counting), None)
        rows.append(
            Row(
                student=student,
                name=extra.get("name", ""),
                attempts=len(history),
                score=score,
                counting=counting,
                latest=history[0] if history else None,
                history=history,
            )
        )
    key = sort if sort in SORTS else "student"
    present = [r for r in rows if getattr(r, key) is not None]
    absent = [r for r in rows if getattr(r, key) is None]
    present.sort(key=lambda r: (getattr(r, key), r.student), reverse=order == "desc")
    return present + absent
