"""Students who change their inputs in place and try to hide it from the mutation check.

Each submission computes the right value and then overwrites ``w`` (so the value checks pass),
except when it believes it is being watched: when the call looks like the mutation check's (how
it travels, a repeated input), or after it has arranged for the arguments not to come back.
Every one must still fail ``predict_y_does_not_mutate_inputs``. And no call can be told from the
mutation check's by its request.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.engine import grade_path
from graders.results import CheckResult
from graders.spec import Assignment
from tests.graders.grading import LOGISTIC, assignment, only, write_source

MUTATION_CHECK = "predict_y_does_not_mutate_inputs"

_FRAMES = """
import sys
import numpy as np

def _worker_call():
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "call" and "request" in frame.f_locals:
            return frame
        frame = frame.f_back
    return None
"""


def _rewrites_the_report(report: str) -> str:
    """A submission that zeroes ``w`` and replaces the worker's reply builder, which then sends
    ``report`` as the arguments after the call: an expression of ``args_after`` and ``same``
    (the worker's ``Unchanged``)."""
    return (
        _FRAMES
        + f"""
def predict_y(X, w):
    out = X @ w
    frame = _worker_call()
    if frame is not None:
        module = frame.f_globals
        if "_original_reply" not in module:
            module["_original_reply"] = module["_reply"]
            same = module["protocol"].UNCHANGED
            def _reply(status, value=None, message="", args_after=None, seconds=0.0):
                report = None if args_after is None else {report}
                return module["_original_reply"](status, value, message, report, seconds)
            module["_reply"] = _reply
    w[...] = 0.0
    return out
"""
    )


SUBMISSIONS = {
    # Behaves on a call made alone (the mutation check's), mutates in batches.
    "spots_the_single_call": _FRAMES
    + """
def predict_y(X, w):
    out = X @ w
    frame = _worker_call()
    if frame is not None and frame.f_locals.get("max_bytes") is None:
        return out
    w[...] = 0.0
    return out
""",
    # Behaves on an input it has seen before (the check reuses a regression input).
    "remembers_inputs": """
import numpy as np
_SEEN = set()

def predict_y(X, w):
    out = X @ w
    key = (X.tobytes(), w.tobytes())
    if key in _SEEN:
        return out
    _SEEN.add(key)
    w[...] = 0.0
    return out
""",
    # Tells the worker not to send the arguments back.
    "clears_the_flag": _FRAMES
    + """
def predict_y(X, w):
    out = X @ w
    frame = _worker_call()
    if frame is not None:
        frame.f_locals["request"]["return_args"] = False
    w[...] = 0.0
    return out
""",
    # Replaces the worker's reply builder: no arguments ever come back.
    "drops_the_report": _rewrites_the_report("None"),
    # Sends back fewer arguments than it was given.
    "shortens_the_report": _rewrites_the_report("args_after[:-1]"),
    # Sends more reports than arguments: an extra ``Unchanged`` stands for nothing sent.
    "pads_the_report": _rewrites_the_report("[same, same, same]"),
}


@pytest.fixture(scope="module")
def spec() -> Assignment:
    return only(assignment(LOGISTIC), "predict_y")


def _mutation_record(path: Path, spec: Assignment) -> CheckResult:
    result = grade_path(path, spec)
    return next(c for c in result.checks if c.check_id == MUTATION_CHECK)


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
def test_hiding_a_mutation_still_fails_the_mutation_check(
    name: str, spec: Assignment, tmp_path: Path
) -> None:
    record = _mutation_record(write_source(tmp_path, f"{name}.py", SUBMISSIONS[name]), spec)
    assert record.status == "failed", record.message
    assert record.score == 0.0
    assert (
        "changed its argument #2 in place" in record.message
        or "could not be checked for changing its arguments" in record.message
    ), record.message


def test_an_honest_function_passes_the_mutation_check(spec: Assignment, tmp_path: Path) -> None:
    honest = "def predict_y(X, w):\n    w = w.copy()\n    w += 0.0\n    return X @ w\n"
    record = _mutation_record(write_source(tmp_path, "honest.py", honest), spec)
    assert record.status == "passed", record.message


# Raises as soon as two calls differ in what the worker's request says about the arguments.
TELLS_CALLS_APART = (
    _FRAMES
    + """
_FLAGS = set()

def predict_y(X, w):
    frame = _worker_call()
    _FLAGS.add(None if frame is None else frame.f_locals["request"].get("return_args"))
    if len(_FLAGS) > 1:
        raise RuntimeError("this call is not like the others")
    return X @ w
"""
)


def test_the_mutation_check_call_looks_like_every_other(spec: Assignment, tmp_path: Path) -> None:
    """The old flag (arguments reported only for the mutation check) let a function behave
    on that one call; now every request says the same."""
    result = grade_path(write_source(tmp_path, "apart.py", TELLS_CALLS_APART), spec)
    assert [(c.check_id, c.status) for c in result.checks] == [
        ("predict_y_matches_reference", "passed"),
        (MUTATION_CHECK, "passed"),
    ], [c.message for c in result.checks]
