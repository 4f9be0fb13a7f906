"""A cohort at a glance: score distribution, per-check failure rates, and shared mistakes.

The summary is computed from plain rows (one per submission, one per submission and check), which
the caller reads from the gradebook (``Gradebook.submission_rows`` / ``check_rows``), not from
results held in memory: it costs the same whether the batch graded everything or skipped
everything, and its memory does not grow with the cohort beyond one number per student. This
module never imports the gradebook: it changes when the summary changes, not when storage does.

The most useful part for teaching is :attr:`CohortSummary.groups`: the shared mistakes, one group
per function and cause, largest first. Submissions whose failures of one question share a
diagnosis are one group (with the checks it fails; a lone undiagnosed failure of that question,
such as the pandas check of a downhill step, counts under it); submissions failing a question's
checks without a diagnosis are grouped by *identical* behaviour (the same
:attr:`~graders.results.CheckResult.behaviour` fingerprints: the same wrong outputs on the same
inputs). Each group has its size, the diagnosis and one representative message, so a
misconception can be addressed once for the whole class. Work not begun is not a mistake: a
question whose function is not defined, or still raises ``NotImplementedError`` (the template's
stub), is counted in :attr:`CohortSummary.not_attempted` instead.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from graders.spec import Assignment

__all__ = [
    "Bin",
    "CheckStats",
    "CohortSummary",
    "Group",
    "NotAttempted",
    "QuestionStats",
    "histogram",
    "summarise",
    "to_json",
]

#: Up to this many points, the histogram has one bar per point.
_POINT_BARS_UP_TO = 40
_BINS = 20


@dataclass(frozen=True)
class Bin:
    """One bar of the score histogram: ``low <= score < high`` (the last bar includes ``high``)."""

    low: float
    high: float
    label: str
    count: int


@dataclass(frozen=True)
class QuestionStats:
    """How the graded submissions did on one question."""

    question: str
    title: str
    max_score: float
    attempted: int
    mean: float
    full_marks: int


@dataclass(frozen=True)
class CheckStats:
    """Outcomes of one check across the graded submissions that were checked with it."""

    check_id: str
    question: str
    checked: int
    passed: int
    failed: int
    error: int
    timeout: int
    missing: int

    @property
    def failure_rate(self) -> float:
        """Share of checked submissions that did not pass (0 when none was checked)."""
        return (self.checked - self.passed) / self.checked if self.checked else 0.0


@dataclass(frozen=True)
class Group:
    """Submissions failing one question for one cause.

    Attributes
    ----------
    check_id, question, status
        The first check the cause fails, its question and that check's outcome (failed, error,
        timeout, missing).
    behaviour
        The shared fingerprint: of the diagnosis, or of the failing checks' behaviours.
    size
        How many submissions behave this way.
    diagnosis
        The known misconception it matches, if any.
    message, counterexample
        What the representative submission (the first student id) was told.
    students
        Every student in the group, sorted.
    """

    check_id: str
    question: str
    status: str
    behaviour: str
    size: int
    diagnosis: str | None
    message: str
    counterexample: str | None
    students: tuple[str, ...]
    checks: tuple[str, ...] = ()  # every check of the question the cause fails, in check order


@dataclass(frozen=True)
class SeveralFiles:
    """A student folder that held several submission files: which one was graded, if any."""

    student: str
    graded: str | None  # relative path; None when the folder was ungradable for it
    not_graded: tuple[str, ...]


@dataclass(frozen=True)
class NotAttempted:
    """Submissions that have not begun one question (not defined, or the template's stub)."""

    question: str
    size: int
    students: tuple[str, ...]


@dataclass(frozen=True)
class CohortSummary:
    """Everything the cohort summary shows; :func:`to_json` is its JSON form."""

    assignment: str
    title: str
    max_score: float
    submissions: int
    graded: int
    ungradable: tuple[tuple[str, str], ...]
    mean: float | None
    median: float | None
    histogram: tuple[Bin, ...]
    questions: tuple[QuestionStats, ...]
    checks: tuple[CheckStats, ...]
    groups: tuple[Group, ...]
    isolation: dict[str, int]
    scores: tuple[tuple[str, float, str], ...]
    timings: dict[str, float]
    internal_errors: tuple[tuple[str, str], ...] = ()
    not_attempted: tuple[NotAttempted, ...] = ()
    several_files: tuple[SeveralFiles, ...] = ()


def histogram(scores: Sequence[float], max_score: float) -> tuple[Bin, ...]:
    """Bars over ``[0, max_score]``: one per point up to 40 points, else 20 equal bins."""
    if max_score <= 0:
        return (Bin(0.0, 0.0, "0", len(scores)),)
    if max_score <= _POINT_BARS_UP_TO and float(max_score).is_integer():
        # Bar k holds scores that round to k points (partial credit of thirds lands nearby).
        top = int(max_score)
        counts = [0] * (top + 1)
        for score in scores:
            counts[min(max(int(math.floor(score + 0.5)), 0), top)] += 1
        return tuple(Bin(k - 0.5, k + 0.5, f"{k}", n) for k, n in enumerate(counts))
    width = max_score / _BINS
    counts = [0] * _BINS
    for score in scores:
        counts[min(max(int(score // width), 0), _BINS - 1)] += 1
    return tuple(
        Bin(k * width, (k + 1) * width, f"{k * width:g}–{(k + 1) * width:g}", n)
        for k, n in enumerate(counts)
    )


def summarise(
    submissions: Iterable[Mapping[str, Any]],
    checks: Iterable[Mapping[str, Any]],
    assignment: Assignment,
    *,
    students: Collection[str] | None = None,
    internal_errors: Sequence[tuple[str, str]] = (),
    several_files: Sequence[tuple[str, str, Sequence[str], bool]] = (),
) -> CohortSummary:
    """Summarise the stored results of ``assignment``.

    Parameters
    ----------
    submissions
        One plain record per stored submission of ``assignment``, sorted by student, with keys
        ``student``, ``score``, ``status``, ``isolation``, ``seconds``, ``overhead_seconds`` and
        ``output`` (the result's overall output: the reason of an ungradable submission).
    checks
        One plain record per (submission, check), student by student in check order, with keys
        ``student``, ``check_id``, ``question``, ``status``, ``score``, ``behaviour``,
        ``diagnosis``, ``counterexample`` and ``message``. The order only matters to the last
        bits of a per-question sum.
    assignment
        Its questions and checks give the order of the tables.
    students
        The current cohort (students no longer in the submissions folder are left out); every
        stored student when None.
    internal_errors
        ``(student, error)`` for submissions the grader could not grade this run.
    several_files
        ``(student, chosen file, other files, ambiguous)`` for each student folder that held
        several submission files (from discovery; ``ambiguous``: none was graded).
    """
    slug = assignment.slug
    keep = None if students is None else frozenset(students)

    def present(student: str) -> bool:
        return keep is None or student in keep

    scores: list[tuple[str, float, str]] = []
    ungradable: list[tuple[str, str]] = []
    isolation: dict[str, int] = {}
    totals: list[float] = []
    overheads: list[float] = []
    for row in submissions:
        student, status, level = str(row["student"]), str(row["status"]), str(row["isolation"])
        if not present(student):
            continue
        scores.append((student, float(row["score"]), status))
        isolation[level] = isolation.get(level, 0) + 1
        if status == "ungradable":
            ungradable.append((student, str(row["output"])))
        else:
            totals.append(float(row["seconds"]))
            overheads.append(float(row["overhead_seconds"]))
    graded_scores = [s for _, s, status in scores if status == "graded"]
    all_scores = [s for _, s, _ in scores]

    order = {spec.id: i for i, spec in enumerate(c for q in assignment.questions for c in q.checks)}
    counts: dict[str, dict[str, int]] = {}
    question_of: dict[str, str] = {}
    per_question: dict[str, dict[str, float]] = {}
    grouping = _Grouping(order)
    for row in checks:
        student, check_id = str(row["student"]), str(row["check_id"])
        question, status = str(row["question"]), str(row["status"])
        if not present(student):
            continue
        counts.setdefault(check_id, {}).setdefault(status, 0)
        counts[check_id][status] += 1
        question_of[check_id] = question
        per_question.setdefault(question, {}).setdefault(student, 0.0)
        per_question[question][student] += float(row["score"])
        if status != "passed":
            grouping.add(row)
    checks_stats = tuple(
        CheckStats(
            check_id=check_id,
            question=question_of[check_id],
            checked=sum(by_status.values()),
            passed=by_status.get("passed", 0),
            failed=by_status.get("failed", 0),
            error=by_status.get("error", 0),
            timeout=by_status.get("timeout", 0),
            missing=by_status.get("missing", 0),
        )
        for check_id, by_status in sorted(
            counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0])
        )
    )
    questions = tuple(
        QuestionStats(
            question=q.id,
            title=q.title,
            max_score=q.max_score,
            attempted=len(per_question.get(q.id, {})),
            mean=_mean(list(per_question.get(q.id, {}).values())) or 0.0,
            full_marks=sum(
                1 for s in per_question.get(q.id, {}).values() if s >= q.max_score - 1e-9
            ),
        )
        for q in assignment.questions
    )
    return CohortSummary(
        assignment=slug,
        title=assignment.title,
        max_score=assignment.max_score,
        submissions=len(scores),
        graded=len(graded_scores),
        ungradable=tuple(ungradable),
        mean=_mean(all_scores),
        median=statistics.median(all_scores) if all_scores else None,
        histogram=histogram(all_scores, assignment.max_score),
        questions=questions,
        checks=checks_stats,
        groups=grouping.groups(),
        not_attempted=grouping.not_attempted(assignment),
        isolation=dict(sorted(isolation.items())),
        scores=tuple(scores),
        timings={
            "median_seconds": round(statistics.median(totals), 4) if totals else 0.0,
            "median_overhead_seconds": round(statistics.median(overheads), 4) if overheads else 0.0,
            "total_seconds": round(math.fsum(totals), 4),
        },
        internal_errors=tuple(internal_errors),
        several_files=tuple(
            SeveralFiles(student, None, (chosen, *others))
            if ambiguous
            else SeveralFiles(student, chosen, tuple(others))
            for student, chosen, others, ambiguous in sorted(several_files)
            if present(student)
        ),
    )


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


class _Grouping:
    """Each student's failing checks, grouped per question and cause, largest group first.

    Rows arrive student by student (the gradebook's order); a student's failures of a question
    are collected until the next student's rows begin, then counted under one cause. Only the
    representative's record (the first student id) is kept per group, so memory grows with the
    groups and one student's rows, not with the cohort.
    """

    def __init__(self, order: Mapping[str, int]) -> None:
        self._order = order  # check id -> position in the assignment
        self._members: dict[tuple[str, ...], list[str]] = {}
        self._representative: dict[
            tuple[str, ...], tuple[str, Mapping[str, Any], tuple[str, ...]]
        ] = {}
        self._question_of: dict[tuple[str, ...], str] = {}
        self._not_attempted: dict[str, list[str]] = {}
        self._student: str | None = None
        self._pending: dict[str, list[Mapping[str, Any]]] = {}

    def add(self, row: Mapping[str, Any]) -> None:
        """Count one failing (non-passed) check record of a student in the cohort."""
        student = str(row["student"])
        if student != self._student:
            self._flush()
            self._student = student
        self._pending.setdefault(str(row["question"]), []).append(row)

    def _flush(self) -> None:
        student, self._student = self._student, None
        pending, self._pending = self._pending, {}
        if student is None:
            return
        for question, rows in pending.items():
            if all(_not_begun(row) for row in rows):
                self._not_attempted.setdefault(question, []).append(student)
                continue
            for key, members in _causes(question, rows):
                self._count(key, question, student, members)

    def _count(
        self, key: tuple[str, ...], question: str, student: str, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        self._members.setdefault(key, []).append(student)
        self._question_of[key] = question
        first = self._representative.get(key)
        if first is None or student < first[0]:
            ranked = sorted(rows, key=self._position)
            self._representative[key] = (
                student,
                ranked[0],
                tuple(str(r["check_id"]) for r in ranked),
            )

    def _position(self, row: Mapping[str, Any]) -> int:
        """Where a check row's check stands in the assignment (unknown ones last)."""
        return self._order.get(str(row["check_id"]), len(self._order))

    def groups(self) -> tuple[Group, ...]:
        """The groups, largest first, then in check order."""
        self._flush()

        def lead_position(key: tuple[str, ...]) -> int:
            return self._position(self._representative[key][1])

        ranked = sorted(
            self._members.items(), key=lambda item: (-len(item[1]), lead_position(item[0]), item[0])
        )
        groups: list[Group] = []
        for key, students in ranked:
            _, first, checks = self._representative[key]
            groups.append(
                Group(
                    check_id=str(first["check_id"]),
                    question=self._question_of[key],
                    status=str(first["status"]),
                    behaviour=_fingerprint(key, first, checks),
                    size=len(students),
                    diagnosis=first["diagnosis"],
                    message=first["message"],
                    counterexample=first["counterexample"],
                    students=tuple(sorted(students)),
                    checks=checks,
                )
            )
        return tuple(groups)

    def not_attempted(self, assignment: Assignment) -> tuple[NotAttempted, ...]:
        """Per question, in the assignment's order, who has not begun it."""
        self._flush()
        questions = [q.id for q in assignment.questions]
        questions += sorted(set(self._not_attempted) - set(questions))
        return tuple(
            NotAttempted(q, len(self._not_attempted[q]), tuple(sorted(self._not_attempted[q])))
            for q in questions
            if q in self._not_attempted
        )


def _fingerprint(key: tuple[str, ...], first: Mapping[str, Any], checks: Sequence[str]) -> str:
    """A group's fingerprint: one failing check's own behaviour when that is all the group is
    (as before groups spanned checks), else a short hash of the group's key."""
    if key[1] == "behaviour" and len(checks) == 1 and first["behaviour"]:
        return str(first["behaviour"])
    return _short_key("|".join(key))


def _not_begun(row: Mapping[str, Any]) -> bool:
    """Not defined at all, or still the template's ``raise NotImplementedError``."""
    message = str(row["message"])
    if row["status"] == "missing":
        return "never defined" not in message  # written, but a failing cell stopped before it
    return row["status"] == "error" and "NotImplementedError" in message


def _causes(
    question: str, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[tuple[str, ...], list[Mapping[str, Any]]]]:
    """One student's failures of one question, by cause (as the student's report groups them)."""
    by_diagnosis: dict[str, list[Mapping[str, Any]]] = {}
    plain: list[Mapping[str, Any]] = []
    for row in rows:
        if row["diagnosis"]:
            by_diagnosis.setdefault(str(row["diagnosis"]), []).append(row)
        else:
            plain.append(row)
    if len(by_diagnosis) == 1 and plain:  # probably the same cause (the pandas check)
        (only,) = by_diagnosis.values()
        only.extend(plain)
        plain = []
    causes: list[tuple[tuple[str, ...], list[Mapping[str, Any]]]] = [
        ((question, "misconception", diagnosis), members)
        for diagnosis, members in by_diagnosis.items()
    ]
    if plain:
        fingerprint = tuple(
            f"{r['check_id']}:{r['status']}:"
            + (
                str(r["behaviour"])
                if r["behaviour"] is not None
                else "message:" + str(r["message"])
            )
            for r in plain
        )
        causes.append(((question, "behaviour", *sorted(fingerprint)), plain))
    return causes


def _short_key(key: str) -> str:
    return "m-" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:10]


def to_json(summary: CohortSummary) -> str:
    """The summary as JSON: sorted keys, indent 2, trailing newline; failure rates included.

    Identical rows give identical text except under ``timings``.
    """
    data = asdict(summary)
    data["checks"] = [
        {**asdict(stats), "failure_rate": round(stats.failure_rate, 4)} for stats in summary.checks
    ]
    data["ungradable"] = [{"student": s, "message": m} for s, m in summary.ungradable]
    data["internal_errors"] = [{"student": s, "error": e} for s, e in summary.internal_errors]
    data["scores"] = [{"student": s, "score": v, "status": st} for s, v, st in summary.scores]
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
