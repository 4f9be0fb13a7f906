"""Tasks on a Dask distributed cluster: the executor interface past one machine.

One reason to change: how tasks reach Dask and come back. Each task is submitted as
``run_safely(work, task)``; a Dask worker process runs it like a grader process of
:class:`~graders.executors.LocalPool` (it keeps the grader's per-process set-up and warm zygote
between tasks, since ``work`` caches them per process). Outcomes stream back to this process in
completion order, so the gradebook keeps one writer. A worker that dies mid-task has its tasks
rescheduled by Dask on the others; a task that kills workers again and again (Dask's
``allowed-failures``) comes back as that task's error outcome, never as a hung or ended run.

Tasks and outcomes cross as the plain records they are (frozen dataclasses of strings, numbers,
bytes and the grader's own result documents); no object of a student's ever does. Two hooks keep
the cluster free of a shared filesystem: ``prepare`` turns a task into what is shipped (its
files' bytes instead of their paths), and ``setup`` is a payload installed once on every worker,
the ones that join later included (a Dask worker plugin). The outcome handed back always carries
the task as it was given, not the shipped form.

``dask[distributed]`` is an optional dependency (``pip install -e '.[dask]'``): this module is
imported only when a Dask executor is asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from graders.executors.base import TaskOutcome, Work, run_safely

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # the optional extra is missing: DaskExecutor() says so
    WorkerPlugin = object  # type: ignore[misc,assignment]

__all__ = ["DaskExecutor"]

T = TypeVar("T")
R = TypeVar("R")

# Tasks in flight per worker thread: enough to keep every worker busy while results stream back,
# few enough that a cohort of 100,000 submissions is not all held by the scheduler at once.
_IN_FLIGHT_PER_SLOT = 4


class DaskExecutor(Generic[T, R]):
    """Run tasks on a Dask cluster: the one at ``scheduler``, or a local one started here.

    Parameters
    ----------
    work
        The module-level function each task is run with (sent by reference).
    scheduler
        Address of a running scheduler (``tcp://host:8786``). None starts a ``LocalCluster``
        of ``workers`` single-threaded worker processes on this machine, closed by
        :meth:`close`.
    workers
        Worker processes of the local cluster.
    prepare
        What each task becomes before it is shipped (default: the task itself); ``work`` is
        called with that.
    setup
        ``(function, payload)``: ``function(payload)`` runs once in every worker process before
        its first task (both sent by reference and value; ``function`` is module-level).
    """

    def __init__(
        self,
        work: Work[Any, R],
        *,
        scheduler: str | None = None,
        workers: int = 2,
        prepare: Callable[[T], Any] | None = None,
        setup: tuple[Callable[[Any], object], Any] | None = None,
    ):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # the optional extra is not installed
            raise RuntimeError(
                "the Dask executor needs dask[distributed]: pip install -e '.[dask]'"
            ) from exc
        self._work = work
        self._cluster: Any = None
        if scheduler is None:
            self._cluster = LocalCluster(
                n_workers=max(workers, 1),
                threads_per_worker=1,  # one grader per process, as LocalPool runs them
                processes=True,
                dashboard_address=":0",  # its HTTP endpoints on a free port, never a clash
            )
            self._client: Any = Client(self._cluster)
        else:
            self._client = Client(scheduler)
        self._closed = False
        self._prepare = prepare
        if setup is not None:
            self._client.register_plugin(_Setup(*setup), name="mle-grader-setup")
        self.jobs = max(sum(self._client.nthreads().values()), 1)

    def run(self, tasks: Iterable[T]) -> Iterator[TaskOutcome[T, R]]:
        """Outcomes of ``tasks`` in completion order; tasks are submitted as slots free up."""
        from distributed import as_completed

        pending = iter(tasks)
        of: dict[str, T] = {}
        done = as_completed()
        limit = self.jobs * _IN_FLIGHT_PER_SLOT

        def submit_next() -> bool:
            task = next(pending, None)
            if task is None:
                return False
            # pure=False: two equal tasks (a regrade) are two runs, never one cached result.
            shipped = task if self._prepare is None else self._prepare(task)
            future = self._client.submit(run_safely, self._work, shipped, pure=False)
            of[future.key] = task
            done.add(future)
            return True

        while len(of) < limit and submit_next():
            pass
        for future in done:
            task = of.pop(future.key)
            yield self._outcome(future, task)
            future.release()
            submit_next()

    @staticmethod
    def _outcome(future: Any, task: T) -> TaskOutcome[T, R]:
        try:
            outcome = future.result()
        except Exception as exc:  # noqa: BLE001 -- KilledWorker and the like: this task only
            return TaskOutcome(task, error=f"the Dask task failed: {type(exc).__name__}: {exc}")
        if not isinstance(outcome, TaskOutcome):
            return TaskOutcome(task, error=f"the Dask task returned {type(outcome).__name__}")
        return dataclasses.replace(outcome, task=task)  # the task as given, not as shipped

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started one; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


class _Setup(WorkerPlugin):
    """A worker plugin running ``function(payload)`` once per worker process (Dask calls
    ``setup`` on the workers there are and on every one that joins)."""

    def __init__(self, function: Callable[[Any], object], payload: Any) -> None:
        self.function = function
        self.payload = payload

    def setup(self, worker: Any) -> None:
        self.function(self.payload)
