"""Identical input gives identical output: the same file graded twice (in one process or in two)
gives byte-identical JSON apart from timings, and the inputs a submission is tested on depend
neither on its own number literals nor on what the grading process happens to have imported."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graders.engine import grade_path
from graders.results import SubmissionResult
from graders.sandbox import PlannedCall, WorkerSession
from graders.spec import Assignment, load_assignment
from tests.graders.grading import LOGISTIC, assignment, only, without_timings, write_source

# Wrong only above z = 4, which no fixed regression input reaches: Hypothesis has to find it,
# so the counterexample comes from the search and its shrinking.
WINDOW_SIGMOID = """
import numpy as np
from scipy.special import expit

_UNUSED = {unused}


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    out = {scaled}
    out = np.where(x > {threshold}, 1.0, out)
    return out if out.ndim else float(out)
"""

SUBMISSION_A = WINDOW_SIGMOID.format(unused="4.000001", scaled="1.0 * expit(x)", threshold="4.0")
SUBMISSION_B = WINDOW_SIGMOID.format(unused="17.25", scaled="expit(x) * 1.00", threshold="4")


@pytest.fixture(scope="module")
def sigmoid_only(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    """The logistic assignment cut down to its sigmoid question, as a spec on disk (so the
    command line can grade against exactly the same spec)."""
    folder = tmp_path_factory.mktemp("spec") / LOGISTIC
    folder.mkdir()
    text = (assignment(LOGISTIC).directory / "assignment.toml").read_text(encoding="utf-8")
    head, *questions = text.split("[[questions]]")
    head = head.split("[data]")[0]  # the sigmoid question needs no data file
    kept = [q for q in questions if 'id = "sigmoid"' in q]
    (folder / "assignment.toml").write_text(head + "[[questions]]" + kept[0], encoding="utf-8")
    spec = load_assignment(folder)
    assert spec == only(spec, "sigmoid") and [q.id for q in spec.questions] == ["sigmoid"]
    return spec


@pytest.fixture()
def call_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every call sent to a worker, as text: the inputs the submission was tested on."""
    log: list[str] = []
    one, many = WorkerSession.call, WorkerSession.call_many

    def call(self: WorkerSession, name: str, /, *args: object, **kwargs: Any) -> Any:
        log.append(f"{name}{args!r}")
        return one(self, name, *args, **kwargs)

    def call_many(self: WorkerSession, calls: list[PlannedCall]) -> Any:
        outcomes = many(self, calls)
        log.extend(f"{c.name}{c.args!r}" for c in calls[: len(outcomes)])
        return outcomes

    monkeypatch.setattr(WorkerSession, "call", call)
    monkeypatch.setattr(WorkerSession, "call_many", call_many)
    yield log


def _grade(path: Path, spec: Assignment, log: list[str]) -> tuple[SubmissionResult, list[str]]:
    log.clear()
    result = grade_path(path, spec)
    return result, list(log)


def test_search_finds_the_window_bug(tmp_path: Path, sigmoid_only: Assignment) -> None:
    """The control is meaningful: the bug is found, by the search, on an input above 4."""
    result = grade_path(write_source(tmp_path, "a.py", SUBMISSION_A), sigmoid_only)
    record = next(c for c in result.checks if c.check_id == "sigmoid_matches_reference")
    assert record.status == "failed"
    assert record.counterexample is not None
    assert record.counterexample not in ("sigmoid(array([-3., -1., 0., 0.5, 2.]))", "sigmoid(0.0)")


def test_same_file_twice_gives_identical_json(
    tmp_path: Path, sigmoid_only: Assignment, call_log: list[str]
) -> None:
    path = write_source(tmp_path, "a.py", SUBMISSION_A)
    first, first_calls = _grade(path, sigmoid_only, call_log)
    second, second_calls = _grade(path, sigmoid_only, call_log)
    assert without_timings(first) == without_timings(second)
    assert first_calls == second_calls


def test_command_line_and_library_give_identical_json(
    tmp_path: Path, sigmoid_only: Assignment
) -> None:
    """A fresh process (other modules loaded, nothing cached) grades exactly the same."""
    path = write_source(tmp_path, "a.py", SUBMISSION_A)
    in_process = json.loads(without_timings(grade_path(path, sigmoid_only)))
    grader = Path(sys.executable).with_name("grader")
    completed = subprocess.run(
        [str(grader), "check", str(path), "--assignment", str(sigmoid_only.directory)]
        + ["--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    from_cli = json.loads(completed.stdout)
    from_cli["extra_data"]["timings"] = {k: 0.0 for k in from_cli["extra_data"]["timings"]}
    assert from_cli == in_process


def test_number_literals_do_not_change_the_inputs(
    tmp_path: Path, sigmoid_only: Assignment, call_log: list[str]
) -> None:
    """Two equally wrong submissions that differ only in their literals get the same inputs,
    hence the same counterexamples and messages."""
    a, calls_a = _grade(write_source(tmp_path, "a.py", SUBMISSION_A), sigmoid_only, call_log)
    b, calls_b = _grade(write_source(tmp_path, "b.py", SUBMISSION_B), sigmoid_only, call_log)
    assert calls_a == calls_b
    for x, y in zip(a.checks, b.checks, strict=True):
        assert (x.check_id, x.status, x.message, x.counterexample, x.diagnosis, x.behaviour) == (
            y.check_id,
            y.status,
            y.message,
            y.counterexample,
            y.diagnosis,
            y.behaviour,
        )
    assert [c.status for c in a.checks].count("failed") >= 1


def test_modules_loaded_by_the_grader_do_not_change_the_inputs(
    tmp_path: Path,
    sigmoid_only: Assignment,
    call_log: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hypothesis mixes number literals of every 'local' module loaded in its process into the
    inputs it draws. What the grading process has imported (a report module, a plugin, the
    test suite's helpers) must not change what a submission is tested on."""
    path = write_source(tmp_path, "a.py", SUBMISSION_A)
    before, calls_before = _grade(path, sigmoid_only, call_log)

    folder = tmp_path / "plugins"
    folder.mkdir()
    literals = ", ".join(f"{(i * 7.31) % 60 - 30:.3f}" for i in range(300))
    module_file = folder / "grader_extra_constants.py"
    module_file.write_text(f"VALUES = [{literals}]\nCOUNTS = {list(range(1, 40))}\n")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "grader_extra_constants", raising=False)
    importlib.import_module("grader_extra_constants")
    _the_module_counts_as_local(module_file)

    after, calls_after = _grade(path, sigmoid_only, call_log)
    assert calls_after == calls_before
    assert without_timings(after) == without_timings(before)


def _the_module_counts_as_local(path: Path) -> None:
    """Guard against a vacuous test: Hypothesis would read this module's literals."""
    constants_ast = pytest.importorskip("hypothesis.internal.constants_ast")
    is_local = getattr(constants_ast, "is_local_module_file", None)
    if is_local is None:
        pytest.skip("this Hypothesis does not read literals from local modules")
    assert is_local(str(path))


def test_pinning_is_reentrant_and_restores_hypothesis() -> None:
    from graders.checks.local_constants import without_local_constants

    providers = pytest.importorskip("hypothesis.internal.conjecture.providers")
    original = getattr(providers, "_get_local_constants", None)
    if original is None:
        pytest.skip("this Hypothesis does not read literals from local modules")
    with without_local_constants():
        pinned = providers._get_local_constants
        assert pinned is not original and len(pinned()) == 0
        with without_local_constants():
            assert providers._get_local_constants is pinned
        assert providers._get_local_constants is pinned
    assert providers._get_local_constants is original
