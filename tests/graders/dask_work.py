"""Module-level task functions for the Dask executor's tests (workers import them by name)."""

from __future__ import annotations

import os

from graders.executors import TaskOutcome


def square(task: int) -> TaskOutcome[int, int]:
    """A task whose work is to square; -1 raises, -2 kills the worker process running it."""
    if task == -1:
        raise ValueError("the grader failed on this task")
    if task == -2:
        os._exit(13)  # a worker dying mid-task, as a segfault in a grader process would
    return TaskOutcome(task, result=task * task)
