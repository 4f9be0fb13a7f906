"""What the feedback and the class summary show, as plain data for the shared templates.

One reason to change: what a report shows of a result or a cohort (not how it looks: the
templates in ``graders/report/templates/``). The same data feeds the batch files
(``feedback.html``, ``summary.html``) and the service's pages, so both tell the same things.

The feedback is built from a results document (Gradescope's ``results.json`` with each check's
message under ``extra_data.message``): the batch passes the whole document of a result
(:func:`full_document`), the service the document its reader may see. A check whose message is
:data:`HIDDEN_NOTE` is not shown now: it keeps only its name, status and points, and its
question no plot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup

from graders.report.causes import telling
from graders.report.html.page import STATUS_TEXT
from graders.report.html.svg import histogram_svg, render_plot
from graders.results import CheckResult, Plot, SubmissionResult, cell_name, round_points
from graders.spec import Assignment
from graders.summary import CohortSummary

__all__ = [
    "HIDDEN_NOTE",
    "CheckView",
    "Feedback",
    "QuestionView",
    "feedback",
    "full_document",
    "result_feedback",
    "headline",
    "histogram",
    "status_text",
]

#: What a reader sees in place of a check that is not shown (and how a document marks one).
HIDDEN_NOTE = "This check's feedback is hidden: only its points are shown."


def headline(message: str, status: str = "failed") -> str:
    """The line of a message that says what went wrong (its first line that is not blank).

    An error or a timeout leads with "Calling f(...) failed." and names the student's
    exception on the next line, so that line is its headline.

    >>> headline("\\n  \\n`f` returned None.\\nmore")
    '`f` returned None.'
    >>> headline("Calling f(x) failed.\\nValueError: no", "error")
    'ValueError: no'
    """
    lines = [line for line in message.splitlines() if line.strip()]
    if not lines:
        return ""
    if status in ("error", "timeout") and len(lines) > 1 and lines[0].startswith("Calling "):
        return lines[1]
    return lines[0]


def status_text(status: str) -> str:
    """A check's outcome as a reader says it (``timeout`` is "timed out")."""
    return STATUS_TEXT.get(status, status)


@dataclass(frozen=True)
class CheckView:
    """One check as its reader may see it (``shown`` False: name, status and points only).

    A failing check is told once per cause (:mod:`graders.report.causes`): ``explained_by``
    names the lead whose panel explains it; a lead lists the checks failing for the same
    cause (``same``) and probably for it (``likely``), as ``(question, name)``.
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
    """One question's title, signature, checks, plots (SVG) and ``absent`` (all missing: why)."""

    id: str
    title: str
    signature: str
    checks: tuple[CheckView, ...]
    absent: str | None = None
    plots: tuple[Markup, ...] = ()

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
    """A graded (or ungradable) submission's feedback."""

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

    @property
    def fraction(self) -> float:
        """The share of the points earned, in [0, 1] (0 when there are none)."""
        if not self.max_score > 0:
            return 0.0
        return min(max(self.score / self.max_score, 0.0), 1.0)


def full_document(result: SubmissionResult) -> dict[str, Any]:
    """The whole results document of ``result``, every check shown (with its message)."""
    document = result.to_gradescope()
    for check, test in zip(result.checks, document["tests"], strict=True):
        test["extra_data"]["message"] = check.message
    return document


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


def _told(
    views: Sequence[CheckView], records: Mapping[str, CheckResult]
) -> tuple[list[CheckView], dict[str, str]]:
    """The views with their causes (of the checks in ``records``), and the absent questions."""
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


def feedback(
    document: Mapping[str, Any], assignment: Assignment | None, plots: Iterable[Plot] = ()
) -> Feedback:
    """The feedback of a results document, with the ``plots`` its reader may see.

    A plot is shown with its question, when every check of that question is shown; a plot of
    a question without a check in ``document`` is left out (its checks may have been left out
    of a student's document).
    """
    extra = document.get("extra_data") or {}
    views = [_check(test) for test in document.get("tests", ())]
    records = {v.check_id: r for v in views if v.shown and (r := _record(v)) is not None}
    cells = extra.get("cells") or ()
    return _feedback(
        views,
        records,
        assignment,
        plots,
        Feedback(
            status=str(extra.get("submission_status", "")),
            score=float(document.get("score", 0.0)),
            max_score=float(document.get("max_score", 0.0)),
            message=str(extra.get("message") or ""),
            questions=(),
            failed_cells=tuple(
                str(c.get("message", "")) for c in cells if c.get("status", "ok") != "ok"
            ),
            skipped_cells=tuple(
                f"{cell_name(c)}: {c.get('reason', '')}" for c in extra.get("skipped_cells") or ()
            ),
            notes=tuple(str(n) for n in extra.get("notes") or ()),
            isolation=str(extra.get("isolation", "")),
        ),
    )


def result_feedback(result: SubmissionResult, assignment: Assignment | None) -> Feedback:
    """The whole feedback of ``result``, every check shown, with its plots.

    The same as :func:`feedback` of :func:`full_document`, without building the document
    (``grader grade`` renders one page per student).
    """
    views = [
        CheckView(
            check_id=c.check_id,
            question=c.question,
            name=c.name,
            status=c.status,
            score=round_points(c.score),
            max_score=round_points(c.max_score),
            shown=True,
            message=c.message,
            counterexample=c.counterexample,
            diagnosis=c.diagnosis,
        )
        for c in result.checks
    ]
    return _feedback(
        views,
        {c.check_id: c for c in result.checks},
        assignment,
        result.plots,
        Feedback(
            status=result.status,
            score=round_points(result.score),
            max_score=round_points(result.max_score),
            message=result.message,
            questions=(),
            failed_cells=tuple(
                str(c.get("message", ""))
                for c in result.cell_reports
                if c.get("status", "ok") != "ok"
            ),
            skipped_cells=tuple(f"{cell_name(c)}: {c['reason']}" for c in result.skipped_cells),
            notes=tuple(result.notes),
            isolation=result.isolation,
        ),
    )


def _feedback(
    checks: Sequence[CheckView],
    records: Mapping[str, CheckResult],
    assignment: Assignment | None,
    plots: Iterable[Plot],
    head: Feedback,
) -> Feedback:
    """``head`` with the questions of ``checks`` (told once per cause) and their plots."""
    views, absent = _told(checks, records)
    by_question: dict[str, list[CheckView]] = {}
    for view in views:
        by_question.setdefault(view.question, []).append(view)
    drawn: dict[str, list[Markup]] = {}
    for plot in plots:
        shown = by_question.get(plot.question)
        if shown and all(c.shown for c in shown):
            # render_plot escapes every text it writes and uses no inline style.
            drawn.setdefault(plot.question, []).append(Markup(render_plot(plot)))  # noqa: S704
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
                plots=tuple(drawn.get(qid, ())),
            )
        )
    return replace(head, questions=tuple(questions))


def histogram(cohort: CohortSummary) -> Markup:
    """The cohort's score histogram as SVG (every label escaped, no inline style)."""
    return Markup(histogram_svg(cohort.histogram, cohort.max_score))  # noqa: S704
