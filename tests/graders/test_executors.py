"""Tests for graders.executors: a task that crashes is that task's error outcome."""

from __future__ import annotations

import pytest

from graders.executors import InlineExecutor, LocalPool, TaskOutcome, make_executor


def square_unless_three(n: int) -> TaskOutcome[int, int]:
    """A stand-in task function (importable by name, as the pool needs): fails on 3."""
    if n == 3:
        raise RuntimeError("injected failure on 3")
    return TaskOutcome(n, result=n * n)


def _by_task(outcomes: list[TaskOutcome[int, int]]) -> dict[int, TaskOutcome[int, int]]:
    return {o.task: o for o in outcomes}


def test_inline_a_raising_task_is_its_error_outcome_and_the_others_run() -> None:
    with InlineExecutor(square_unless_three) as executor:
        outcomes = _by_task(list(executor.run(range(5))))
    assert {n: o.result for n, o in outcomes.items() if n != 3} == {0: 0, 1: 1, 2: 4, 4: 16}
    assert outcomes[3].result is None
    assert "RuntimeError: injected failure on 3" in (outcomes[3].error or "")


@pytest.mark.slow
def test_in_the_pool_a_raising_task_is_its_error_outcome_and_the_process_lives_on() -> None:
    with LocalPool(2, work=square_unless_three) as pool:
        outcomes = _by_task(list(pool.run(range(6))))
    assert sorted(outcomes) == list(range(6))
    assert {n: o.result for n, o in outcomes.items() if n != 3} == {
        0: 0,
        1: 1,
        2: 4,
        4: 16,
        5: 25,
    }
    error = outcomes[3].error or ""
    assert "RuntimeError: injected failure on 3" in error and "died" not in error


def test_make_executor_is_inline_for_one_job_and_a_pool_for_more() -> None:
    assert isinstance(make_executor(1, square_unless_three), InlineExecutor)
    pool = make_executor(2, square_unless_three)
    try:
        assert isinstance(pool, LocalPool) and pool.jobs == 2
    finally:
        pool.close()  # no process was started: nothing ran
