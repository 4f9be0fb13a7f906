"""Hostile submissions against the boundary (issue 13): one submission never ends the grading.

Each case is graded by the engine like the corpus of ``test_hostile_corpus.py`` (the hostile
cell after the correct ``mle`` solution) and must come back as a graded result whose JSON is
valid UTF-8, at most ``MAX_RESULT_BYTES`` long, with the damage confined to the checks it
attacks: lone surrogates, megabyte-long names, forged timings, odd but honest returns, and
submissions that keep a worker busy for minutes (calls just under their budget, a slow
finalizer, 150,000 cells, crashes that replay every cell) against the total time budget.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from graders.engine import grade_path, grade_submission, sandbox_config
from graders.results import MAX_RESULT_BYTES, SubmissionResult
from graders.spec import Assignment, Limits
from tests.sandbox.test_hostile_corpus import (  # noqa: F401 -- the corpus's fixtures
    BASE,
    REPO,
    SOLUTION,
    before,
    confined,
    quick,
    submission,
)

# Every case runs only once the worker is shown unable to fork or signal (as in the corpus).
pytestmark = pytest.mark.usefixtures("confined")

# Small on purpose: a case that ignored it would take minutes, one that obeys it seconds.
TOTAL = 4.0
# Worker start, the grace period past the last budget, closing the session: generous.
SLACK = 8.0


@pytest.fixture(scope="module")
def mle() -> Assignment:
    return quick("mle")


def graded(assignment: Assignment, *cells: str, name: str) -> SubmissionResult:
    config = sandbox_config(assignment, base=BASE)
    result = grade_submission(
        submission(*cells, name=name), assignment, student=name, config=config
    )
    assert result.status == "graded"
    text = result.to_json()
    assert len(text.encode("utf-8")) <= MAX_RESULT_BYTES  # encodes: no lone surrogate
    json.loads(text)
    return result


def check(result: SubmissionResult, check_id: str) -> tuple[str, str]:
    found = next(c for c in result.checks if c.check_id == check_id)
    return found.status, found.message


def with_total(assignment: Assignment, seconds: float) -> Assignment:
    limits = Limits(cell_timeout=1.0, call_timeout=1.0, submission_timeout=seconds)
    return dataclasses.replace(assignment, limits=limits)


# ------------------------------------------------------------------ text from the worker

LONE_SURROGATES = r"""
def bernoulli_mle(flips):
    raise ValueError("the message \udc81 is not UTF-8")

bernoulli_mle.__code__ = bernoulli_mle.__code__.replace(co_name="frame\udc82")
"""


def test_lone_surrogates_in_names_and_messages_become_replacement_characters(
    mle: Assignment,
) -> None:
    result = graded(mle, SOLUTION, LONE_SURROGATES, name="surrogates")
    status, message = check(result, "bernoulli_mle_matches_reference")
    assert status == "error"
    assert "ValueError: the message \ufffd is" in message
    assert "frame\ufffd" in message
    assert result.score == 8


MEGABYTE_NAMES = """
def _helper(flips):
    raise ValueError("m" * 3_000_000)

_helper.__code__ = _helper.__code__.replace(co_name="n" * 3_000_000)

def bernoulli_mle(flips):
    return _helper(flips)
"""


def test_megabyte_names_in_frames_are_cut_with_a_visible_marker(mle: Assignment) -> None:
    result = graded(mle, SOLUTION, MEGABYTE_NAMES, name="megabyte-names")
    status, message = check(result, "bernoulli_mle_matches_reference")
    assert status == "error"
    assert "[truncated: " in message and "more characters]" in message
    assert "cell 2, line 8, in bernoulli_mle" in message
    assert "[truncated: 299" in message  # cut once, at the boundary, counting what went


FORGED_TIMING = """
import math, sys

_protocol = sys.modules.get("protocol")
if _protocol is not None:
    _encode = _protocol.encode

    def _forged(message, **options):
        returned = getattr(message.get("value"), "value", None)  # inside protocol.Budgeted
        if type(returned) is float:  # the reply to a call of one of the float functions
            message = {**message, "seconds": math.inf}
        return _encode(message, **options)

    _protocol.encode = _forged
"""


def test_a_forged_infinite_duration_breaks_the_connection(mle: Assignment) -> None:
    result = graded(mle, SOLUTION, FORGED_TIMING, name="forged-timing")
    status, message = check(result, "bernoulli_mle_matches_reference")
    assert status == "error"
    assert "broke the connection" in message and "finite" in message
    assert all(v >= 0 and v < 1e6 for v in result.timings.values())


RAGGED_PATH = """
def gradient_descent(grad, start, alpha, max_iterations, precision):
    path = [start]
    x = start
    while len(path) <= max_iterations:
        step = alpha * grad(x)
        x = x - step
        path.append(x)
        if abs(step) < precision:
            break
    return x, [[p] if i % 2 else [p, p] for i, p in enumerate(path)]  # ragged
"""


def test_an_honest_but_ragged_descent_path_fails_the_check_with_a_message() -> None:
    assignment = quick("gradient-descent")
    path_tuple = (REPO / "assignments/gradient-descent/examples/path_tuple.py").read_text()
    result = graded(assignment, path_tuple, RAGGED_PATH, name="ragged-path")
    status, message = check(result, "gradient_descent_matches_reference")
    assert status == "failed"
    assert "returned the wrong type of value" in message
    assert "a tuple holding a list whose items have different lengths or shapes" in message
    assert check(result, "rss_matches_reference")[0] == "passed"


# ------------------------------------------------------------------ the total time budget

JUST_UNDER_THE_BUDGET = """
import time

def _slow(function):
    def slow(*args, **kwargs):
        time.sleep(0.8)  # the call budget is 1 s
        return function(*args, **kwargs)
    return slow

bernoulli_log_likelihood = _slow(bernoulli_log_likelihood)
bernoulli_mle = _slow(bernoulli_mle)
normal_log_likelihood = _slow(normal_log_likelihood)
normal_mle = _slow(normal_mle)
"""

SLOW_FINALIZER = """
import gc, time

class _Slow:
    def __del__(self):
        time.sleep(0.8)  # outside the call: the worker books 0 s for it

def _leaky(function):
    def leaky(*args, **kwargs):
        junk = [_Slow()]
        junk.append(junk)  # a cycle: the collector frees it later, between requests
        return function(*args, **kwargs)
    return leaky

gc.set_threshold(50)
bernoulli_log_likelihood = _leaky(bernoulli_log_likelihood)
bernoulli_mle = _leaky(bernoulli_mle)
normal_log_likelihood = _leaky(normal_log_likelihood)
normal_mle = _leaky(normal_mle)
"""


def assert_cut_short_by_the_total(result: SubmissionResult, seconds: float) -> None:
    assert result.timings["total"] < TOTAL + SLACK, result.timings
    cut = [i for i, c in enumerate(result.checks) if "total time budget" in c.message]
    assert cut, [(c.check_id, c.status, c.message) for c in result.checks]
    assert cut == list(range(cut[0], len(result.checks)))  # every check from there on
    assert {result.checks[i].status for i in cut} == {"timeout"}


@pytest.mark.parametrize(
    "cell", [JUST_UNDER_THE_BUDGET, SLOW_FINALIZER], ids=["slow-calls", "slow-finalizer"]
)
def test_a_submission_busy_for_minutes_stops_at_its_total_budget(
    cell: str, mle: Assignment
) -> None:
    started = time.monotonic()
    result = graded(with_total(mle, TOTAL), SOLUTION, cell, name="slow")
    assert_cut_short_by_the_total(result, time.monotonic() - started)


def test_a_notebook_of_150000_cells_stops_at_its_total_budget(mle: Assignment) -> None:
    cells = [SOLUTION, *(["x = 1"] * 150_000)]
    result = graded(with_total(mle, TOTAL), *cells, name="many-cells")
    assert_cut_short_by_the_total(result, result.timings["total"])
    last = result.cell_reports[-1]
    assert last["status"] == "timeout"
    assert "cells after it were not run" in last["message"]
    assert "total time budget (4 s)" in last["message"]
    assert len(result.cell_reports) < 150_001


CRASH_AFTER_MANY_CELLS = """
import os

def bernoulli_mle(flips):
    os._exit(0)  # every call: a fresh worker, which replays every cell first
"""


def test_crashes_that_replay_thousands_of_cells_stop_at_the_total_budget(mle: Assignment) -> None:
    cells = [SOLUTION, *(["y = 2"] * 3_000), CRASH_AFTER_MANY_CELLS]
    result = graded(with_total(mle, TOTAL), *cells, name="replays")
    assert result.timings["total"] < TOTAL + SLACK, result.timings
    assert check(result, "bernoulli_mle_matches_reference")[0] in ("error", "timeout")


@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_a_line_of_400000_spaces_loads_and_grades(
    suffix: str, mle: Assignment, tmp_path: Path
) -> None:
    lines = ["a" + " " * 400_000, "b = 1" + " " * 400_000 + "= 2", "def" + " " * 400_000 + "f"]
    hostile = "\n".join(lines) + "\n"
    path = tmp_path / f"spaces{suffix}"
    if suffix == ".py":
        path.write_text(SOLUTION + "\n" + hostile)
    else:
        cells = [
            {
                "cell_type": "code",
                "metadata": {},
                "source": s,
                "outputs": [],
                "execution_count": None,
            }
            for s in (SOLUTION, hostile)
        ]
        path.write_text(
            json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4})
        )
    config = sandbox_config(mle, base=BASE)
    started = time.monotonic()
    result = grade_path(path, mle, config=config)
    assert time.monotonic() - started < 30  # the loader's quadratic regex took minutes
    assert result.status == "graded"
    assert result.cell_reports[-1]["status"] == "error"  # a SyntaxError, reported
    assert len(result.to_json().encode("utf-8")) <= MAX_RESULT_BYTES


def test_the_budget_is_read_from_the_spec(tmp_path: Path) -> None:
    from graders.spec import load_assignment

    spec = (REPO / "assignments/mle/assignment.toml").read_text()
    folder = tmp_path / "mle"
    folder.mkdir()
    (folder / "assignment.toml").write_text(
        spec.replace("[limits]\n", "[limits]\nsubmission_timeout = 12.5\n", 1)
    )
    assert load_assignment(folder).limits.submission_timeout == 12.5
    assert load_assignment("mle").limits.submission_timeout == 60.0
    assert sandbox_config(load_assignment(folder)).submission_timeout == 12.5
