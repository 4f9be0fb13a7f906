"""``grader check``: exit codes, and output formats a machine (or a student) can rely on.

Exit codes (``grader --help``): 0 full marks, 1 graded below full marks, 2 usage error or
ungradable submission, 3 internal error. Most tests call :func:`graders.cli.main` in process; one
runs the installed console script, to see the real stdout of the real process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import graders.commands.check
import graders.engine
from graders.cli import main
from graders.exitcodes import EXIT_FULL, EXIT_INTERNAL, EXIT_PARTIAL, EXIT_USAGE
from tests.graders.grading import MLE, assignment

EXAMPLES = assignment(MLE).directory / "examples"
SOLUTION = EXAMPLES / "solution.py"
DDOF1 = EXAMPLES / "ddof1.py"
MALFORMED = EXAMPLES / "malformed.ipynb"

GRADESCOPE_TOP = {"score", "max_score", "output", "output_format", "test_output_format", "tests"}
GRADESCOPE_TEST = {"name", "score", "max_score", "status", "output", "visibility"}


def _one_json_document(text: str) -> dict[str, Any]:
    """Parse ``text`` as exactly one JSON object and nothing else (whitespace aside)."""
    decoder = json.JSONDecoder()
    document, end = decoder.raw_decode(text.lstrip())
    assert text.lstrip()[end:].strip() == "", f"more than one JSON document: {text[end:]!r}"
    assert isinstance(document, dict)
    return document


def _check_gradescope_schema(document: dict[str, Any]) -> None:
    assert set(document) - {"extra_data"} <= GRADESCOPE_TOP | {"execution_time", "visibility"}
    assert {"score", "max_score", "tests", "extra_data"} <= set(document)
    for test in document["tests"]:
        assert set(test) - {"extra_data"} == GRADESCOPE_TEST
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert isinstance(test["output"], str)
        assert {"check_id", "question", "status", "diagnosis"} <= set(test["extra_data"])
    assert {"student", "assignment", "submission_status", "timings"} <= set(document["extra_data"])


# --- help and usage -------------------------------------------------------------------------


def test_version_names_the_installed_release(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import metadata

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"grader {metadata.version('mle-grader')}"


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"]])
def test_help_documents_the_exit_codes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse re-wraps the epilog
    assert (
        "exit codes: 0 full marks, 1 graded below full marks, 2 usage error or ungradable "
        "submission, 3 internal error"
    ) in text


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["check"],
        ["check", str(SOLUTION)],  # no --assignment
        ["check", str(SOLUTION), "--assignment", MLE, "--format", "yaml"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: grader" in captured.err


def test_unknown_assignment_exits_2_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", str(SOLUTION), "--assignment", "no-such-lab"]) == EXIT_USAGE
    err = " ".join(capsys.readouterr().err.split())
    assert "unknown assignment 'no-such-lab'" in err
    assert MLE in err


def test_spec_with_an_unknown_check_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "assignment.toml").write_text(
        'slug = "broken"\ntitle = "Broken"\n\n[[questions]]\nid = "q"\ntitle = "Q"\n'
        'name = "f"\nchecks = [{ id = "no_such_check", points = 1 }]\n',
        encoding="utf-8",
    )
    assert main(["check", str(SOLUTION), "--assignment", str(folder)]) == EXIT_USAGE
    assert "unknown check ids: no_such_check" in " ".join(capsys.readouterr().err.split())


# --- exit codes of a grade --------------------------------------------------------------------


def test_full_marks_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SOLUTION), "--assignment", MLE, "--format", "json"]) == EXIT_FULL
    document = _one_json_document(capsys.readouterr().out)
    assert document["score"] == document["max_score"] == assignment(MLE).max_score


# ddof1 loses only normal_mle_matches_reference (2 points).
_DDOF1_SCORE = f"{assignment(MLE).max_score - 2:g} / {assignment(MLE).max_score:g}"


def test_partial_marks_exit_1_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(DDOF1), "--assignment", MLE, "--format", "markdown"])
    assert code == EXIT_PARTIAL
    text = capsys.readouterr().out
    assert text.startswith("# mle: ddof1\n")
    assert f"**Score: {_DDOF1_SCORE}**" in text
    assert "| question | check | status | points |" in text
    assert "| normal_mle | `normal_mle_matches_reference` | failed | 0 / 2 |" in text
    assert "## `normal_mle_matches_reference` — failed" in text
    assert "*Likely misconception:* ddof-1: sigma was computed with ddof=1" in text


def test_cells_grading_does_not_need_are_listed_and_run_all_cells_runs_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    partial = str(EXAMPLES / "partial.ipynb")
    main(["check", partial, "--assignment", MLE, "--format", "json"])
    sliced = _one_json_document(capsys.readouterr().out)
    main(["check", partial, "--assignment", MLE, "--format", "json", "--run-all-cells"])
    full = _one_json_document(capsys.readouterr().out)
    skipped = sliced["extra_data"]["skipped_cells"]
    assert [cell["cell"] for cell in skipped] == [6, 9, 12, 15, 16]
    assert skipped[0]["reason"] == "it only changes `flips`, which nothing graded reads"
    assert full["extra_data"]["skipped_cells"] == []
    assert sliced["tests"] == full["tests"]
    main(["check", partial, "--assignment", MLE, "--format", "markdown"])
    text = capsys.readouterr().out
    assert "## Cells not run\n" in text
    assert (
        "- code cell 3 (`flips = np.array([1, 0, 1, 1, 0, 1, 1...`): it only changes `flips`, "
        "which nothing graded reads"
    ) in text
    assert skipped[0]["label"] == "code cell 3 (`flips = np.array([1, 0, 1, 1, 0, 1, 1...`)"


def test_text_report_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DDOF1), "--assignment", MLE, "--student", "s123"]) == EXIT_PARTIAL
    text = capsys.readouterr().out
    assert "mle — s123" in text
    assert f"Score: {_DDOF1_SCORE}" in text
    assert "normal_mle_matches_reference" in text
    assert "ddof-1" in text


def test_ungradable_exits_2_and_still_prints_one_json_document(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["check", str(MALFORMED), "--assignment", MLE, "--format", "json"])
    assert code == EXIT_USAGE
    document = _one_json_document(capsys.readouterr().out)
    _check_gradescope_schema(document)
    assert document["score"] == 0 and document["tests"] == []
    assert document["max_score"] == assignment(MLE).max_score
    assert document["extra_data"]["submission_status"] == "ungradable"
    assert "not a valid notebook" in document["output"]


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "absent.py"), "--assignment", MLE]) == EXIT_USAGE
    assert "absent.py" in capsys.readouterr().out


def test_internal_error_exits_3_with_nothing_on_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated grader bug")

    # The command imports the engine when it runs (so that its worker starts first): patched
    # at the source, it is what the command finds.
    monkeypatch.setattr(graders.engine, "grade_path", boom)
    code = main(["check", str(SOLUTION), "--assignment", MLE, "--format", "json"])
    assert code == EXIT_INTERNAL
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "RuntimeError: simulated grader bug" in captured.err


# --- the real process -------------------------------------------------------------------------

CHATTY_SOLUTION = SOLUTION.read_text(encoding="utf-8").replace(
    "def bernoulli_mle(flips):\n",
    "print('hello from the top level')\n\n\ndef bernoulli_mle(flips):\n"
    "    print('hello from inside bernoulli_mle')\n",
)


def test_json_on_stdout_is_exactly_one_gradescope_document(tmp_path: Path) -> None:
    """stdout holds the JSON and nothing else, even when the student's code prints."""
    assert "print(" in CHATTY_SOLUTION
    path = tmp_path / "chatty.py"
    path.write_text(CHATTY_SOLUTION, encoding="utf-8")
    grader = Path(sys.executable).with_name("grader")
    completed = subprocess.run(
        [str(grader), "check", str(path), "--assignment", MLE, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == EXIT_FULL, completed.stderr
    assert "hello" not in completed.stdout
    document = _one_json_document(completed.stdout)
    _check_gradescope_schema(document)
    assert document["score"] == document["max_score"] == assignment(MLE).max_score
    assert len(document["tests"]) == sum(len(q.checks) for q in assignment(MLE).questions)
    assert document["extra_data"]["student"] == "chatty"
    assert document["extra_data"]["submission_status"] == "graded"


def test_every_command_and_option_explains_itself() -> None:
    """`grader COMMAND --help` is the manual: no command without a description, no bare option."""
    import argparse

    from graders.cli import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert commands.help
    assert set(commands.choices) >= {"check", "grade", "samples", "validate"}
    for name, command in commands.choices.items():
        assert command.description, f"`grader {name}` has no description"
        bare = [a.option_strings or [a.dest] for a in command._actions if not a.help]
        assert bare == [], f"`grader {name}`: options without a help line: {bare}"
