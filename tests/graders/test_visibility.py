"""A check's visibility is declared in assignment.toml and travels with its result: to
Gradescope's results.json and to what the grading service shows a student."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from graders.engine import grade_path
from graders.errors import SpecError
from graders.service.settings import AssignmentSettings
from graders.service.view import HIDDEN_NOTE, instructor_document, student_document
from graders.spec import Assignment, load_assignment

CHECK = "normal_mle_matches_reference"
LINE = '{ id = "normal_mle_matches_reference", points = 2, rtol = 1e-7, atol = 1e-10 }'


def mle_with(tmp_path: Path, extra: str) -> Path:
    """A copy of the mle assignment whose normal-MLE check gets ``extra`` fields."""
    folder = tmp_path / "mle"
    shutil.copytree(load_assignment("mle").directory, folder)
    spec = folder / "assignment.toml"
    text = spec.read_text(encoding="utf-8")
    assert LINE in text
    spec.write_text(text.replace(LINE, LINE[:-2] + f", {extra} }}"), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def hidden(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    return load_assignment(mle_with(tmp_path_factory.mktemp("spec"), 'visibility = "hidden"'))


def test_a_checks_visibility_reaches_results_json(hidden: Assignment) -> None:
    result = grade_path(hidden.directory / "examples" / "ddof1.py", hidden)
    visibility = {c.check_id: c.visibility for c in result.checks}
    assert visibility.pop(CHECK) == "hidden"
    assert set(visibility.values()) == {"visible"}  # the others keep the default
    tests = {t["extra_data"]["check_id"]: t for t in result.to_gradescope()["tests"]}
    assert tests[CHECK]["visibility"] == "hidden"  # what Gradescope reads


def test_the_service_hides_what_the_spec_hides(hidden: Assignment) -> None:
    result = grade_path(hidden.directory / "examples" / "ddof1.py", hidden)
    now = dt.datetime.now(dt.timezone.utc)
    student = {
        t["extra_data"]["check_id"]: t
        for t in student_document(result, AssignmentSettings(), now)["tests"]
    }
    assert student[CHECK]["output"] == HIDDEN_NOTE and "ddof" not in str(student[CHECK])
    assert student[CHECK]["score"] == 0.0 and student[CHECK]["max_score"] == 2.0
    boss = {t["extra_data"]["check_id"]: t for t in instructor_document(result)["tests"]}
    assert "ddof" in boss[CHECK]["output"]


def test_an_unknown_visibility_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="visibility"):
        load_assignment(mle_with(tmp_path, 'visibility = "secret"'))
