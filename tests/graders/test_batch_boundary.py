"""One submission's failure is that submission's outcome: a batch never ends because of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import graders.batch.cohort
import graders.batch.task
from graders.batch import grade_cohort
from graders.cli import main
from graders.results import SubmissionResult
from graders.spec import Assignment, load_assignment
from tests.graders.test_batch import CORRECT, FLIPPED, TINY_SPEC, write, writes


@pytest.fixture
def tiny(tmp_path: Path) -> Assignment:
    folder = tmp_path / "tiny-sigmoid"
    folder.mkdir()
    (folder / "assignment.toml").write_text(TINY_SPEC, encoding="utf-8")
    return load_assignment(folder)


# The student's own exception message carries a lone surrogate (as str(exc) may).
SURROGATE = "import numpy as np\n\n\ndef sigmoid(x):\n    raise ValueError('not UTF-8: \\udc80')\n"


def cohort(root: Path) -> None:
    write(root / "al.py", CORRECT)
    write(root / "bo.py", SURROGATE)
    write(root / "cy.py", FLIPPED)
    write(root / "di.py", CORRECT)


@pytest.mark.slow
def test_a_lone_surrogate_in_one_result_leaves_every_row_written(
    tiny: Assignment, tmp_path: Path
) -> None:
    root, out = tmp_path / "cohort", tmp_path / "out"
    cohort(root)
    report = grade_cohort(root, tiny, out, jobs=1, plots=False)
    assert report.internal_errors == ()
    assert writes(out) == {"al": 1, "bo": 1, "cy": 1, "di": 1}
    text = (out / "bo" / "results.json").read_text(encoding="utf-8")
    assert "not UTF-8: \ufffd" in text
    assert json.loads(text)["tests"][0]["status"] == "failed"


@pytest.mark.slow
def test_a_grader_failure_on_one_submission_is_its_outcome_and_the_batch_goes_on(
    tiny: Assignment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = graders.batch.task.grade_path

    def failing_on_bo(path: Path, *args: object, **kwargs: object) -> SubmissionResult:
        if path.stem == "bo":
            raise RuntimeError("injected grader failure")
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(graders.batch.task, "grade_path", failing_on_bo)
    root, out = tmp_path / "cohort", tmp_path / "out"
    cohort(root)
    report = grade_cohort(root, tiny, out, jobs=1, plots=False)
    assert writes(out) == {"al": 1, "cy": 1, "di": 1}  # every other row
    assert [student for student, _ in report.internal_errors] == ["bo"]
    assert "injected grader failure" in report.internal_errors[0][1]
    failure = json.loads((out / "bo" / "results.json").read_text(encoding="utf-8"))
    assert failure["score"] == 0 and "grader failed" in failure["output"]
    monkeypatch.setattr(graders.batch.task, "grade_path", real)
    again = grade_cohort(root, tiny, out, jobs=1, plots=False)  # retried, the others kept
    assert (again.graded, again.skipped, again.internal_errors) == (1, 3, ())


@pytest.mark.slow
def test_a_failure_writing_one_result_is_its_outcome_and_the_batch_goes_on(
    tiny: Assignment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = graders.batch.cohort.write_student_files

    def failing_for_cy(
        out: Path, result: SubmissionResult, assignment: Assignment, files: tuple = ()
    ) -> None:
        if result.student == "cy":
            raise OSError("injected: disk full")
        real(out, result, assignment, files)

    monkeypatch.setattr(graders.batch.cohort, "write_student_files", failing_for_cy)
    root, out = tmp_path / "cohort", tmp_path / "out"
    cohort(root)
    report = grade_cohort(root, tiny, out, jobs=1, plots=False)
    assert writes(out) == {"al": 1, "bo": 1, "di": 1}
    assert [student for student, _ in report.internal_errors] == ["cy"]
    assert "injected: disk full" in report.internal_errors[0][1]
    assert report.graded == 3


@pytest.mark.slow
def test_check_prints_valid_utf8_json_for_a_lone_surrogate(
    tiny: Assignment, tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = write(tmp_path / "bo.py", SURROGATE)
    code = main(["check", str(path), "--assignment", str(tiny.directory), "--format", "json"])
    printed = capfdbinary.readouterr().out.decode("utf-8")  # strict: raised before
    assert code == 1
    assert "not UTF-8: \ufffd" in json.loads(printed)["tests"][0]["output"]
