"""``LocalPool``: long-lived grader processes on this machine, one task each at a time.

One reason to change: how tasks run in parallel on this machine (process start, the pipe to each
process, replacing a process that dies, shutting all of them down); plus :func:`make_executor`,
which picks this pool or the inline executor for a number of jobs.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

from graders.executors.base import TaskOutcome, Work, run_safely
from graders.executors.inline import InlineExecutor
from graders.sandbox import spares

__all__ = ["LocalPool", "default_jobs", "make_executor"]

T = TypeVar("T")
R = TypeVar("R")

# A grader process that keeps dying on one task is not given it a third time.
_ATTEMPTS = 2


def _die_with_parent() -> None:
    """Linux: get SIGTERM when the parent dies, so a killed batch leaves no grader behind."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def _serve(conn: multiprocessing.connection.Connection, work: Work[Any, Any]) -> None:
    """Main loop of a pool process: receive a task, run it, send the outcome back.

    Tasks and outcomes cross between grader processes only (pickled by multiprocessing); the
    student's code never runs here, only in the sandbox each task starts.
    """
    _die_with_parent()
    # Ctrl-C goes to the whole terminal group: the main process decides, the pool obeys it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM (from the pool or the parent's death) unwinds, so open sandboxes are closed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if os.getppid() == 1:  # the parent died before prctl took effect
        return
    # One task after another: each task's sandbox worker is forked while the previous task is
    # graded (a spare, graders.sandbox.spares), and stopped when this process leaves.
    spares.keep_spares()
    try:
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                return
            if task is None:
                return
            outcome = run_safely(work, task)
            try:
                conn.send(outcome)
            except OSError:
                return
    finally:
        spares.discard_spares()


@dataclass
class _Slot(Generic[T]):
    process: Any
    conn: multiprocessing.connection.Connection
    task: T | None = None


class LocalPool(Generic[T, R]):
    """``jobs`` long-lived grader processes on this machine, one task each at a time.

    Processes are forked from a fresh forkserver that has already imported the module of
    ``work`` (for grading: numpy, Hypothesis, the checks), so starting one costs milliseconds
    and the imports are paid once; each keeps its per-process caches (remembered passing
    inputs) warm across tasks. Only ``jobs`` tasks are in flight, so memory does not grow with
    the cohort.

    A process that dies while running a task (killed by the OOM killer, say) is replaced and
    its task retried once; the second time the task comes back as an error outcome.

    Parameters
    ----------
    jobs
        Number of grader processes (>= 1).
    work
        What a process does with a task, e.g. :func:`graders.batch.grade_task` (tests pass
        stand-ins; it must be importable by name, as it is sent to the processes by reference).
    """

    def __init__(self, jobs: int, *, work: Work[T, R]) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {jobs!r}")
        self.jobs = jobs
        self._work = work
        # The grader's own numerical work is small: one BLAS thread per process, no
        # oversubscription of the cores the sandboxes need.
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        methods = multiprocessing.get_all_start_methods()
        if "forkserver" in methods:
            self._ctx: Any = multiprocessing.get_context("forkserver")
            self._ctx.set_forkserver_preload([work.__module__])
        else:  # macOS / Windows without forkserver
            self._ctx = multiprocessing.get_context("spawn")
        self._slots: list[_Slot[T]] = []
        self._closed = False

    def _start(self) -> _Slot[T]:
        parent_end, child_end = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=_serve, args=(child_end, self._work), name="grader", daemon=True
        )
        process.start()
        child_end.close()
        slot: _Slot[T] = _Slot(process, parent_end)
        self._slots.append(slot)
        return slot

    def _retire(self, slot: _Slot[T]) -> str:
        """Forget a dead process; return how it ended, for the error message."""
        self._slots.remove(slot)
        with contextlib.suppress(OSError):
            slot.conn.close()
        slot.process.join(timeout=5)
        code = slot.process.exitcode
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"

    def run(self, tasks: Iterable[T]) -> Iterator[TaskOutcome[T, R]]:
        if self._closed:
            raise RuntimeError("this LocalPool is closed")
        queue = iter(tasks)
        retry: list[T] = []
        # Keyed by the task object, which stays referenced (in a slot or in retry) meanwhile.
        attempts: dict[int, int] = {}
        while True:
            self._dispatch(queue, retry, attempts)
            busy = [s for s in self._slots if s.task is not None]
            if not busy:
                return
            ready = multiprocessing.connection.wait([s.conn for s in busy])
            for slot in busy:
                if slot.conn in ready:
                    outcome = self._collect(slot, retry, attempts)
                    if outcome is not None:
                        yield outcome

    def _dispatch(self, queue: Iterator[T], retry: list[T], attempts: dict[int, int]) -> None:
        """Give a task to every idle process (starting processes up to ``jobs``)."""
        while True:
            idle = next((s for s in self._slots if s.task is None), None)
            if idle is None and len(self._slots) < self.jobs:
                idle = self._start()
            if idle is None:
                return
            task = retry.pop() if retry else next(queue, None)
            if task is None:
                return
            try:
                idle.conn.send(task)
            except OSError:  # died while idle: replace it, the task was not started
                self._retire(idle)
                retry.append(task)
                continue
            attempts[id(task)] = attempts.get(id(task), 0) + 1
            idle.task = task

    def _collect(
        self, slot: _Slot[T], retry: list[T], attempts: dict[int, int]
    ) -> TaskOutcome[T, R] | None:
        """The outcome a process sent, or ``None`` when it died and its task will be retried."""
        task = slot.task
        assert task is not None
        try:
            outcome: TaskOutcome[T, R] = slot.conn.recv()
        except (EOFError, OSError):
            how = self._retire(slot)
            if attempts[id(task)] < _ATTEMPTS:
                retry.append(task)
                return None
            outcome = TaskOutcome(
                task,
                error=f"the grader process grading this submission died ({how}), {_ATTEMPTS} times",
            )
        slot.task = None
        attempts.pop(id(task), None)
        return outcome

    def close(self) -> None:
        """Ask idle processes to stop, terminate busy ones (their sandboxes close), reap all."""
        self._closed = True
        for slot in self._slots:
            with contextlib.suppress(OSError):
                if slot.task is None:
                    slot.conn.send(None)
                else:
                    slot.process.terminate()
        deadline = time.monotonic() + 10
        for slot in self._slots:
            slot.process.join(timeout=max(deadline - time.monotonic(), 0.1))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(timeout=5)
            with contextlib.suppress(OSError):
                slot.conn.close()
        self._slots.clear()

    def __enter__(self) -> LocalPool[T, R]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # macOS
        return max(os.cpu_count() or 1, 1)


def make_executor(jobs: int, work: Work[T, R]) -> InlineExecutor[T, R] | LocalPool[T, R]:
    """Inline for one job (sessions created and closed in this thread), else a local pool."""
    return InlineExecutor(work) if jobs <= 1 else LocalPool(jobs, work=work)
