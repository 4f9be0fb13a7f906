"""Tests for graders.summary: a cohort summary from plain rows, without a gradebook."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.gradebook import Gradebook
from graders.report.html import render_summary
from graders.results import CheckResult, SubmissionResult
from graders.spec import load_assignment
from graders.summary import summarise, to_json
from tests.graders.grading import grade_many

ASSIGNMENT = load_assignment("logistic-regression-from-scratch")


def submission(
    student: str, score: float, status: str = "graded", output: str = ""
) -> dict[str, Any]:
    return {
        "student": student,
        "score": score,
        "status": status,
        "isolation": "bwrap",
        "seconds": 1.0,
        "overhead_seconds": 0.1,
        "output": output,
    }


def check(student: str, status: str, behaviour: str | None, message: str) -> dict[str, Any]:
    return {
        "student": student,
        "check_id": "sigmoid_matches_reference",
        "question": "sigmoid",
        "status": status,
        "score": 2.0 if status == "passed" else 0.0,
        "behaviour": behaviour,
        "diagnosis": None,
        "counterexample": None,
        "message": message,
    }


def test_plain_rows_are_enough_and_the_first_student_represents_a_group() -> None:
    submissions = [submission(s, 10.0) for s in ("al", "bo", "cy")]
    submissions.append(submission("dz", 0.0, "ungradable", "not a notebook"))
    checks = [
        check("cy", "failed", "b1", "cy's message"),
        check("al", "failed", "b1", "al's message"),
        check("bo", "passed", None, ""),
    ]
    summary = summarise(submissions, checks, ASSIGNMENT)
    (group,) = summary.groups
    assert (group.size, group.students, group.message) == (2, ("al", "cy"), "al's message")
    assert summary.ungradable == (("dz", "not a notebook"),)
    (stats,) = summary.checks
    assert (stats.checked, stats.passed, stats.failed) == (3, 1, 2)
    assert summary.submissions == 4 and summary.graded == 3


def test_the_summary_does_not_import_the_gradebook() -> None:
    # The layers: report -> summary -> (nothing of storage); the caller reads the gradebook.
    code = (
        "import sys, graders.summary, graders.report.html\n"
        "bad = [m for m in sys.modules if m.split('.')[:2] in (['graders', 'gradebook'], "
        "['graders', 'sandbox'], ['graders', 'checks'], ['graders', 'engine'])]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def result(student: str, status: str, behaviour: str | None) -> SubmissionResult:
    return SubmissionResult(
        student=student,
        assignment=ASSIGNMENT.slug,
        status="graded",
        checks=(
            CheckResult(
                check_id="sigmoid_matches_reference",
                question="sigmoid",
                name="sigmoid matches reference",
                status=status,
                score=2.0 if status == "passed" else 2.0 / 3.0,
                max_score=2.0,
                message=f"message of {student}",
                behaviour=behaviour,
            ),
        ),
        isolation="process",
        notes=(),
        cell_reports=(),
        timings={"total": 1.0},
        sha256="ab" * 32,
        assignment_max_score=ASSIGNMENT.max_score,
    )


def test_the_gradebook_rows_give_the_summary_of_the_same_rows_built_by_hand(
    tmp_path: Path,
) -> None:
    results = [
        result("bo", "failed", "b"),
        result("al", "failed", "b"),
        result("cy", "passed", None),
    ]
    with Gradebook(tmp_path / "g.sqlite") as book:
        for r in results:
            book.record(r)
        slug = ASSIGNMENT.slug
        stored = summarise(book.submission_rows(slug), book.check_rows(slug), ASSIGNMENT)
    by_student = sorted(results, key=lambda r: r.student)
    submissions = [
        {**submission(r.student, r.score), "isolation": r.isolation, "overhead_seconds": 1.0}
        for r in by_student
    ]
    checks = [
        {**check(r.student, c.status, c.behaviour, c.message), "score": c.score}
        for r in by_student
        for c in r.checks
    ]
    assert to_json(stored) == to_json(summarise(submissions, checks, ASSIGNMENT))


def test_unfinished_work_is_one_line_and_a_real_misconception_leads(tmp_path: Path) -> None:
    examples = ASSIGNMENT.directory / "examples"
    cohort = {
        **{f"t{i}": examples / "template.ipynb" for i in range(3)},  # untouched template
        "p0": examples / "partial.ipynb",  # two functions done, the rest the template's
        **{f"d{i}": examples / "descent_sign.py" for i in range(2)},  # the step goes downhill
    }
    graded = grade_many({name: (path, ASSIGNMENT) for name, path in cohort.items()})
    with Gradebook(tmp_path / "g.sqlite") as book:
        for name, outcome in graded.items():
            book.record(replace(outcome.result, student=name))
        rows = book.submission_rows(ASSIGNMENT.slug), book.check_rows(ASSIGNMENT.slug)
        summary = summarise(*rows, ASSIGNMENT)
    unfinished = {n.question: n.students for n in summary.not_attempted}
    template, begun = ("t0", "t1", "t2"), ("p0", "t0", "t1", "t2")
    assert unfinished == {
        "predict_y": template,
        "sigmoid": template,
        "log_likelihood": begun,
        "gradient_step": begun,
        "grad_desc": begun,
    }
    assert len(summary.groups) == 2  # unfinished work adds no group
    first = summary.groups[0]
    assert first.size == 2 and first.students == ("d0", "d1")
    assert first.diagnosis is not None and first.diagnosis.startswith("descent-instead-of-ascent")
    assert first.question == "gradient_step"
    assert first.checks == (
        "gradient_step_matches_reference",
        "gradient_step_increases_log_likelihood",
    )
    # The downhill grad_desc is one group too: its pandas check counts under the diagnosis.
    (fit,) = [g for g in summary.groups if g.question == "grad_desc" and g.size == 2]
    assert "grad_desc_accepts_pandas" in fit.checks
    page = render_summary(summary)
    assert "Not attempted yet" in page and "<code>grad_desc</code>" in page
    # Each cause once per function, with the checks it fails: one card per shared group.
    assert page.count('<div class="group">') == sum(g.size > 1 for g in summary.groups) == 2
    fails = "Fails gradient_step_matches_reference, gradient_step_increases_log_likelihood"
    assert page.count(fails) == 1
