"""What the pages show, without a server: feedback told once per cause, the gradebook's order."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from graders.report.html.views import feedback
from graders.results import CheckResult, SubmissionResult
from graders.service.page_data import SORTS, gradebook_rows
from graders.service.settings import AssignmentSettings
from graders.service.store import Attempt
from graders.service.view import student_document

NOW = dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc)


def _result(*checks: CheckResult) -> SubmissionResult:
    return SubmissionResult(
        student="ada",
        assignment="lr",
        status="graded",
        checks=checks,
        isolation="bwrap",
        notes=(),
        cell_reports=(),
        timings={},
        sha256="",
    )


def _check(check_id: str, question: str, status: str = "failed", **extra: str) -> CheckResult:
    return CheckResult(
        check_id, question, check_id.replace("_", " "), status, 0.0, 1.0, "m", **extra
    )  # type: ignore[arg-type]


def test_one_misconception_is_told_once_at_its_first_check() -> None:
    result = _result(
        _check("step_matches", "step", diagnosis="descent instead of ascent"),
        _check("fit_matches", "fit", diagnosis="descent instead of ascent"),
        _check("fit_pandas", "fit"),
    )
    view = feedback(student_document(result, AssignmentSettings(), NOW), None)
    step, fit = view.questions
    lead = step.checks[0]
    assert lead.explained_by is None and lead.same == (("fit", "fit matches"),)
    assert fit.checks[0].explained_by == ("step_matches", "step matches")
    assert fit.checks[1].explained_by == ("step_matches", "step matches")  # probably the same


def test_a_question_all_missing_is_one_line_but_not_when_a_check_is_hidden() -> None:
    result = _result(
        _check("sig_a", "sig", "missing"),
        _check("sig_b", "sig", "missing"),
    )
    shown = feedback(student_document(result, AssignmentSettings(), NOW), None)
    assert shown.questions[0].absent == "m"
    hiding = AssignmentSettings(visibility={"sig_b": "hidden"})
    partly = feedback(student_document(result, hiding, NOW), None)
    assert partly.questions[0].absent is None
    assert [c.shown for c in partly.questions[0].checks] == [True, False]
    assert partly.questions[0].checks[1].message == ""


def _attempt(id: int, student: str, score: float | None) -> Attempt:
    return Attempt(
        id,
        "lr",
        student,
        "f.py",
        "u",
        "",
        1,
        float(id),
        "graded",
        0,
        score,
        1.0,
        "k",
        None if score is None else "{}",
        None,
        None,
        1,
    )


@settings(derandomize=True, database=None, deadline=None, max_examples=60)
@given(
    scores=st.lists(st.one_of(st.none(), st.floats(0, 10)), min_size=1, max_size=6),
    sort=st.sampled_from(SORTS),
    order=st.sampled_from(["asc", "desc"]),
)
def test_the_gradebook_lists_every_student_once_sorted_with_the_ungraded_last(
    scores: list[float | None], sort: str, order: str
) -> None:
    roster = [(f"s{i}", {"name": f"N{i}"}) for i in range(len(scores))]
    attempts = [_attempt(i + 1, f"s{i}", s) for i, s in enumerate(scores) if s is not None]
    rows = gradebook_rows(roster, attempts[::-1], "last", sort, order)  # type: ignore[arg-type]
    assert sorted(r.student for r in rows) == sorted(s for s, _ in roster)
    keys = [getattr(r, sort) for r in rows]
    present = [k for k in keys if k is not None]
    assert keys[: len(present)] == present  # the ungraded last
    assert present == sorted(present, reverse=order == "desc")
