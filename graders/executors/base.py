"""The executor interface: what every place that runs tasks promises the code that makes them.

One reason to change: the contract between task makers (the batch, ``grader validate``, later a
service queue) and task runners (this thread, processes on this machine, later a Dask cluster).

A task is plain data (a frozen dataclass of strings, numbers and paths) and the function that
runs it is importable by name, so a task can be shipped to another process or machine. Each task
comes back as one :class:`TaskOutcome`, in completion order; a task that crashes (its function
raises, its process dies) comes back as that task's error outcome, never as an exception that
ends the run or a run that hangs.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

__all__ = ["Borrowed", "Executor", "TaskOutcome", "Work", "run_safely"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class TaskOutcome(Generic[T, R]):
    """The answer to a task: a result, or the grader's own failure.

    ``error`` (a traceback, or how the process running the task died) means the *grader*
    failed on this task, not the student: for a grading task, the submission is not recorded,
    so the next run retries it. ``files`` are ``(name, text)`` pairs the task made beside its
    result for the task's maker to write (rendered feedback: made where the task ran, written
    by the one writer).
    """

    task: T
    result: R | None = None
    error: str | None = None
    files: tuple[tuple[str, str], ...] = ()


Work = Callable[[T], TaskOutcome[T, R]]
"""What a task is run with: a module-level function (executors send it by reference)."""


def run_safely(work: Work[T, R], task: T) -> TaskOutcome[T, R]:
    """``work(task)``, with an exception it raises turned into the task's error outcome."""
    try:
        return work(task)
    except Exception:  # the grader's own failure, on this task only
        return TaskOutcome(task, error=traceback.format_exc())


class Executor(Protocol[T, R]):
    """Runs tasks somewhere and hands back their outcomes as they finish.

    Implementations: :class:`~graders.executors.InlineExecutor` (this thread) and
    :class:`~graders.executors.LocalPool` (grader processes on this machine). A cluster
    executor implements the same attribute and two methods.
    """

    jobs: int
    """How many tasks run at once (shown to the instructor)."""

    def run(self, tasks: Iterable[T]) -> Iterator[TaskOutcome[T, R]]:
        """Outcomes of ``tasks`` in completion order, one per task; tasks are pulled lazily."""
        ...

    def close(self) -> None:
        """Stop every process the executor started; idempotent."""
        ...


class Borrowed(Generic[T, R]):
    """An executor lent to one of several users (the threads of a service sharing one Dask
    cluster): its ``run`` is the owner's, and its ``close`` does nothing, since the owner
    closes the executor itself when every user is done."""

    def __init__(self, executor: Executor[T, R]) -> None:
        self._executor = executor
        self.jobs = executor.jobs

    def run(self, tasks: Iterable[T]) -> Iterator[TaskOutcome[T, R]]:
        """The owner's outcomes of ``tasks``."""
        return self._executor.run(tasks)

    def close(self) -> None:
        """Nothing: the owner closes the executor."""
