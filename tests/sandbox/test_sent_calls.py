"""``sent_calls``: a remembered call list is, byte for byte, what encoding it afresh gives.

The memo is keyed by the wire's snapshot of each call; values equal in Python but different on
the wire (``0.0`` and ``-0.0``, ``1``, ``1.0`` and ``True``, one array in two dtypes) must never
share bytes, or the worker would be called with the wrong arguments.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graders.sandbox import FunctionSpec, SandboxConfig, WorkerSession, protocol
from graders.sandbox.sent_calls import SentCalls, call_key, sent_calls
from tests.sandbox.test_call_many import MIXED, comparable, submission

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, 1.0, 1, True]),
        hnp.arrays(
            st.sampled_from([np.float64, np.float32, np.int64, np.bool_]),
            hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
        ),
    ),
    lambda children: st.one_of(st.lists(children, max_size=3), st.tuples(children, children)),
    max_leaves=6,
)


def a_call(args: tuple[Any, ...], timeout: float = 1.0, name: str = "f") -> dict[str, Any]:
    """A call request as ``WorkerSession`` builds it."""
    return {
        "op": "call",
        "name": name,
        "args": args,
        "kwargs": {},
        "timeout": timeout,
        "return_args": True,
    }


calls = st.lists(
    st.builds(
        a_call,
        st.lists(values, max_size=3).map(tuple),
        st.sampled_from([1.0, 0.5, -0.0, 0.0]),
        st.sampled_from(["f", "g"]),
    ),
    min_size=1,
    max_size=4,
)


@SETTINGS
@given(st.lists(calls, min_size=1, max_size=6))
def test_remembered_bytes_are_the_fresh_encoding(batches: list[list[dict[str, Any]]]) -> None:
    memo = SentCalls()
    for batch in batches + batches:  # the second pass is answered from the memo
        assert memo.encoded(batch, protocol.encode) == protocol.encode(batch)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((0.0,), (-0.0,)),
        ((1,), (1.0,)),
        ((1,), (True,)),
        ((np.arange(3.0),), (np.arange(3.0).astype(np.float32),)),
        ((np.zeros((2, 3)),), (np.zeros((3, 2)),)),
        (([1.0, 2.0],), ((1.0, 2.0),)),
    ],
    ids=["signed zero", "int and float", "int and bool", "dtype", "shape", "list and tuple"],
)
def test_equal_in_python_but_not_on_the_wire_are_kept_apart(
    first: tuple[Any, ...], second: tuple[Any, ...]
) -> None:
    memo = SentCalls()
    kept = memo.encoded([a_call(first)], protocol.encode)
    again = memo.encoded([a_call(second)], protocol.encode)
    assert again == protocol.encode([a_call(second)])
    assert again != kept
    assert memo.hits == 0


def test_a_timeout_is_keyed_by_its_bits() -> None:
    assert call_key(a_call((1.0,), timeout=0.0)) != call_key(a_call((1.0,), timeout=-0.0))


def test_a_call_with_a_field_the_key_does_not_know_has_no_key() -> None:
    call = a_call((1.0,))
    assert call_key(call) is not None
    assert call_key({**call, "retries": 2}) is None
    assert call_key({**call, "return_args": 1}) is None  # an int for a bool: not the same bytes
    assert call_key({**call, "timeout": 1}) is None


def test_the_same_calls_again_are_answered_from_the_memo() -> None:
    memo = SentCalls()
    first = memo.encoded([a_call((np.arange(4.0), 2))], protocol.encode)
    encodings: list[object] = []

    def counting(value: Any) -> bytes:
        encodings.append(value)
        return protocol.encode(value)

    second = memo.encoded([a_call((np.arange(4.0), 2))], counting)  # equal, not the same objects
    assert second == first
    assert encodings == []
    assert memo.hits == 1


@pytest.mark.parametrize(
    "argument",
    [pd.Series([1.0, 2.0]), FunctionSpec("sigmoid")],
    ids=["pandas", "FunctionSpec"],
)
def test_arguments_without_a_snapshot_are_encoded_afresh_and_not_kept(argument: object) -> None:
    memo = SentCalls()
    batch = [a_call((argument,))]
    assert call_key(batch[0]) is None
    assert memo.encoded(batch, protocol.encode) == protocol.encode(batch)
    assert memo.encoded(batch, protocol.encode) == protocol.encode(batch)
    assert (memo.hits, memo.size) == (0, 0)


def test_least_recently_used_lists_leave_first_within_the_budget() -> None:
    one, two, three = ([a_call((float(i),) * 50)] for i in range(3))
    size = len(protocol.encode(one))
    memo = SentCalls(max_bytes=2 * size)
    memo.encoded(one, protocol.encode)
    memo.encoded(two, protocol.encode)
    memo.encoded(one, protocol.encode)  # one is now the most recently used
    memo.encoded(three, protocol.encode)  # over budget: two leaves
    assert memo.size <= memo.max_bytes
    hits = memo.hits
    memo.encoded(one, protocol.encode)
    assert memo.hits == hits + 1
    memo.encoded(two, protocol.encode)
    assert memo.hits == hits + 1  # encoded again


def test_a_list_larger_than_the_budget_is_never_kept() -> None:
    memo = SentCalls(max_bytes=64)
    batch = [a_call((np.zeros(100),))]
    assert memo.encoded(batch, protocol.encode) == protocol.encode(batch)
    assert memo.size == 0


def test_each_message_cap_has_its_own_memo() -> None:
    assert sent_calls(1 << 20) is sent_calls(1 << 20)
    assert sent_calls(1 << 20) is not sent_calls(2 << 20)


def test_a_second_session_sends_the_remembered_calls_and_gets_the_same_outcomes() -> None:
    # A cap of its own: this test's memo starts empty whatever ran before it in the process.
    config = SandboxConfig(
        call_timeout=1.0, cell_timeout=5.0, max_restarts=5, max_message_bytes=7_777_777
    )
    memo = sent_calls(config.max_message_bytes)
    outcomes = []
    for _ in range(2):
        with WorkerSession(submission(), config) as session:
            outcomes.append([comparable(o) for o in session.call_many(MIXED)])
    assert memo.hits >= 1
    assert outcomes[0] == outcomes[1]
    assert [status for status, *_ in outcomes[0]] == [
        "ok",
        "ok",
        "error",
        "missing",
        "missing",
        "ok",
    ]
