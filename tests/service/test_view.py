"""What a student sees of a result: Gradescope's visibilities, and the document read back."""

from __future__ import annotations

import datetime as dt

import pytest

from graders.results import CheckResult, SubmissionResult
from graders.service.client import ServiceError, result_from_document
from graders.service.settings import AssignmentSettings
from graders.service.view import HIDDEN_NOTE, instructor_document, shown_now, student_document

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.timezone.utc)


def _check(check_id: str, visibility: str, passed: bool) -> CheckResult:
    return CheckResult(
        check_id=check_id,
        question="q",
        name=f"title of {check_id}",
        status="passed" if passed else "failed",
        score=1.0 if passed else 0.0,
        max_score=1.0,
        message="" if passed else f"{check_id}: expected 3, got 4",
        counterexample=None if passed else "x = [1, 2]",
        diagnosis=None if passed else "off-by-one: n - 1",
        behaviour=None if passed else "abc123",
        visibility=visibility,
    )


def _result(*checks: CheckResult) -> SubmissionResult:
    return SubmissionResult(
        student="ada",
        assignment="mle",
        status="graded",
        checks=checks,
        isolation="bwrap",
        notes=("a note",),
        cell_reports=({"cell": 1, "status": "ok"},),
        timings={"total": 1.0},
        sha256="ab" * 32,
    )


@pytest.mark.parametrize(
    ("visibility", "settings", "shown"),
    [
        ("visible", AssignmentSettings(), True),
        ("hidden", AssignmentSettings(published=True), False),
        ("after_due_date", AssignmentSettings(), False),
        ("after_due_date", AssignmentSettings(due=NOW + dt.timedelta(seconds=1)), False),
        ("after_due_date", AssignmentSettings(due=NOW), True),
        ("after_due_date", AssignmentSettings(due=dt.datetime(2026, 12, 1)), True),  # UTC
        ("after_published", AssignmentSettings(), False),
        ("after_published", AssignmentSettings(published=True), True),
    ],
)
def test_gradescope_visibilities(
    visibility: str, settings: AssignmentSettings, shown: bool
) -> None:
    assert shown_now(visibility, settings, NOW) is shown


def test_a_check_not_shown_keeps_its_points_and_nothing_else() -> None:
    result = _result(_check("open", "visible", False), _check("secret", "hidden", False))
    document = student_document(result, AssignmentSettings(), NOW)
    shown, hidden = document["tests"]
    assert shown["extra_data"]["message"] == "open: expected 3, got 4"
    assert "x = [1, 2]" in shown["output"] and shown["extra_data"]["diagnosis"]
    assert (hidden["name"], hidden["score"], hidden["max_score"]) == ("title of secret", 0, 1)
    assert hidden["status"] == "failed" and hidden["output"] == HIDDEN_NOTE
    text = str(hidden)
    for secret in ("expected 3", "x = [1, 2]", "off-by-one", "abc123"):
        assert secret not in text
    assert document["score"] == 0 and document["max_score"] == 2
    assert "expected 3" in str(instructor_document(result)["tests"][1])


def test_the_course_overrides_a_checks_visibility() -> None:
    result = _result(_check("open", "visible", False))
    settings = AssignmentSettings(visibility={"open": "after_published"})
    (test,) = student_document(result, settings, NOW)["tests"]
    assert test["visibility"] == "after_published" and test["output"] == HIDDEN_NOTE


def test_the_document_reads_back_as_the_same_result() -> None:
    result = _result(_check("a", "visible", True), _check("b", "visible", False))
    rebuilt = result_from_document(student_document(result, AssignmentSettings(), NOW))
    assert rebuilt.checks == result.checks
    assert (rebuilt.notes, rebuilt.cell_reports, rebuilt.sha256) == (
        result.notes,
        result.cell_reports,
        result.sha256,
    )


@pytest.mark.parametrize("document", [{}, {"tests": [], "extra_data": []}, {"tests": [{}]}])
def test_a_document_the_client_cannot_read_is_a_service_error(document: object) -> None:
    with pytest.raises(ServiceError, match="cannot read"):
        result_from_document(document)  # type: ignore[arg-type]


def test_hidden_checks_nothing_leaves_them_out_totals_included() -> None:
    from graders.service.view import LEFT_OUT_NOTE

    result = _result(
        _check("shown_ok", "visible", True),
        _check("shown_bad", "visible", False),
        _check("secret_ok", "hidden", True),
        _check("secret_bad", "hidden", False),
    )
    settings = AssignmentSettings(hidden_checks="nothing")
    document = student_document(result, settings, NOW)
    assert [t["extra_data"]["check_id"] for t in document["tests"]] == ["shown_ok", "shown_bad"]
    assert (document["score"], document["max_score"]) == (1.0, 2.0)  # the shown checks only
    assert "secret" not in str(document) and "4 checks" not in document["output"]
    assert LEFT_OUT_NOTE in document["output"] and LEFT_OUT_NOTE in document["extra_data"]["notes"]
    rebuilt = result_from_document(document)  # what `grader submit` prints
    assert (rebuilt.score, rebuilt.max_score) == (1.0, 2.0)
    # "points" (the default) keeps them, with their points; the instructor sees everything.
    kept = student_document(result, AssignmentSettings(), NOW)
    assert len(kept["tests"]) == 4 and kept["score"] == 2.0 and kept["max_score"] == 4.0
    assert len(instructor_document(result)["tests"]) == 4
    # Once shown (published), nothing is left out.
    shown = student_document(
        result,
        AssignmentSettings(hidden_checks="nothing", visibility={"secret_ok": "visible"}),
        NOW,
    )
    assert [t["extra_data"]["check_id"] for t in shown["tests"]] == [
        "shown_ok",
        "shown_bad",
        "secret_ok",
    ]
