"""What the web pages show, as plain data for the templates: feedback, attempts, the gradebook.

One reason to change: what a page shows of the stored state (not how it looks: the templates).
The feedback is built from the results document the JSON API serves (:mod:`graders.service.view`),
so a page never shows a student more than the API would: a check not shown now keeps only its
name, status and points.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from graders.report.causes import telling
from graders.results import CheckResult, cell_name
from graders.service.settings import Policy
from graders.service.store import Attempt
from graders.service.view import HIDDEN_NOTE
from graders.spec import Assignment

__all__ = [
    "SORTS",
    "CheckView",
    "Feedback",
    "QuestionView",
    "Row",
    "feedback",
    "fmt",
    "gradebook_rows",
    "headline",
    "moment",
]

#: The gradebook's sortable columns (``?sort=``).
SORTS = ("student", "name", "score", "attempts", "submitted")


def fmt(value: float | None) -> str:
    """A score as people write it: 4 decimals at most, no ``-0``; an en dash for none."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{round(value, 4) + 0.0:g}"


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


def headline(message: str) -> str:
    """The first line of a message that is not blank (what a one-line summary shows).

    >>> headline("\\n  \\n`f` returned None.\\nmore")
    '`f` returned None.'
    """
    return next((line for line in message.splitlines() if line.strip()), "")


@dataclass(frozen=True)
class CheckView:
    """One check as its reader may see it (``shown`` False: name, status and points only).

    A failing check is told once per cause (:mod:`graders.report.causes`, as in the reports):
    ``explained_by`` names the lead whose panel explains it; a lead lists the checks failing
    for the same cause (``same``) and probably for it (``likely``), as ``(question, name)``.
    """

    check_id: str
    question: str
    name: str
    status: str
    score: float
    max_score: float
    shown: bool
    message: str = ""
    counterexample: str | None = None
    diagnosis: str | None = None
    explained_by: tuple[str, str] | None = None  # (check id, name) of the lead
    same: tuple[tuple[str, str], ...] = ()
    likely: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class QuestionView:
    """One question's title, signature, points and checks (``absent``: all missing, why)."""

    id: str
    title: str
    signature: str
    checks: tuple[CheckView, ...]
    absent: str | None = None

    @property
    def score(self) -> float:
        """Points earned on the question."""
        return math.fsum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        """Points available on the question."""
        return math.fsum(c.max_score for c in self.checks)

    @property
    def passed(self) -> int:
        """Checks passed with every point."""
        return sum(c.status == "passed" and c.score >= c.max_score for c in self.checks)


@dataclass(frozen=True)
class Feedback:
    """A graded (or ungradable) attempt's feedback page."""

    status: str
    score: float
    max_score: float
    message: str
    questions: tuple[QuestionView, ...]
    failed_cells: tuple[str, ...] = ()
    skipped_cells: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    isolation: str = ""

    @property
    def checks(self) -> int:
        """How many checks there are."""
        return sum(len(q.checks) for q in self.questions)

    @property
    def passed(self) -> int:
        """How many checks passed with every point."""
        return sum(q.passed for q in self.questions)


def _check(test: Mapping[str, Any]) -> CheckView:
    extra = test.get("extra_data") or {}
    shown = extra.get("message") != HIDDEN_NOTE
    return CheckView(
        check_id=str(extra.get("check_id", "")),
        question=str(extra.get("question", "")),
        name=str(test.get("name", "")),
        status=str(extra.get("status", test.get("status", ""))),
        score=float(test.get("score", 0.0)),
        max_score=float(test.get("max_score", 0.0)),
        shown=shown,
        message=str(extra.get("message") or "") if shown else "",
        counterexample=extra.get("counterexample") if shown else None,
        diagnosis=extra.get("diagnosis") if shown else None,
    )


def _record(view: CheckView) -> CheckResult | None:
    """The check as a result again, for the causes' rules; None if it is not a valid one."""
    try:
        return CheckResult(
            view.check_id,
            view.question,
            view.name,
            view.status,  # type: ignore[arg-type]  # validated by CheckResult itself
            min(view.score, view.max_score),
            view.max_score,
            view.message,
            view.counterexample,
            view.diagnosis,
        )
    except (TypeError, ValueError):
        return None


def _told(views: Sequence[CheckView]) -> tuple[list[CheckView], dict[str, str]]:
    """The views with their causes (of the checks shown only), and the absent questions."""
    records = {v.check_id: r for v in views if v.shown and (r := _record(v)) is not None}
    told = telling(list(records.values()))
    out = []
    for view in views:
        record = records.get(view.check_id)
        if record is None:
            out.append(view)
            continue
        by = told.explained_by(record)
        led = told.led_by(record)
        out.append(
            replace(
                view,
                explained_by=(by.lead.check_id, by.lead.name) if by else None,
                same=tuple((c.question, c.name) for c in led.same) if led else (),
                likely=tuple((c.question, c.name) for c in led.likely) if led else (),
            )
        )
    absent = {q: a.message for q, a in told.absent.items()}
    # Only a question all of whose checks are shown is told in one line.
    partly_hidden = {v.question for v in views if not v.shown}
    return out, {q: m for q, m in absent.items() if q not in partly_hidden}


def feedback(document: Mapping[str, Any], assignment: Assignment | None) -> Feedback:
    """The feedback of a results document (the student's or the instructor's view)."""
    extra = document.get("extra_data") or {}
    views, absent = _told([_check(test) for test in document.get("tests", ())])
    by_question: dict[str, list[CheckView]] = {}
    for view in views:
        by_question.setdefault(view.question, []).append(view)
    questions: list[QuestionView] = []
    known = {q.id: q for q in assignment.questions} if assignment is not None else {}
    for qid in [*known, *(q for q in by_question if q not in known)]:
        if qid not in by_question:
            continue
        spec = known.get(qid)
        questions.append(
            QuestionView(
                id=qid,
                title=spec.title if spec else qid,
                signature=spec.signature if spec else "",
                checks=tuple(by_question[qid]),
                absent=absent.get(qid),
            )
        )
    cells = extra.get("cells") or ()
    return Feedback(
        status=str(extra.get("submission_status", "")),
        score=float(document.get("score", 0.0)),
        max_score=float(document.get("max_score", 0.0)),
        message=str(extra.get("message") or ""),
        questions=tuple(questions),
        failed_cells=tuple(
            str(c.get("message", "")) for c in cells if c.get("status", "ok") != "ok"
        ),
        skipped_cells=tuple(
            f"{cell_name(c)}: {c.get('reason', '')}" for c in extra.get("skipped_cells") or ()
        ),
        notes=tuple(str(n) for n in extra.get("notes") or ()),
        isolation=str(extra.get("isolation", "")),
    )


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
