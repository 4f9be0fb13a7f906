"""The grading queue: worker threads that take queued attempts, grade them, and keep the gradebook.

One reason to change: how queued attempts become grades. Each worker thread owns one executor
(by default a :class:`~graders.executors.LocalPool` of one grader process, so the checks and
Hypothesis never run in the server's process and each worker's zygote stays warm) and loops:
claim the oldest queued attempt, grade it with :func:`~graders.batch.grade_task` and the course
secret, store the result on the attempt, then bring the student's gradebook row up to date.

The attempt is the record of truth and the gradebook row is derived from it: after each grading
(and at start-up, for every student) :func:`sync_gradebook` writes the gradebook row only if it
does not already hold the counting attempt (same upload, same grading key). So a server killed
between the two writes repairs the gradebook when it starts, and no attempt is ever recorded
twice; a server killed while grading leaves the attempt ``grading``, put back in the queue by
:meth:`~graders.service.store.Store.recover` at the next start.
"""

from __future__ import annotations

import hashlib
import threading
import traceback
from collections.abc import Callable

from graders.batch import GradeTask, grade_task, grading_key
from graders.executors import Executor, LocalPool
from graders.gradebook import Gradebook
from graders.results import SubmissionResult
from graders.service.course import Course
from graders.service.late import with_late_penalty
from graders.service.store import Claim
from graders.spec import load_assignment

__all__ = ["ExecutorFactory", "Workers", "grade_next", "regrade_all", "sync_gradebook"]

ExecutorFactory = Callable[[], Executor[GradeTask, SubmissionResult]]
"""Makes one worker's executor (called in the worker's own thread)."""

_IDLE_POLL_SECONDS = 2.0  # a worker also looks at the queue this often without being woken


def one_process() -> Executor[GradeTask, SubmissionResult]:
    """The default executor of a worker: one long-lived grader process."""
    return LocalPool(1, work=grade_task)


def _task(course: Course, claim: Claim) -> GradeTask:
    assignment = load_assignment(claim.assignment)
    return GradeTask(
        student=claim.student,
        path=str((course.root / claim.upload).resolve()),
        relative=claim.upload,
        assignment=str(assignment.directory),
        secret=course.secret,
        run_all_cells=assignment.run_all_cells,
        # The student's code must never see the course folder (other uploads, the database).
        hidden=(str(course.root.resolve()),),
    )


def _key(course: Course, slug: str) -> str:
    """What a grade depends on (as ``grader grade`` computes it, with the secret's fingerprint)."""
    key = grading_key(load_assignment(slug))
    return hashlib.sha256(f"{key}:{course.secret.fingerprint}".encode()).hexdigest()[:16]


def sync_gradebook(course: Course, book: Gradebook, assignment: str, student: str) -> bool:
    """Make the gradebook row of ``student`` hold their counting attempt; True if it wrote.

    The counting attempt is the last graded one, or the best (``policy`` in ``course.toml``).
    Nothing is written when the row already holds it, so calling this again is harmless.
    """
    settings = course.settings.assignments.get(assignment)
    policy = settings.policy if settings is not None else "last"
    counting = course.store.counting(assignment, student, policy)
    if counting is None or counting.grading_key is None:
        return False
    held = book.rows(
        "SELECT path, grading_key FROM submissions WHERE assignment = ? AND student = ?",
        (assignment, student),
    )
    if held and tuple(held[0]) == (counting.upload, counting.grading_key):
        return False
    result = counting.result()
    assert result is not None
    book.record(result, path=counting.upload, grading_key=counting.grading_key)
    return True


def grade_next(
    course: Course,
    executor: Executor[GradeTask, SubmissionResult],
    book: Gradebook,
    lock: threading.Lock | None = None,
) -> bool:
    """Grade the oldest queued attempt (or pending regrade); False when there was none.

    ``lock`` serialises the gradebook updates of several workers of one process.
    """
    claim = course.store.claim()
    if claim is None:
        return False
    try:
        key = _key(course, claim.assignment)
        outcome = next(iter(executor.run([_task(course, claim)])))
    except Exception:  # the grader's own failure, on this attempt only
        course.store.fail(claim.id, traceback.format_exc())
        return True
    if outcome.result is None:
        course.store.fail(claim.id, outcome.error or "unknown error")
        return True
    result = outcome.result
    settings = course.settings.assignments.get(claim.assignment)
    if settings is not None:
        result = with_late_penalty(result, claim.submitted, settings)
    if course.store.finish(claim.id, result, key):
        with lock or threading.Lock():
            sync_gradebook(course, book, claim.assignment, claim.student)
    return True


def grade_pending(course: Course, executor: Executor[GradeTask, SubmissionResult]) -> int:
    """Grade everything queued, in this thread (tests, one-off runs); how many attempts."""
    count = 0
    with Gradebook(course.database) as book:
        while grade_next(course, executor, book):
            count += 1
    return count


class Workers:
    """``jobs`` grading threads of a serving course.

    Parameters
    ----------
    course
        The course being served.
    jobs
        Worker threads, each with its own executor.
    executor
        Makes one worker's executor (default: one grader process each).
    """

    def __init__(self, course: Course, jobs: int = 1, executor: ExecutorFactory = one_process):
        if jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {jobs!r}")
        self.course = course
        self.jobs = jobs
        self._factory = executor
        self._wake = threading.Condition()
        self._stopping = False
        self._generation = 0  # bumped by renew()
        self._pending = False  # set by wake(): a worker about to wait looks at the queue again
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> int:
        """Requeue what a stopped server left, repair the gradebook, start the threads.

        Returns
        -------
        int
            How many attempts were put back in the queue.
        """
        requeued = self.course.store.recover()
        with Gradebook(self.course.database) as book:
            for assignment, student in self.course.store.graded_pairs():
                sync_gradebook(self.course, book, assignment, student)
        for i in range(self.jobs):
            thread = threading.Thread(target=self._loop, name=f"grading-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return requeued

    def renew(self) -> None:
        """Replace every worker's executor before its next attempt (the spec may have changed:
        a grader process keeps the assignment it loaded)."""
        self._generation += 1

    def wake(self) -> None:
        """Tell the workers there is something new in the queue."""
        with self._wake:
            self._pending = True
            self._wake.notify_all()

    def stop(self) -> None:
        """Stop the threads (an attempt being graded stays ``grading``: requeued next start)."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=15)
        self._threads.clear()

    def _loop(self) -> None:
        executor = self._factory()
        generation = self._generation
        try:
            with Gradebook(self.course.database) as book:
                while not self._stopping:
                    if generation != self._generation:
                        executor.close()
                        executor, generation = self._factory(), self._generation
                    try:
                        if grade_next(self.course, executor, book, self._lock):
                            continue
                    except Exception:  # the database, say: said, and tried again shortly
                        traceback.print_exc()
                    with self._wake:
                        if not self._stopping and not self._pending:
                            self._wake.wait(_IDLE_POLL_SECONDS)
                        self._pending = False
        finally:
            executor.close()


def regrade_all(course: Course, workers: Workers | None, slug: str) -> int:
    """Queue every attempt of ``slug`` for grading again (the old results stay until the new
    ones land); how many. The grader processes are renewed first: they keep the spec they
    loaded."""
    if workers is not None:
        workers.renew()
    count = course.store.mark_regrade(slug)
    if workers is not None:
        workers.wake()
    return count
