"""Tests for graders.commands._shared: the options several subcommands read the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.cli import main
from graders.commands._shared import course_secret
from graders.hidden import SECRET_FILE_ENV, CourseSecret

KEY_A = "a course secret of more than sixteen bytes"
KEY_B = "another course secret, also long enough"


def _secret_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_the_secret_file_option_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_FILE_ENV, raising=False)
    assert course_secret(_secret_file(tmp_path, "a", KEY_A)) == CourseSecret.from_text(KEY_A)


def test_without_the_option_the_environment_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_FILE_ENV, str(_secret_file(tmp_path, "b", KEY_B)))
    assert course_secret(None) == CourseSecret.from_text(KEY_B)
    # The option wins over the variable.
    assert course_secret(_secret_file(tmp_path, "a", KEY_A)) == CourseSecret.from_text(KEY_A)


def test_without_option_or_environment_there_is_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SECRET_FILE_ENV, raising=False)
    assert course_secret(None) is None


def test_an_unusable_secret_file_is_a_value_error_naming_it(tmp_path: Path) -> None:
    short = _secret_file(tmp_path, "short.secret", "short")
    with pytest.raises(ValueError, match=r"cannot use .*short\.secret as a course secret"):
        course_secret(short)


@pytest.mark.parametrize("command", ["check", "grade"])
@pytest.mark.parametrize("given", ["option", "environment"])
def test_check_and_grade_refuse_an_unusable_secret_file_as_a_usage_error(
    command: str,
    given: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    short = _secret_file(tmp_path, "short.secret", "short")
    cohort = tmp_path / "cohort"
    cohort.mkdir()
    (cohort / "al.py").write_text("x = 1\n", encoding="utf-8")
    argv = (
        ["check", str(cohort / "al.py"), "--assignment", "mle"]
        if command == "check"
        else ["grade", str(cohort), "--assignment", "mle", "--out", str(tmp_path / "out")]
    )
    if given == "option":
        monkeypatch.delenv(SECRET_FILE_ENV, raising=False)
        argv += ["--secret-file", str(short)]
    else:
        monkeypatch.setenv(SECRET_FILE_ENV, str(short))
    assert main(argv) == 2
    message = " ".join(capsys.readouterr().err.split())  # Rich wraps long lines
    assert f"grader: cannot use {short} as a course secret" in message
    assert not (tmp_path / "out").exists()  # refused before anything was graded
