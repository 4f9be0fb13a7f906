"""One submission's grading as a task: the plain data a grader process gets, and what it runs.

One reason to change: what a grader process needs to grade one submission (the task's fields,
the per-process setup, the call into the engine). Any executor (inline, the local pool, later a
cluster) ships :class:`GradeTask` values and calls :func:`grade_task` on them.
"""

from __future__ import annotations

import functools
import gc
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

from graders.batch.discovery import file_digest
from graders.checks.plots import gather
from graders.checks.registry import validate_assignment
from graders.engine import grade_path, sandbox_config
from graders.executors import TaskOutcome
from graders.hidden import CourseSecret
from graders.report.notebook import feedback_files
from graders.results import SubmissionResult
from graders.sandbox import SandboxConfig, pool
from graders.spec import Assignment, load_assignment

__all__ = ["GradeOutcome", "GradeTask", "grade_task", "notebook_files"]


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
    run_all_cells
        Run every cell, not only those grading needs (``--run-all-cells``).
    problem
        Why the submission is ungradable before anything runs (several files in one folder).
    note
        A sentence added to the result's notes (the other files of the student's folder).
    hidden
        Folders the student's code must never see: the batch's submissions folder (the other
        students' files) and its output folder (``SandboxConfig.hidden``).
    notebooks
        Also make the student's feedback notebook and its HTML rendering (returned as the
        outcome's ``files``), in the grader process, where the cost runs in parallel.
    """

    student: str
    path: str
    relative: str
    assignment: str
    data_dir: str | None = None
    python: str | None = None
    plots: bool = True
    secret: CourseSecret | None = field(default=None, repr=False, compare=False)
    run_all_cells: bool = False
    problem: str | None = None
    note: str | None = None
    hidden: tuple[str, ...] = ()
    notebooks: bool = True


GradeOutcome = TaskOutcome[GradeTask, SubmissionResult]
"""The answer to a :class:`GradeTask`: its result, or the grader's own failure (``error``).

An error means the *grader* failed, not the student: the submission is not recorded, so the
next run retries it.
"""


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


def grade_task(task: GradeTask) -> GradeOutcome:
    """Grade one submission in this process (the function every executor runs)."""
    try:
        assignment, config = _setup(task.assignment, task.data_dir, task.python)
        if task.run_all_cells:
            assignment = replace(assignment, run_all_cells=True)
        if task.problem is not None:
            return TaskOutcome(task, result=_refused(task, assignment, task.problem))
        if task.hidden:
            config = replace(config, hidden=tuple(Path(p) for p in task.hidden))
        result = grade_path(
            Path(task.path),
            assignment,
            student=task.student,
            config=config,
            plots=gather if task.plots else None,
            secret=task.secret,
        )
        if task.note is not None:
            result = replace(result, notes=(*result.notes, task.note))
    except Exception:  # the grader's own failure: reported, never recorded as a grade
        return TaskOutcome(task, error=traceback.format_exc())
    _settle_heap()
    if not task.notebooks:
        return TaskOutcome(task, result=result)
    files, result = notebook_files(Path(task.path), result)
    return TaskOutcome(task, result=result, files=files)


_settled = False


def _settle_heap() -> None:
    """After this process's first grading, move every object alive out of the collector's
    reach (``gc.freeze``), once.

    The first grading built what the process keeps for every later one: the imports, the
    searches' drawn inputs, the references' expected values, the encoded call lists. The
    collector's full passes would otherwise walk all of it again and again (2.5 ms of CPU per
    submission, measured). A frozen object is still freed when its last reference goes; only a
    cycle among frozen objects would stay.
    """
    global _settled
    if not _settled:
        _settled = True
        gc.collect()
        gc.freeze()


def notebook_files(
    path: Path, result: SubmissionResult
) -> tuple[tuple[tuple[str, str], ...], SubmissionResult]:
    """The feedback notebook's files of ``result``, and the result (noting a failure to make
    them: the grade stands, and the instructor learns why the files are missing)."""
    try:
        return feedback_files(path, result), result
    except Exception as exc:  # noqa: BLE001 -- a rendering failure must not cost the grade
        why = f"The feedback notebook could not be made ({type(exc).__name__})."
        return (), replace(result, notes=(*result.notes, why))


def _refused(task: GradeTask, assignment: Assignment, reason: str) -> SubmissionResult:
    """The ungradable result of a submission refused before anything of it runs."""
    return SubmissionResult.ungradable(
        task.student,
        assignment.slug,
        reason,
        file_digest(Path(task.path)),
        max_score=assignment.max_score,
    )
