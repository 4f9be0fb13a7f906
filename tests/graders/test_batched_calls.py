"""Calls made in batches change how many round trips grading takes, never what it concludes.

The searches send the student's calls on known inputs in ``call_many`` batches (see
``graders.checks.batching``). These tests grade real submissions in real workers twice, batched and
one call at a time, and compare everything but the timings; they also show that the batching
happens, that a failing input costs no extra calls, and that the dry run of a search draws the
inputs the real search draws (so a failure met on a replayed input is found again and shrunk).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

from graders.checks import base, batching, replay
from graders.checks.base import CheckContext, search
from graders.engine import grade_path
from graders.errors import CheckFailed
from graders.samples import sample_paths
from graders.sandbox import CallOutcome, PlannedCall, WorkerSession
from graders.spec import load_assignment
from tests.graders.grading import LOGISTIC, assignment, without_timings, write_source

SAMPLES = [
    pytest.param(slug, path, id=f"{slug}/{path.name}")
    for slug in ("logistic-regression-from-scratch", "model-comparisons", "mle", "gradient-descent")
    for path in sample_paths(load_assignment(slug))
]


@dataclass
class Traffic:
    """What went to the workers: round trips, and every call in the order it was made."""

    round_trips: int = 0
    calls: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.round_trips = 0
        self.calls = []


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> Iterator[Traffic]:
    seen = Traffic()
    one, many = WorkerSession.call, WorkerSession.call_many

    def call(self: WorkerSession, name: str, /, *args: object, **kwargs: Any) -> CallOutcome:
        seen.round_trips += 1
        seen.calls.append(f"{name}{args!r}")
        return one(self, name, *args, **kwargs)

    def call_many(self: WorkerSession, planned: list[PlannedCall]) -> list[CallOutcome]:
        seen.round_trips += 1
        outcomes = many(self, planned)
        seen.calls.extend(f"{c.name}{c.args!r}" for c in planned[: len(outcomes)])
        return outcomes

    monkeypatch.setattr(WorkerSession, "call", call)
    monkeypatch.setattr(WorkerSession, "call_many", call_many)
    yield seen


def one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_prefetch", lambda ctx, prop, inputs: 0)


@pytest.mark.parametrize(("slug", "path"), SAMPLES)
def test_batched_and_one_at_a_time_grading_agree(
    slug: str, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = assignment(slug)
    batched = without_timings(grade_path(path, spec))
    one_at_a_time(monkeypatch)
    assert without_timings(grade_path(path, spec)) == batched


def test_a_correct_submission_needs_a_fraction_of_the_round_trips(
    traffic: Traffic, monkeypatch: pytest.MonkeyPatch
) -> None:
    solution = assignment(LOGISTIC).directory / "examples" / "solution.ipynb"
    grade_path(solution, assignment(LOGISTIC))
    batched_trips, batched_calls = traffic.round_trips, traffic.calls
    traffic.reset()
    one_at_a_time(monkeypatch)
    grade_path(solution, assignment(LOGISTIC))
    # The same calls, a repeated one made once per search (a search may draw an input twice),
    # in an eighth of the round trips or fewer.
    assert set(batched_calls) == set(traffic.calls)
    assert len(batched_calls) <= len(traffic.calls)
    assert traffic.round_trips > 300
    assert batched_trips * 8 <= traffic.round_trips, (batched_trips, traffic.round_trips)


SLOW_AND_WRONG = """
import time
import numpy as np

def sigmoid(x):
    time.sleep(0.05)  # slow, and wrong everywhere: the first input already fails
    return np.zeros_like(np.asarray(x, dtype=float)) + 0.25
"""


def test_a_failing_input_costs_no_extra_calls(
    tmp_path: Path, traffic: Traffic, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = assignment(LOGISTIC)
    path = write_source(tmp_path, "slow.py", SLOW_AND_WRONG)
    batched = without_timings(grade_path(path, spec))
    batched_calls = traffic.calls
    traffic.reset()
    one_at_a_time(monkeypatch)
    assert without_timings(grade_path(path, spec)) == batched
    assert batched_calls == traffic.calls


class _Spec:
    id = "dry_run_probe"
    max_examples = 40


class _Limits:
    call_timeout = 1.0


class _Assignment:
    limits = _Limits()


class _Question:
    name = "f"


def _context() -> CheckContext:
    """A context with no worker: for properties that never reach the student."""
    return CheckContext(
        session=None,  # type: ignore[arg-type]
        assignment=_Assignment(),  # type: ignore[arg-type]
        question=_Question(),  # type: ignore[arg-type]
        spec=_Spec(),  # type: ignore[arg-type]
    )


def _discovering() -> bool:
    batch = batching._PREFETCHED.get()
    return batch is not None and batch.discovering


def test_a_failure_on_a_replayed_input_is_found_again_by_the_real_search() -> None:
    """The replayed inputs come from a dry run of the search; if that dry run drew other inputs
    than the real search, a failure met on replay would not be met again and the check would
    pass. Here exactly one drawn input fails, so only the same draws can find it."""
    ctx = _context()
    strategy = st.tuples(st.floats(-1e3, 1e3, allow_nan=False))
    replay._PASSING_INPUTS.pop((_Spec.id, _Spec.max_examples), None)
    drawn = replay._generated_inputs(ctx, strategy)
    assert len(drawn) > 10
    target = drawn[len(drawn) // 2][0]
    tried: list[float] = []

    def prop(args: tuple[Any, ...]) -> None:
        if not _discovering():
            tried.append(args[0])
        if args[0] == target and target != 0.0:
            raise CheckFailed(f"fails on {args[0]!r}")

    if target == 0.0:
        pytest.skip("the middle draw is 0.0, which shrinking reaches anyway")
    with pytest.raises(CheckFailed, match="fails on"):
        search(ctx, prop, strategy=strategy)
    # Met on replay, then the real search draws the same inputs in the same order up to it.
    where = [a[0] for a in drawn].index(target)
    real = tried[tried.index(target) + 1 :]
    assert real[: where + 1] == [a[0] for a in drawn[: where + 1]]
    replay._PASSING_INPUTS.pop((_Spec.id, _Spec.max_examples), None)


def test_outcomes_handed_to_a_property_are_its_own_copies() -> None:
    """A property that modifies a value it got cannot change what the next one gets."""
    outcome = CallOutcome("ok", np.ones(3), "", None, 0.0)
    batch = batching._Prefetched(session=None)  # type: ignore[arg-type]
    ctx = _context()
    key = batching._call_key(PlannedCall("f", (1.0,), {}, True, 1.0))
    batch.outcomes[key] = outcome
    token = batching._PREFETCHED.set(batch)
    try:
        first = base._outcome_of(ctx, (1.0,), {})
        first.value[:] = 0  # type: ignore[index]
        second = base._outcome_of(ctx, (1.0,), {})
    finally:
        batching._PREFETCHED.reset(token)
    assert np.array_equal(second.value, np.ones(3))  # type: ignore[arg-type]
