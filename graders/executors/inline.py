"""``InlineExecutor``: run tasks one after another in the calling thread.

One reason to change: how tasks run without any other process (``--jobs 1``, tests, one
submission), e.g. because sessions must be created and closed in the caller's thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

from graders.executors.base import TaskOutcome, Work, run_safely

__all__ = ["InlineExecutor"]

T = TypeVar("T")
R = TypeVar("R")


class InlineExecutor(Generic[T, R]):
    """Runs each task in the calling thread, one after another (``--jobs 1``).

    Parameters
    ----------
    work
        What a task is run with (e.g. :func:`graders.batch.grade_task`).
    """

    jobs = 1

    def __init__(self, work: Work[T, R]) -> None:
        self._work = work

    def run(self, tasks: Iterable[T]) -> Iterator[TaskOutcome[T, R]]:
        for task in tasks:
            yield run_safely(self._work, task)

    def close(self) -> None:
        pass

    def __enter__(self) -> InlineExecutor[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
