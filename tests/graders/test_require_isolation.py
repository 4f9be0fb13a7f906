"""The layer is said before grading starts, once; --require-isolation refuses the weaker one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graders.cli import main
from graders.exitcodes import EXIT_USAGE
from tests.graders.grading import MLE, assignment

SOLUTION = assignment(MLE).directory / "examples" / "solution.py"


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    folder = tmp_path / "cohort"
    folder.mkdir()
    for student in ("ada", "bo"):
        shutil.copy(SOLUTION, folder / f"{student}.py")
    return folder


def test_grade_on_the_process_layer_warns_once_before_grading(
    cohort: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GRADER_ISOLATION", "process")
    code = main(["grade", str(cohort), "--assignment", MLE, "--out", str(tmp_path / "out")])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 0
    assert err.count("Warning: student code will run on the weaker process layer") == 1
    assert "--require-isolation refuses to grade without namespaces" in err


@pytest.mark.parametrize("command", ["grade", "check"])
def test_require_isolation_refuses_the_process_layer(
    command: str,
    cohort: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GRADER_ISOLATION", "process")
    target = (
        [str(cohort), "--out", str(tmp_path / "out")] if command == "grade" else [str(SOLUTION)]
    )
    code = main([command, *target, "--assignment", MLE, "--require-isolation"])
    captured = capsys.readouterr()
    assert code == EXIT_USAGE and captured.out == ""
    assert "grading requires bubblewrap's namespaces (--require-isolation)" in " ".join(
        captured.err.split()
    )
    assert not (tmp_path / "out" / "gradebook.sqlite").exists()


@pytest.mark.bwrap
def test_require_isolation_grades_where_bubblewrap_works(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", str(SOLUTION), "--assignment", MLE, "--require-isolation"]) == 0
    assert "Warning" not in capsys.readouterr().err


@pytest.mark.parametrize("how", ["option", "course setting"])
def test_serve_refuses_the_process_layer_when_isolation_is_required(
    how: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.service.conftest import make_course

    monkeypatch.setenv("GRADER_ISOLATION", "process")
    root = make_course(tmp_path, "require_isolation = true" if how == "course setting" else "")
    args = ["serve", str(root), "--port", "0"]
    code = main([*args, "--require-isolation"] if how == "option" else args)
    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_USAGE  # before anything is served
    assert "grading requires bubblewrap's namespaces (--require-isolation)" in err
