"""A grader process freezes its heap once, after its first grading (``grade_task``)."""

from __future__ import annotations

import gc
import os

from graders.batch import GradeTask, grade_task
from graders.executors import LocalPool, TaskOutcome
from graders.spec import load_assignment


def grade_and_count(task: GradeTask) -> TaskOutcome[GradeTask, tuple[int, int, float | None]]:
    """A stand-in task function: grade, then report this process and its frozen objects."""
    outcome = grade_task(task)
    score = None if outcome.result is None else outcome.result.score
    return TaskOutcome(task, result=(os.getpid(), gc.get_freeze_count(), score))


def test_a_grader_process_freezes_its_heap_after_its_first_grading_only() -> None:
    mle = load_assignment("mle")
    solution = mle.directory / "examples" / "solution.py"
    tasks = [
        GradeTask(f"s{i}", str(solution), "solution.py", str(mle.directory), plots=False)
        for i in range(3)
    ]
    with LocalPool(1, work=grade_and_count) as pool:
        results = [o.result for o in sorted(pool.run(tasks), key=lambda o: o.task.student)]
    assert all(r is not None for r in results), results
    pids = {r[0] for r in results if r is not None}
    frozen = [r[1] for r in results if r is not None]
    scores = {r[2] for r in results if r is not None}
    assert len(pids) == 1  # one process graded all three
    assert frozen[0] > 0  # frozen after the first grading
    assert frozen[1] <= frozen[0] and frozen[2] <= frozen[1]  # and never again
    assert len(scores) == 1 and None not in scores  # grades unchanged by it
