"""On the process layer a student reads one warning, in the layer's own words, and the result
keeps them (forced here with ``GRADER_ISOLATION=process``, so this runs on every machine)."""

from __future__ import annotations

import json

import pytest

from graders.cli import main
from graders.exitcodes import EXIT_FULL, EXIT_USAGE
from graders.sandbox import isolation
from tests.graders.grading import MLE, assignment

SOLUTION = assignment(MLE).directory / "examples" / "solution.py"


@pytest.fixture
def process_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(isolation.ISOLATION_ENV, "process")


@pytest.mark.usefixtures("process_layer")
def test_the_process_layer_gives_one_warning_that_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", str(SOLUTION), "--assignment", MLE]) == EXIT_FULL
    text = " ".join(capsys.readouterr().out.split())
    assert text.count("Warning") == 1 and text.count("isolation:") == 1
    assert "Warning: isolation: process layer only (GRADER_ISOLATION=process)" in text
    assert "the student's code runs as" in text  # which uid, and what it may therefore do


@pytest.mark.usefixtures("process_layer")
def test_the_result_records_what_the_layer_cannot_promise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", str(SOLUTION), "--assignment", MLE, "--format", "json"]) == EXIT_FULL
    document = json.loads(capsys.readouterr().out)
    assert document["extra_data"]["isolation"] == "process"
    (note,) = [n for n in document["extra_data"]["notes"] if n.startswith("isolation:")]
    assert "process layer only" in note and "the student's code runs as" in note


def test_a_misspelt_layer_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(isolation.ISOLATION_ENV, "bwarp")
    assert main(["check", str(SOLUTION), "--assignment", MLE]) == EXIT_USAGE
    assert "GRADER_ISOLATION='bwarp' is not a layer" in capsys.readouterr().err
