"""The files a batch writes per student: ``OUT/<student>/results.json``, ``feedback.html``
and the feedback notebook (``feedback.ipynb``, ``feedback-notebook.html``).

One reason to change: which feedback files a student gets and how they are written (atomically,
and a placeholder when the grader itself failed on the submission).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from graders.batch.discovery import file_digest
from graders.batch.task import GradeTask
from graders.report import html
from graders.results import SubmissionResult
from graders.spec import Assignment

__all__ = ["atomic_write", "write_grader_failure", "write_student_files"]


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a partial file: a reader never sees half of it."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def write_student_files(
    out: Path,
    result: SubmissionResult,
    assignment: Assignment,
    files: tuple[tuple[str, str], ...] = (),
) -> None:
    """``OUT/<student>/results.json`` (as ``grader check --format json``), ``feedback.html``
    and ``files`` (the feedback notebook and its page, made by the grader process).

    A name in ``files`` is a file name of that folder (never a path), so nothing is written
    outside it.
    """
    folder = out / result.student
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files:
        if name != Path(name).name or name.startswith("."):
            raise ValueError(f"not a feedback file name: {name!r}")
        atomic_write(folder / name, text)
    atomic_write(folder / "results.json", result.to_json())
    atomic_write(folder / "feedback.html", html.render_feedback(result, assignment))


def write_grader_failure(out: Path, task: GradeTask, assignment: Assignment) -> None:
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
