"""Tests for graders.gradebook: one transaction per submission, skips, CSV, summary groups."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

import pytest

from graders.errors import GradebookError
from graders.gradebook import SCHEMA_VERSION, Gradebook, csv_cell, overhead_seconds
from graders.results import CheckResult, Plot, PlotSeries, SubmissionResult
from graders.spec import load_assignment
from graders.summary import histogram, summarise, to_json

ASSIGNMENT = load_assignment("logistic-regression-from-scratch")


def check(check_id: str, question: str, status: str = "passed", **extra: object) -> CheckResult:
    points = 2.0
    fields: dict[str, object] = dict(
        check_id=check_id,
        question=question,
        name=check_id.replace("_", " "),
        status=status,
        score=points if status == "passed" else 0.0,
        max_score=points,
        message="" if status == "passed" else f"{check_id} went wrong",
    )
    fields.update(extra)
    return CheckResult(**fields)  # type: ignore[arg-type]


def result(student: str, *checks: CheckResult, **extra: object) -> SubmissionResult:
    fields: dict[str, object] = dict(
        student=student,
        assignment=ASSIGNMENT.slug,
        status="graded",
        checks=checks,
        isolation="bwrap",
        notes=(),
        cell_reports=(),
        timings={"total": 1.5, "cells": 0.25, "student_calls": 0.25},
        sha256=student * 4,
        assignment_max_score=ASSIGNMENT.max_score,
    )
    fields.update(extra)
    return SubmissionResult(**fields)  # type: ignore[arg-type]


def writes(book: Gradebook, student: str) -> int:
    return int(book.rows("SELECT writes FROM submissions WHERE student = ?", (student,))[0][0])


def test_record_counts_writes_and_replaces_checks(tmp_path: Path) -> None:
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(result("ada", check("sigmoid_matches_reference", "sigmoid", "failed")))
        assert writes(book, "ada") == 1
        book.record(result("ada", check("sigmoid_matches_reference", "sigmoid")), path="ada.py")
        assert writes(book, "ada") == 2
        rows = book.rows("SELECT status FROM checks WHERE student = 'ada'")
        assert rows == [("passed",)]
        stored = book.stored(ASSIGNMENT.slug)["ada"]
        assert (stored.path, stored.sha256) == ("ada.py", "ada" * 4)


def test_a_committed_row_is_visible_to_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    with Gradebook(path) as book:
        book.record(result("ada"))
        other = sqlite3.connect(path)
        try:
            assert other.execute("SELECT count(*) FROM submissions").fetchone() == (1,)
        finally:
            other.close()


def test_a_failed_record_leaves_nothing_half_written(tmp_path: Path) -> None:
    twice = check("sigmoid_matches_reference", "sigmoid")
    with Gradebook(tmp_path / "g.sqlite") as book:
        with pytest.raises(sqlite3.IntegrityError):
            book.record(result("ada", twice, twice))  # duplicate check id: PK violation
        assert book.rows("SELECT count(*) FROM submissions") == [(0,)]
        assert book.rows("SELECT count(*) FROM checks") == [(0,)]


def test_the_stored_record_rebuilds_the_result_exactly(tmp_path: Path) -> None:
    plot = Plot(
        id="sigmoid",
        question="sigmoid",
        title="t",
        x_label="x",
        y_label="y",
        series=(PlotSeries("yours", (0.0, 1.0), (0.5, float("nan")), "student"),),
    )
    original = result(
        "ada",
        check("sigmoid_matches_reference", "sigmoid", "failed", diagnosis="d", behaviour="b1"),
        plots=(plot,),
        notes=("a note",),
        cell_reports=({"cell": 1, "status": "error", "message": "boom"},),
    )
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(original)
        again = book.result(ASSIGNMENT.slug, "ada")
    assert again is not None
    assert again.to_json() == original.to_json()
    assert again.checks == original.checks
    assert again.plots[0].series[0].y[0] == 0.5
    assert again.plots[0].series[0].y[1] != again.plots[0].series[0].y[1]  # nan survives


def test_gradebook_of_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE submissions (student TEXT)")
    db.commit()
    db.close()
    with pytest.raises(GradebookError, match="another version of the grader"):
        Gradebook(path)
    Gradebook(tmp_path / "new.sqlite").close()
    db = sqlite3.connect(tmp_path / "new.sqlite")
    assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    db.close()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(GradebookError, match="not a usable gradebook"):
        Gradebook(path)


def test_csv_has_a_column_per_question_and_only_the_cohort(tmp_path: Path) -> None:
    out = tmp_path / "grades.csv"
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(
            result(
                "ada",
                check("sigmoid_matches_reference", "sigmoid"),
                check("sigmoid_preserves_shape", "sigmoid", "failed"),
                check("predict_y_matches_reference", "predict_y"),
            )
        )
        book.record(
            SubmissionResult.ungradable(
                "=cmd|' /C calc'!A0", ASSIGNMENT.slug, "empty file", "", max_score=22.0
            )
        )
        book.record(result("gone"))
        questions = [q.id for q in ASSIGNMENT.questions]
        book.export_csv(ASSIGNMENT.slug, questions, out, students={"ada", "=cmd|' /C calc'!A0"})
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["student"] for r in rows] == ["'=cmd|' /C calc'!A0", "ada"]
    hostile, ada = rows
    tail = ["status", "percentage", "isolation", "graded_at"]
    assert list(ada) == ["student", *questions, "total", "max_score", *tail]
    assert (ada["sigmoid"], ada["predict_y"], ada["log_likelihood"]) == ("2", "2", "")
    assert (ada["total"], ada["max_score"], ada["status"]) == ("4", "22", "graded")
    assert (ada["percentage"], ada["isolation"]) == ("18.2", "bwrap")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)", ada["graded_at"])
    assert hostile["sigmoid"] == "0" and hostile["status"] == "ungradable"
    assert hostile["percentage"] == "0.0"


def test_checks_store_the_misconceptions_short_name(tmp_path: Path) -> None:
    mean = "gradient-mean-not-sum: the gradient is divided by n (a mean)"
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(
            result(
                "ada",
                check("sigmoid_matches_reference", "sigmoid", "failed", diagnosis=mean),
                check("predict_y_matches_reference", "predict_y", "failed", diagnosis="no name"),
            )
        )
        stored = book.rows("SELECT check_id, diagnosis, diagnosis_id FROM checks ORDER BY position")
    assert stored == [
        ("sigmoid_matches_reference", mean, "gradient-mean-not-sum"),
        ("predict_y_matches_reference", "no name", None),
    ]


def test_a_gradebook_from_before_the_short_names_gets_them(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    mean = "gradient-mean-not-sum: the gradient is divided by n (a mean)"
    with Gradebook(path) as book:
        book.record(
            result("ada", check("sigmoid_matches_reference", "sigmoid", "failed", diagnosis=mean))
        )
    db = sqlite3.connect(path)  # as an older grader wrote it: no diagnosis_id column
    with db:
        db.execute("ALTER TABLE checks DROP COLUMN diagnosis_id")
    db.close()
    with Gradebook(path) as book:
        assert book.rows("SELECT diagnosis_id FROM checks") == [("gradient-mean-not-sum",)]


def test_csv_cell_quotes_formulas_only() -> None:
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("ada-lovelace") == "ada-lovelace"


def test_overhead_is_total_minus_the_students_time() -> None:
    assert overhead_seconds({"total": 2.0, "cells": 0.5, "student_calls": 0.25}) == 1.25
    assert overhead_seconds({"total": 0.1, "cells": 0.5}) == 0.0
    assert overhead_seconds({}) == 0.0


# --------------------------------------------------------------------------- summary


def test_summary_groups_identical_wrong_behaviour_largest_first(tmp_path: Path) -> None:
    flipped = dict(diagnosis="the sign of the exponent is flipped", behaviour="aaa")
    with Gradebook(tmp_path / "g.sqlite") as book:
        for name in ("cy", "bo", "al"):  # three students with the same wrong sigmoid
            book.record(
                result(
                    name,
                    check(
                        "sigmoid_matches_reference",
                        "sigmoid",
                        "failed",
                        message="same message x",
                        **flipped,
                    ),
                )
            )
        book.record(
            result(
                "di",
                check("sigmoid_matches_reference", "sigmoid", "failed", behaviour="bbb"),
            )
        )
        for name in ("ed", "fa"):
            book.record(
                result(
                    name,
                    check(
                        "predict_y_matches_reference",
                        "predict_y",
                        "missing",
                        message="`predict_y` is not defined",
                    ),
                )
            )
        book.record(result("ok", check("sigmoid_matches_reference", "sigmoid")))
        book.record(result("gone", check("sigmoid_matches_reference", "sigmoid", "failed")))
        cohort = {"al", "bo", "cy", "di", "ed", "fa", "ok"}
        rows = book.submission_rows(ASSIGNMENT.slug), book.check_rows(ASSIGNMENT.slug)
        summary = summarise(*rows, ASSIGNMENT, students=cohort)
    first, second = summary.groups
    assert (first.size, first.check_id, first.students) == (
        3,
        "sigmoid_matches_reference",
        ("al", "bo", "cy"),
    )
    assert first.diagnosis == "the sign of the exponent is flipped"
    assert first.message == "same message x"
    assert (second.size, second.students) == (1, ("di",))
    # Not defining a function is unfinished work, not a shared mistake: a line of its own.
    (unfinished,) = summary.not_attempted
    assert (unfinished.question, unfinished.size, unfinished.students) == (
        "predict_y",
        2,
        ("ed", "fa"),
    )
    stats = {c.check_id: c for c in summary.checks}
    sigmoid = stats["sigmoid_matches_reference"]
    assert (sigmoid.checked, sigmoid.passed, sigmoid.failed) == (5, 1, 4)
    assert sigmoid.failure_rate == pytest.approx(0.8)
    assert summary.submissions == 7 and summary.graded == 7
    data = json.loads(to_json(summary))
    assert data["groups"][0]["size"] == 3
    # Checks come in the assignment's order: predict_y first, missing for both who had it.
    assert data["checks"][0]["check_id"] == "predict_y_matches_reference"
    assert data["checks"][0]["failure_rate"] == 1.0


def test_histogram_has_a_bar_per_point_for_small_totals() -> None:
    bars = histogram([0.0, 1.0, 1.2, 21.6, 22.0], 22.0)
    assert len(bars) == 23
    assert [b.count for b in bars if b.count] == [1, 2, 2]
    assert bars[22].count == 2  # 21.6 rounds to 22
    wide = histogram([0.0, 50.0, 100.0], 100.0)
    assert len(wide) == 20 and sum(b.count for b in wide) == 3 and wide[-1].count == 1
