"""Grade a whole cohort: find the submissions, grade them in parallel, keep a gradebook.

``grade_cohort`` is what ``grader grade DIR --assignment SLUG --out OUT`` runs:

1. :func:`discover` lists every ``.py`` and ``.ipynb`` under ``DIR`` and gives each a student id
   (the file's stem, or the folder's name when each student has a folder), deterministically
   disambiguating ids that would collide.
2. Submissions whose content hash and grading key (grader version, spec, data files) equal those
   stored in ``OUT/gradebook.sqlite`` are skipped; the others become :class:`GradeTask` values.
3. An :class:`Executor` grades the tasks: inline (``--jobs 1``) or in a :class:`LocalPool` of
   long-lived grader processes, each grading one submission at a time in its own main thread
   (bubblewrap's ``--die-with-parent`` ties a sandbox to the thread that created it). Results go
   back to the main process, which alone writes: ``OUT/<student>/results.json`` and
   ``feedback.html``, then the gradebook row, in one transaction, as each submission finishes.
4. ``OUT/grades.csv``, ``OUT/summary.json`` and ``OUT/summary.html`` are written from the
   gradebook at the end.

A batch killed at any point (even by SIGKILL) and run again grades every submission exactly
once: committed rows survive and are skipped, the ones in flight are graded on the re-run.

The executor interface (``run(tasks) -> outcomes``) knows nothing about checks: a distributed
engine can replace the local pool by shipping :class:`GradeTask` values (plain data) to remote
grader processes that call :func:`grade_task`.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from graders import __version__
from graders.checks.plots import gather
from graders.checks.registry import validate_assignment
from graders.engine import grade_path, sandbox_config, supplied_lab_data
from graders.gradebook import Gradebook
from graders.hidden import CourseSecret
from graders.report import html
from graders.results import SubmissionResult
from graders.sandbox import SandboxConfig, pool
from graders.spec import Assignment, load_assignment
from graders.summary import CohortSummary, summarise, to_json

__all__ = [
    "BatchReport",
    "Executor",
    "GradeTask",
    "InlineExecutor",
    "LocalPool",
    "Reporter",
    "SubmissionFile",
    "TaskOutcome",
    "default_jobs",
    "discover",
    "file_digest",
    "grade_cohort",
    "grade_task",
    "grading_key",
    "make_executor",
]

SUBMISSION_SUFFIXES = (".py", ".ipynb")
#: Names the batch writes at the top of OUT; a student id never takes one of them.
RESERVED_NAMES = frozenset(
    {
        "gradebook.sqlite",
        "gradebook.sqlite-wal",
        "gradebook.sqlite-shm",
        "gradebook.sqlite-journal",
        "grades.csv",
        "grades.csv.partial",
        "summary.html",
        "summary.json",
    }
)
# Folders that never hold submissions: archive debris from macOS, caches.
_SKIPPED_FOLDERS = frozenset({"__MACOSX", "__pycache__"})
# A grader process that keeps dying on one submission is not given it a third time.
_ATTEMPTS = 2


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class SubmissionFile:
    """One submitted file and the student id it is graded under.

    Attributes
    ----------
    student
        Unique in the cohort; safe as a folder name under OUT.
    path
        The file.
    relative
        Its path relative to the submissions folder, with ``/`` separators.
    """

    student: str
    path: Path
    relative: str


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found.

    Attributes
    ----------
    files
        The submissions, sorted by student id.
    renamed
        ``(relative path, id)`` for each file whose natural id was shared and was disambiguated.
    ignored
        Relative paths of files that are neither submissions nor hidden (for the log).
    """

    files: tuple[SubmissionFile, ...]
    renamed: tuple[tuple[str, str], ...] = ()
    ignored: tuple[str, ...] = ()


def _clean_id(text: str) -> str:
    """A student id fit for a folder name, a CSV cell and a log line."""
    text = unicodedata.normalize("NFC", text)
    cleaned = "".join(
        "_" if (unicodedata.category(ch).startswith("C") or ch in '/\\:*?"<>|') else ch
        for ch in text
    ).strip()
    return cleaned.lstrip(".") or "student"


def _is_submission(name: str) -> bool:
    return name.lower().endswith(SUBMISSION_SUFFIXES)


def _looks_mangled(name: str) -> bool:
    """``lab.ipynb.txt``, as some browsers save a notebook: graded (as ungradable, with advice)."""
    stem, dot, _ = name.rpartition(".")
    return bool(dot) and _is_submission(stem)


def discover(root: Path, *, exclude: Sequence[Path] = ()) -> Discovery:
    """Every submission under ``root`` with its student id.

    Parameters
    ----------
    root
        The submissions folder: files directly in it (id = file stem), and/or one folder per
        student (id = folder name, whatever the file inside is called).
    exclude
        Folders to leave out (the output folder, when it lies inside ``root``).

    Returns
    -------
    Discovery
        Hidden files and folders (``.ipynb_checkpoints``, ``._lab.ipynb``), ``__MACOSX`` and
        ``*.expected.toml`` are skipped. A file named like ``lab.ipynb.txt`` is included (it
        will be ungradable, with advice to rename it), and so is the first file of a student
        folder that holds no ``.py``/``.ipynb`` at all, so that no student vanishes silently.

    Notes
    -----
    Ids are compared case-insensitively (``Alice`` and ``alice`` would share a folder on macOS).
    When several files share an id, each of them is renamed after its relative path
    (``alice.py`` and ``alice.ipynb``; ``alice--lab.ipynb``): the rule depends only on the set of
    files, never on the order they were found in.
    """
    root = root.resolve()
    skip = {p.resolve() for p in exclude}
    found: list[tuple[str, Path, str]] = []  # (natural id, path, relative)
    ignored: list[str] = []
    folders_without: dict[str, tuple[Path, str]] = {}
    folders_with: set[str] = set()
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(folder)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and d not in _SKIPPED_FOLDERS and (here / d) not in skip
        )
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith(".expected.toml"):
                continue
            path = here / name
            relative = path.relative_to(root).as_posix()
            top = relative.split("/", 1)[0] if "/" in relative else None
            natural = top if top is not None else Path(name).stem
            if _is_submission(name) or (top is None and _looks_mangled(name)):
                found.append((natural, path, relative))
                if top is not None:
                    folders_with.add(top)
            elif top is not None:
                folders_without.setdefault(top, (path, relative))
            else:
                ignored.append(relative)
    for top, (path, relative) in sorted(folders_without.items()):
        if top in folders_with:
            ignored.append(relative)
        else:
            found.append((top, path, relative))
    return _assign_ids(found, ignored)


def _assign_ids(found: list[tuple[str, Path, str]], ignored: list[str]) -> Discovery:
    groups: dict[str, list[tuple[str, Path, str]]] = {}
    for natural, path, relative in found:
        groups.setdefault(_clean_id(natural).casefold(), []).append((natural, path, relative))
    chosen: list[tuple[str, Path, str]] = []
    renamed: list[tuple[str, str]] = []
    for key, members in groups.items():
        if len(members) == 1 and key not in RESERVED_NAMES:
            natural, path, relative = members[0]
            chosen.append((_clean_id(natural), path, relative))
            continue
        for _, path, relative in sorted(members, key=lambda m: m[2]):
            student = _clean_id(relative.replace("/", "--"))
            chosen.append((student, path, relative))
            renamed.append((relative, student))
    # Renamed ids could, in a contrived cohort, meet another id: number them, in path order.
    seen: set[str] = set()
    files: list[SubmissionFile] = []
    for student, path, relative in sorted(chosen, key=lambda c: (c[0].casefold(), c[2])):
        unique, n = student, 1
        while unique.casefold() in seen or unique.casefold() in RESERVED_NAMES:
            n += 1
            unique = f"{student}-{n}"
        seen.add(unique.casefold())
        files.append(SubmissionFile(unique, path, relative))
    return Discovery(
        files=tuple(sorted(files, key=lambda f: f.student)),
        renamed=tuple(sorted(renamed)),
        ignored=tuple(sorted(ignored)),
    )


def file_digest(path: Path) -> str:
    """SHA-256 of the file's bytes (as ``graders.load`` computes it); ``""`` if unreadable."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def grading_key(assignment: Assignment, data_dir: Path | None = None) -> str:
    """What a grade depends on besides the submission: grader version, spec and data files.

    A stored grade whose key differs from the current one is regraded (a changed point value
    or data file must not leave half the class graded the old way).
    """
    digest = hashlib.sha256(f"mle-grader {__version__}\n".encode())
    spec = assignment.directory / "assignment.toml"
    digest.update(spec.read_bytes() if spec.is_file() else b"")
    for path in assignment.data_files + supplied_lab_data(assignment, data_dir):
        digest.update(f"\n{path.name}:{file_digest(path) if path.is_file() else '-'}".encode())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- one task


@dataclass(frozen=True)
class GradeTask:
    """Everything a grader process needs to grade one submission: plain data only.

    Attributes
    ----------
    student, path, relative
        Who, which file (absolute), and its path relative to the submissions folder.
    assignment
        The assignment's folder (or slug), loaded once per grader process.
    data_dir
        The instructor's optional data files (``--data``).
    python
        Interpreter that runs the student's code (default: the grader's).
    plots
        Gather feedback plots while the worker is open.
    secret
        The gradebook's course secret, seeding the hidden searches (never shown in a repr).
    """

    student: str
    path: str
    relative: str
    assignment: str
    data_dir: str | None = None
    python: str | None = None
    plots: bool = True
    secret: CourseSecret | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class TaskOutcome:
    """The answer to a :class:`GradeTask`: a result, or the grader's own failure.

    ``error`` (a traceback) means the *grader* failed, not the student: the submission is not
    recorded, so the next run retries it.
    """

    task: GradeTask
    result: SubmissionResult | None = None
    error: str | None = None


@functools.lru_cache(maxsize=4)
def _setup(
    assignment: str, data_dir: str | None, python: str | None
) -> tuple[Assignment, SandboxConfig]:
    """The assignment and sandbox configuration, loaded once per grader process."""
    spec = load_assignment(assignment)
    validate_assignment(spec)
    config = sandbox_config(spec, data_dir=Path(data_dir) if data_dir else None)
    # A grader process lives for the whole batch: its zygote preloads pyplot once.
    config = replace(config, preload=(*pool.PRELOAD, *pool.PLOTTING))
    if python:
        config = replace(config, python=python)
    return spec, config


def grade_task(task: GradeTask) -> TaskOutcome:
    """Grade one submission in this process (the function every executor runs)."""
    try:
        assignment, config = _setup(task.assignment, task.data_dir, task.python)
        result = grade_path(
            Path(task.path),
            assignment,
            student=task.student,
            config=config,
            plots=gather if task.plots else None,
            secret=task.secret,
        )
    except Exception:  # the grader's own failure: reported, never recorded as a grade
        return TaskOutcome(task, error=traceback.format_exc())
    return TaskOutcome(task, result=result)


# --------------------------------------------------------------------------- executors


class Executor(Protocol):
    """Runs grading tasks somewhere and hands back their outcomes as they finish.

    Implementations: :class:`InlineExecutor` (this process), :class:`LocalPool` (grader
    processes on this machine). A cluster engine would implement the same two methods.
    """

    jobs: int

    def run(self, tasks: Iterable[GradeTask]) -> Iterator[TaskOutcome]:
        """Outcomes of ``tasks`` in completion order; tasks are pulled lazily."""
        ...

    def close(self) -> None:
        """Stop every process the executor started; idempotent."""
        ...


class InlineExecutor:
    """Grades in the calling thread, one submission after another (``--jobs 1``)."""

    jobs = 1

    def run(self, tasks: Iterable[GradeTask]) -> Iterator[TaskOutcome]:
        for task in tasks:
            yield grade_task(task)

    def close(self) -> None:
        pass

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _die_with_parent() -> None:
    """Linux: get SIGTERM when the parent dies, so a killed batch leaves no grader behind."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


Work = Callable[[GradeTask], TaskOutcome]


def _serve(conn: multiprocessing.connection.Connection, work: Work) -> None:
    """Main loop of a pool process: receive a task, grade it, send the outcome back.

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
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        outcome = work(task)
        try:
            conn.send(outcome)
        except OSError:
            return


@dataclass
class _Slot:
    process: Any
    conn: multiprocessing.connection.Connection
    task: GradeTask | None = None


class LocalPool:
    """``jobs`` long-lived grader processes on this machine, one submission each at a time.

    Processes are forked from a fresh forkserver that has already imported the grader (numpy,
    Hypothesis, the checks), so starting one costs milliseconds and the imports are paid once;
    each keeps its per-process caches (remembered passing inputs) warm across submissions. Only
    ``jobs`` tasks are in flight, so memory does not grow with the cohort.

    A process that dies while grading (killed by the OOM killer, say) is replaced and its task
    retried once; the second time the task comes back as an internal error.

    Parameters
    ----------
    jobs
        Number of grader processes (>= 1).
    work
        What a process does with a task: :func:`grade_task` (tests pass stand-ins; it must be
        importable by name, as it is sent to the processes by reference).
    """

    def __init__(self, jobs: int, *, work: Work = grade_task) -> None:
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
            self._ctx.set_forkserver_preload(["graders.batch"])
        else:  # macOS / Windows without forkserver
            self._ctx = multiprocessing.get_context("spawn")
        self._slots: list[_Slot] = []
        self._closed = False

    def _start(self) -> _Slot:
        parent_end, child_end = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=_serve, args=(child_end, self._work), name="grader", daemon=True
        )
        process.start()
        child_end.close()
        slot = _Slot(process, parent_end)
        self._slots.append(slot)
        return slot

    def _retire(self, slot: _Slot) -> str:
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

    def run(self, tasks: Iterable[GradeTask]) -> Iterator[TaskOutcome]:
        if self._closed:
            raise RuntimeError("this LocalPool is closed")
        queue = iter(tasks)
        retry: list[GradeTask] = []
        attempts: dict[str, int] = {}
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

    def _dispatch(
        self, queue: Iterator[GradeTask], retry: list[GradeTask], attempts: dict[str, int]
    ) -> None:
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
            attempts[task.student] = attempts.get(task.student, 0) + 1
            idle.task = task

    def _collect(
        self, slot: _Slot, retry: list[GradeTask], attempts: dict[str, int]
    ) -> TaskOutcome | None:
        """The outcome a process sent, or ``None`` when it died and its task will be retried."""
        task = slot.task
        assert task is not None
        try:
            outcome: TaskOutcome = slot.conn.recv()
        except (EOFError, OSError):
            how = self._retire(slot)
            if attempts[task.student] < _ATTEMPTS:
                retry.append(task)
                return None
            outcome = TaskOutcome(
                task,
                error=f"the grader process grading this submission died ({how}), {_ATTEMPTS} times",
            )
        slot.task = None
        attempts.pop(task.student, None)
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

    def __enter__(self) -> LocalPool:
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


def make_executor(jobs: int) -> InlineExecutor | LocalPool:
    """Inline for one job (sessions created and closed in this thread), else a local pool."""
    return InlineExecutor() if jobs <= 1 else LocalPool(jobs)


# --------------------------------------------------------------------------- progress


class Reporter(Protocol):
    """Shows a batch's progress (a Rich bar on a terminal, log lines elsewhere)."""

    def start(self, total: int, skipped: int, jobs: int) -> None:
        """``total`` submissions to grade now; ``skipped`` unchanged ones."""
        ...

    def advance(self, outcome: TaskOutcome) -> None:
        """One submission finished (recorded, or failed inside the grader)."""
        ...

    def note(self, text: str) -> None:
        """A line for the instructor (renamed ids, ignored files)."""
        ...

    def finish(self) -> None:
        """The batch ended (also when interrupted)."""
        ...


class SilentReporter:
    """Reports nothing (library use and tests)."""

    def start(self, total: int, skipped: int, jobs: int) -> None:
        pass

    def advance(self, outcome: TaskOutcome) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def finish(self) -> None:
        pass


# --------------------------------------------------------------------------- the batch


@dataclass(frozen=True)
class BatchReport:
    """What a batch did.

    Attributes
    ----------
    found
        Submissions in the folder.
    graded
        Graded (or recorded as ungradable) in this run.
    skipped
        Unchanged since the stored grade, not graded again.
    internal_errors
        ``(student, traceback)``: the grader failed; not recorded, retried on the next run.
    seconds
        Wall time of the whole batch.
    summary
        The cohort summary written to ``summary.json`` / ``summary.html``.
    """

    found: int
    graded: int
    skipped: int
    internal_errors: tuple[tuple[str, str], ...]
    seconds: float
    summary: CohortSummary


def _atomic_write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def write_student_files(out: Path, result: SubmissionResult, assignment: Assignment) -> None:
    """``OUT/<student>/results.json`` (as ``grader check --format json``) and ``feedback.html``."""
    folder = out / result.student
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write(folder / "results.json", result.to_json())
    _atomic_write(folder / "feedback.html", html.render_feedback(result, assignment))


def _recorded(
    out: Path, book: Gradebook, outcome: TaskOutcome, assignment: Assignment, key: str
) -> TaskOutcome:
    """Write and record ``outcome``'s result; a failure doing so becomes the outcome's error.

    One submission's failure is that submission's outcome, never the end of the batch: the
    files of the others are still written and their rows recorded.
    """
    assert outcome.result is not None
    try:
        write_student_files(out, outcome.result, assignment)
        book.record(outcome.result, path=outcome.task.relative, grading_key=key)
    except Exception:  # noqa: BLE001 -- the grader's own failure, on this submission only
        return TaskOutcome(outcome.task, error=traceback.format_exc())
    return outcome


def _write_grader_failure(out: Path, task: GradeTask, assignment: Assignment) -> None:
    """``OUT/<student>/results.json`` saying the grader failed here; not a gradebook row, so
    the next run grades the submission again. Best effort: the failure is reported anyway."""
    result = SubmissionResult.ungradable(
        student=task.student,
        assignment=assignment.slug,
        message=(
            "The grader failed while grading this submission (an internal error, not a "
            "problem with your work). It will be graded again."
        ),
        sha256=file_digest(Path(task.path)),
        max_score=assignment.max_score,
    )
    with contextlib.suppress(Exception):
        write_student_files(out, result, assignment)


def grade_cohort(
    submissions: Path,
    assignment: Assignment,
    out: Path,
    *,
    jobs: int = 1,
    data_dir: Path | None = None,
    python: str | None = None,
    force: bool = False,
    plots: bool = True,
    reporter: Reporter | None = None,
    executor: Executor | None = None,
    secret: CourseSecret | None = None,
) -> BatchReport:
    """Grade every new or changed submission under ``submissions`` into ``out``.

    Parameters
    ----------
    submissions
        The cohort's folder (see :func:`discover`).
    assignment
        The parsed spec.
    out
        Output folder: ``gradebook.sqlite``, ``grades.csv``, ``summary.{json,html}`` and one
        folder per student.
    jobs
        Grader processes (1: grade in this thread). Ignored when ``executor`` is given.
    data_dir
        The instructor's optional data files.
    python
        Interpreter for the students' code.
    force
        Regrade every submission, even unchanged ones.
    plots
        Gather feedback plots.
    reporter
        Progress display (silent by default).
    executor
        Where to grade (default: :func:`make_executor` with ``jobs``); closed at the end.
    secret
        The course secret of the hidden searches. The gradebook stores the first one it is
        graded with (a generated one when none is given) and refuses another.

    Raises
    ------
    GradebookError
        If ``secret`` differs from the one the gradebook was graded with.
    KeyboardInterrupt
        Propagated after the executor is stopped; everything recorded so far is kept.
    """
    started = time.perf_counter()
    reporter = reporter or SilentReporter()
    found = discover(submissions, exclude=[out])
    out.mkdir(parents=True, exist_ok=True)
    key = grading_key(assignment, data_dir)
    cohort = {f.student for f in found.files}
    for relative, student in found.renamed:
        reporter.note(f"{relative}: its natural id is shared, graded as {student!r}")
    if found.ignored:
        listed = ", ".join(found.ignored[:5]) + (" ..." if len(found.ignored) > 5 else "")
        reporter.note(f"ignored {len(found.ignored)} file(s) that are not submissions: {listed}")
    errors: list[tuple[str, str]] = []
    graded = 0
    with Gradebook(out / "gradebook.sqlite") as book:
        secret = book.course_secret(secret)
        # Rows graded before the gradebook had a secret (no hidden search) are regraded.
        key = hashlib.sha256(f"{key}:{secret.fingerprint}".encode()).hexdigest()[:16]
        stored = book.stored(assignment.slug)
        todo: list[GradeTask] = []
        unchanged: list[SubmissionFile] = []
        for item in found.files:
            before = stored.get(item.student)
            if (
                not force
                and before is not None
                and before.sha256 == file_digest(item.path)
                and before.grading_key == key
            ):
                unchanged.append(item)
                continue
            todo.append(
                GradeTask(
                    student=item.student,
                    path=str(item.path),
                    relative=item.relative,
                    assignment=str(assignment.directory),
                    data_dir=None if data_dir is None else str(data_dir.resolve()),
                    python=python,
                    plots=plots,
                    secret=secret,
                )
            )
        del stored
        executor = executor or make_executor(min(jobs, max(len(todo), 1)))
        reporter.start(len(todo), len(unchanged), executor.jobs)
        try:
            for outcome in executor.run(todo):
                if outcome.result is not None:
                    outcome = _recorded(out, book, outcome, assignment, key)
                if outcome.result is not None:
                    graded += 1
                else:
                    errors.append((outcome.task.student, outcome.error or "unknown error"))
                    _write_grader_failure(out, outcome.task, assignment)
                reporter.advance(outcome)
        finally:
            executor.close()
            reporter.finish()
        # Unchanged submissions keep their files; re-render any that went missing.
        for item in unchanged:
            folder = out / item.student
            if not (folder / "results.json").is_file() or not (folder / "feedback.html").is_file():
                result = book.result(assignment.slug, item.student)
                if result is not None:
                    write_student_files(out, result, assignment)
        book.export_csv(
            assignment.slug,
            [q.id for q in assignment.questions],
            out / "grades.csv",
            students=cohort,
        )
        rows = book.submission_rows(assignment.slug), book.check_rows(assignment.slug)
        summary = summarise(*rows, assignment, students=cohort, internal_errors=errors)
    _atomic_write(out / "summary.json", to_json(summary))
    _atomic_write(out / "summary.html", html.render_summary(summary))
    return BatchReport(
        found=len(found.files),
        graded=graded,
        skipped=len(unchanged),
        internal_errors=tuple(errors),
        seconds=time.perf_counter() - started,
        summary=summary,
    )
