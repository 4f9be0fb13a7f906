"""``WorkerSession.call_many``: a batch gives, call for call, what ``call`` gives one at a time,
and ends where a call times out or brings the worker down."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from graders.load import Cell, Submission
from graders.sandbox import CallOutcome, PlannedCall, SandboxConfig, Unsupported, WorkerSession

SOURCE = """
import os
import numpy as np

calls = []

def double(x):
    calls.append("double")
    return 2 * x

def scale_in_place(x):
    x *= 3
    return x.sum()

def fails(x):
    raise ValueError(f"no good: {x}")

def spin(x):
    while True:
        pass

def leave(x):
    os._exit(3)

def big(n):
    return np.zeros(int(n))

def history():
    return list(calls)

not_a_function = 7
"""

CONFIG = SandboxConfig(call_timeout=1.0, cell_timeout=5.0, max_restarts=5)


def submission() -> Submission:
    return Submission(
        path=Path("batch.py"), kind="py", sha256="0" * 64, cells=(Cell(1, textwrap.dedent(SOURCE)),)
    )


@pytest.fixture
def session() -> Iterator[WorkerSession]:
    with WorkerSession(submission(), CONFIG) as session:
        assert [r.status for r in session.cell_reports] == ["ok"], session.cell_reports
        yield session


def comparable(outcome: CallOutcome) -> tuple[object, ...]:
    """An outcome without its timing, arrays made comparable."""

    def plain(value: object) -> object:
        if isinstance(value, np.ndarray):
            return ("array", value.dtype.str, value.shape, value.tobytes())
        if isinstance(value, (tuple, list)):
            return tuple(plain(v) for v in value)
        return value

    return (outcome.status, plain(outcome.value), outcome.message, plain(outcome.args_after))


MIXED = [
    PlannedCall("double", (np.arange(3.0),), return_args=False),
    PlannedCall("scale_in_place", (np.ones(4),)),
    PlannedCall("fails", (5,)),
    PlannedCall("nowhere", (1,)),
    PlannedCall("not_a_function", ()),
    PlannedCall("double", (), {"x": 21}),
]


def test_a_batch_gives_what_the_calls_give_one_at_a_time() -> None:
    with WorkerSession(submission(), CONFIG) as one_by_one:
        expected = [
            one_by_one.call(c.name, *c.args, return_args=c.return_args, **c.kwargs) for c in MIXED
        ]
    with WorkerSession(submission(), CONFIG) as batched:
        actual = batched.call_many(MIXED)
    assert [comparable(o) for o in actual] == [comparable(o) for o in expected]
    assert [o.status for o in actual] == ["ok", "ok", "error", "missing", "missing", "ok"]
    assert "ValueError: no good: 5" in actual[2].message
    assert actual[1].args_after is not None  # the in-place update is visible, as with call
    assert np.array_equal(np.asarray(actual[1].args_after[0]), np.full(4, 3.0))


def test_calls_run_in_order_in_the_same_worker(session: WorkerSession) -> None:
    session.call_many([PlannedCall("double", (i,)) for i in range(5)])
    assert session.call("history").value == ["double"] * 5
    assert session.restarts == 0


def test_a_timeout_ends_the_batch_and_the_worker_recovers(session: WorkerSession) -> None:
    batch = [PlannedCall("double", (1,)), PlannedCall("spin", (0,)), PlannedCall("double", (2,))]
    outcomes = session.call_many(batch)
    assert [o.status for o in outcomes] == ["ok", "timeout"]
    assert "took longer than 1 s" in outcomes[1].message
    assert session.call("double", 4).value == 8


def test_a_crash_ends_the_batch_with_the_crash_and_the_next_call_restarts(
    session: WorkerSession,
) -> None:
    batch = [PlannedCall("double", (1,)), PlannedCall("leave", (0,)), PlannedCall("double", (2,))]
    outcomes = session.call_many(batch)
    assert [o.status for o in outcomes] == ["ok", "crashed"]
    assert "calling `leave` stopped the Python process" in outcomes[1].message
    assert "exit status 3" in outcomes[1].message
    assert session.call("double", 5).value == 10
    assert session.restarts == 1


def test_each_call_of_a_batch_may_send_only_its_share_of_the_cap() -> None:
    config = dataclasses.replace(CONFIG, max_message_bytes=1 << 20)
    with WorkerSession(submission(), config) as session:
        alone = session.call("big", 40_000)  # 320 kB: under half the cap
        assert isinstance(alone.value, np.ndarray)
        outcomes = session.call_many([PlannedCall("big", (40_000,)) for _ in range(4)])
        assert len(outcomes) == 4
        for outcome in outcomes:  # each share is 256 kB: too large, said so, not truncated
            assert isinstance(outcome.value, Unsupported)
            assert "too large" in outcome.value.summary


def test_an_empty_batch_costs_nothing(session: WorkerSession) -> None:
    assert session.call_many([]) == []


def test_gave_up_sessions_return_no_outcomes() -> None:
    config = dataclasses.replace(CONFIG, max_restarts=0)
    with WorkerSession(submission(), config) as session:
        first = session.call_many([PlannedCall("leave", (0,))])
        assert [o.status for o in first] == ["crashed"]
        assert session.call_many([PlannedCall("double", (1,))]) == []
        assert "was not attempted" in session.call("double", 1).message
