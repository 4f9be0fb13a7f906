"""Tests for graders.results: immutable records and deterministic Gradescope JSON."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graders.results import CheckResult, SubmissionResult

FAST = settings(derandomize=True, database=None, deadline=None, max_examples=60)


def check(**overrides: object) -> CheckResult:
    fields: dict[str, object] = dict(
        check_id="sigmoid_matches_reference",
        question="q1",
        name="sigmoid matches reference",
        status="passed",
        score=2.0,
        max_score=2.0,
        message="",
    )
    fields.update(overrides)
    return CheckResult(**fields)  # type: ignore[arg-type]


def submission(checks: tuple[CheckResult, ...], **overrides: object) -> SubmissionResult:
    fields: dict[str, object] = dict(
        student="ada",
        assignment="mle",
        status="graded",
        checks=checks,
        isolation="bwrap",
        notes=("removed 1 IPython magic or shell line (cell 1); it was not run",),
        cell_reports=({"cell": 1, "status": "ok", "message": ""},),
        timings={"total": 0.123456, "cells": 0.05},
        sha256="ab" * 32,
    )
    fields.update(overrides)
    return SubmissionResult(**fields)  # type: ignore[arg-type]


FAILED = check(
    check_id="sigmoid_is_stable",
    name="sigmoid is stable for large inputs",
    status="failed",
    score=0,
    max_score=1,
    message="sigmoid(array([-1000.])) returned non-finite values: ...",
    counterexample="z = array([-1000.])",
    diagnosis="sigmoid-overflow: np.exp(-z) overflows for large negative z",
    behaviour="3f2a9c",
)


def test_scores_sum_over_checks() -> None:
    result = submission((check(), FAILED, check(check_id="c3", score=1 / 3, max_score=1)))
    assert result.score == pytest.approx(2 + 1 / 3)
    assert result.max_score == 4.0


def test_records_are_frozen_and_store_tuples() -> None:
    result = submission([check()])  # type: ignore[arg-type]
    assert isinstance(result.checks, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.student = "eve"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        check().score = 0.0  # type: ignore[misc]


def test_inputs_are_copied_so_later_mutation_does_not_leak() -> None:
    cells = [{"cell": 1, "status": "ok", "message": ""}]
    timings = {"total": 1.0}
    result = submission((), cell_reports=tuple(cells), timings=timings)
    cells[0]["status"] = "error"
    timings["total"] = 99.0
    assert result.cell_reports[0]["status"] == "ok" and result.timings["total"] == 1.0


@pytest.mark.parametrize(
    ("overrides", "error", "pattern"),
    [
        ({"status": "skipped"}, ValueError, r"status must be one of .* got 'skipped' of type str"),
        ({"score": 3.0}, ValueError, r"score=3\.0 must not exceed max_score=2\.0"),
        ({"score": float("nan")}, ValueError, r"score must be a finite number"),
        ({"max_score": "2"}, TypeError, r"max_score .* got '2' of type str"),
        ({"score": True}, TypeError, r"score .* got True of type bool"),
        ({"message": None}, TypeError, r"message must be a str, got None"),
        ({"visibility": "secret"}, ValueError, r"visibility must be one of"),
    ],
)
def test_check_result_rejects_bad_fields(
    overrides: dict[str, object], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        check(**overrides)


def test_submission_result_rejects_non_json_cell_reports() -> None:
    with pytest.raises(TypeError, match=r"cell_reports\[0\]\['when'\] must be plain data"):
        submission((), cell_reports=({"when": object()},))
    with pytest.raises(TypeError, match=r"checks\[0\] must be a CheckResult"):
        submission(({"status": "passed"},))  # type: ignore[arg-type]


def test_gradescope_status_is_passed_only_with_full_marks() -> None:
    partial = check(check_id="partial", status="passed", score=1.0, max_score=2.0)
    tests = submission((check(), partial, FAILED)).to_gradescope()["tests"]
    assert [t["status"] for t in tests] == ["passed", "failed", "failed"]


def test_gradescope_layout_and_extra_data() -> None:
    data = submission((check(), FAILED)).to_gradescope()
    assert data["score"] == 2.0 and data["max_score"] == 3.0
    assert set(data) >= {"score", "max_score", "output", "tests", "extra_data"}
    failed = data["tests"][1]
    assert failed["name"] == "sigmoid is stable for large inputs"
    assert failed["visibility"] == "visible"
    assert failed["extra_data"] == {
        "check_id": "sigmoid_is_stable",
        "question": "q1",
        "status": "failed",
        "diagnosis": "sigmoid-overflow: np.exp(-z) overflows for large negative z",
        "counterexample": "z = array([-1000.])",
        "behaviour": "3f2a9c",
    }
    assert re.search(r"returned non-finite values", failed["output"])
    assert re.search(r"Input that shows the problem:\nz = array\(\[-1000\.\]\)", failed["output"])
    assert re.search(r"Likely cause: sigmoid-overflow", failed["output"])
    extra = data["extra_data"]
    assert extra["student"] == "ada" and extra["submission_status"] == "graded"
    assert extra["isolation"] == "bwrap" and extra["sha256"] == "ab" * 32
    assert extra["notes"] == [
        "removed 1 IPython magic or shell line (cell 1); it was not run",
    ]
    assert extra["cells"] == [{"cell": 1, "status": "ok", "message": ""}]
    assert extra["timings"] == {"total": 0.1235, "cells": 0.05}


def test_overall_output_summarises_score_cells_and_notes() -> None:
    result = submission(
        (check(), FAILED),
        cell_reports=(
            {"cell": 1, "status": "ok", "message": ""},
            {"cell": 7, "status": "error", "message": "cell 7, line 3: ZeroDivisionError"},
        ),
    )
    output = result.to_gradescope()["output"]
    assert re.search(r"^Score: 2 / 3 \(1 of 2 checks passed\)\.", output, re.MULTILINE)
    assert re.search(r"skipped.*\n- cell 7, line 3: ZeroDivisionError", output)
    assert re.search(r"Notes:\n- removed 1 IPython magic", output)


def test_ungradable_scores_zero_out_of_the_assignment_total() -> None:
    result = SubmissionResult.ungradable(
        student="bob",
        assignment="mle",
        message="mle.ipynb is not valid JSON (line 3, column 1); re-download it and resubmit.",
        sha256="",
        max_score=10,
    )
    assert result.status == "ungradable" and result.checks == ()
    assert (result.score, result.max_score) == (0.0, 10.0)
    data = json.loads(result.to_json())
    assert data["score"] == 0 and data["max_score"] == 10 and data["tests"] == []
    assert data["output"].startswith("mle.ipynb is not valid JSON")
    assert data["extra_data"]["submission_status"] == "ungradable"


def test_scores_are_rounded_to_four_decimals() -> None:
    thirds = tuple(check(check_id=f"c{i}", score=1 / 3, max_score=1 / 3) for i in range(3))
    data = json.loads(submission(thirds).to_json())
    assert data["score"] == 1.0 and data["tests"][0]["score"] == 0.3333


def test_to_json_is_sorted_indented_utf8_with_trailing_newline() -> None:
    failed = check(status="failed", score=0, message="expected p ≥ 0.5 — got 0.3")
    text = submission((failed,)).to_json()
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert "expected p ≥ 0.5 — got 0.3" in text  # ensure_ascii=False: students' text stays readable


# --------------------------------------------------------------------------- properties

texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@st.composite
def check_results(draw: st.DrawFn) -> CheckResult:
    max_score = draw(st.floats(0, 100, allow_nan=False, allow_infinity=False))
    return CheckResult(
        check_id=draw(texts),
        question=draw(texts),
        name=draw(texts),
        status=draw(st.sampled_from(["passed", "failed", "error", "timeout", "missing"])),
        score=draw(st.floats(0, max_score)),
        max_score=max_score,
        message=draw(texts),
        counterexample=draw(st.none() | texts),
        diagnosis=draw(st.none() | texts),
        behaviour=draw(st.none() | texts),
        visibility=draw(st.sampled_from(["visible", "hidden", "after_due_date"])),
    )


@st.composite
def submission_results(draw: st.DrawFn) -> SubmissionResult:
    return SubmissionResult(
        student=draw(texts),
        assignment=draw(texts),
        status=draw(st.sampled_from(["graded", "ungradable"])),
        checks=tuple(draw(st.lists(check_results(), max_size=4))),
        isolation=draw(st.sampled_from(["bwrap", "process"])),
        notes=tuple(draw(st.lists(texts, max_size=2))),
        cell_reports=tuple(
            {"cell": i, "status": s, "message": m}
            for i, (s, m) in enumerate(
                draw(
                    st.lists(
                        st.tuples(st.sampled_from(["ok", "error", "timeout"]), texts), max_size=3
                    )
                ),
                start=1,
            )
        ),
        timings={"total": draw(st.floats(0, 1e4))},
        sha256=draw(st.text("0123456789abcdef", min_size=64, max_size=64)),
        message=draw(texts),
    )


@FAST
@given(submission_results(), st.floats(0, 1e4), st.floats(0, 1e4))
def test_to_json_is_deterministic_apart_from_timings(
    result: SubmissionResult, t1: float, t2: float
) -> None:
    first = dataclasses.replace(result, timings={"total": t1}).to_json()
    again = dataclasses.replace(result, timings={"total": t1}).to_json()
    other = dataclasses.replace(result, timings={"total": t2}).to_json()
    assert first == again
    a, b = json.loads(first), json.loads(other)
    del a["extra_data"]["timings"], b["extra_data"]["timings"]
    assert a == b


@FAST
@given(submission_results())
def test_to_json_round_trips_with_the_gradescope_keys(result: SubmissionResult) -> None:
    data = json.loads(result.to_json())
    assert {"score", "max_score", "output", "tests", "extra_data"} <= set(data)
    assert data["score"] == round(result.score, 4)
    assert len(data["tests"]) == len(result.checks)
    for test, original in zip(data["tests"], result.checks, strict=True):
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] in ("passed", "failed")
        assert test["extra_data"]["check_id"] == original.check_id
        assert test["extra_data"]["behaviour"] == original.behaviour
        if test["status"] == "passed":
            assert original.status == "passed" and test["score"] == test["max_score"]
