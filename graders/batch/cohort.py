"""The cohort loop: decide what to grade, run it on an executor, keep the one gradebook writer.

One reason to change: how a batch resumes and records (the grading key that says a stored grade
is still valid, skipping unchanged submissions, recording each outcome in its own transaction,
the cohort files written at the end). ``grade_cohort`` is what
``grader grade DIR --assignment SLUG --out OUT`` runs:

1. :func:`~graders.batch.discovery.discover` lists every ``.py`` and ``.ipynb`` under ``DIR``
   and gives each a student id.
2. Submissions whose content hash and grading key (grader version, spec, data files, course
   secret) equal those stored in ``OUT/gradebook.sqlite`` are skipped; the others become
   :class:`~graders.batch.task.GradeTask` values.
3. An executor (:mod:`graders.executors`) grades the tasks: inline (``--jobs 1``) or in a
   :class:`~graders.executors.LocalPool` of long-lived grader processes, each grading one
   submission at a time in its own main thread (bubblewrap's ``--die-with-parent`` ties a
   sandbox to the thread that created it). Outcomes come back to this process, which alone
   writes: ``OUT/<student>/results.json``, ``feedback.html`` and the feedback notebook (made by
   the grader process), then the gradebook row, in one transaction, as each submission finishes.
4. ``OUT/grades.csv``, ``OUT/summary.json`` and ``OUT/summary.html`` are written from the
   gradebook at the end.

A batch killed at any point (even by SIGKILL) and run again grades every submission exactly
once: committed rows survive and are skipped, the ones in flight are graded on the re-run.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from graders import __version__
from graders.batch.discovery import SubmissionFile, discover, file_digest
from graders.batch.outputs import atomic_write, write_grader_failure, write_student_files
from graders.batch.task import GradeOutcome, GradeTask, grade_task, notebook_files
from graders.engine import supplied_lab_data
from graders.executors import Executor, TaskOutcome, make_executor
from graders.gradebook import Gradebook
from graders.hidden import CourseSecret
from graders.report import html
from graders.report.notebook import NOTEBOOK, PAGE
from graders.report.progress import Reporter, SilentReporter
from graders.results import SubmissionResult
from graders.spec import Assignment
from graders.summary import CohortSummary, summarise, to_json

__all__ = ["BatchReport", "grade_cohort", "grading_key"]


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
    if assignment.run_all_cells:  # the grades are the same; what ran and the feedback are not
        digest.update(b"\nrun all cells")
    return digest.hexdigest()[:16]


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


def _item_key(key: str, item: SubmissionFile) -> str:
    """The batch's grading key, or for a folder of several files one that also names them.

    Which file is graded (and what its result notes) depends on the folder's other files, not
    only on the graded file's bytes: adding or deleting one must regrade the student.
    """
    if not item.others:
        return key
    files = "|".join((str(item.several), *item.others))
    return hashlib.sha256(f"{key}:{files}".encode()).hexdigest()[:16]


def _recorded(
    out: Path, book: Gradebook, outcome: GradeOutcome, assignment: Assignment, key: str
) -> GradeOutcome:
    """Write and record ``outcome``'s result; a failure doing so becomes the outcome's error.

    One submission's failure is that submission's outcome, never the end of the batch: the
    files of the others are still written and their rows recorded.
    """
    assert outcome.result is not None
    try:
        write_student_files(out, outcome.result, assignment, outcome.files)
        book.record(outcome.result, path=outcome.task.relative, grading_key=key)
    except Exception:  # noqa: BLE001 -- the grader's own failure, on this submission only
        return TaskOutcome(outcome.task, error=traceback.format_exc())
    return outcome


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
    executor: Executor[GradeTask, SubmissionResult] | None = None,
    secret: CourseSecret | None = None,
    several: str = "notebook",
    notebooks: bool = True,
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
        Where to grade (default: :func:`~graders.executors.make_executor` with ``jobs``); closed
        at the end.
    secret
        The course secret of the hidden searches. The gradebook stores the first one it is
        graded with (a generated one when none is given) and refuses another.
    several
        What a student folder holding several submission files gets (see :func:`discover`):
        its one notebook graded, the others noted (``"notebook"``), or ``"ungradable"``.
    notebooks
        Write each student's feedback notebook (``feedback.ipynb``) and its rendering
        (``feedback-notebook.html``), made by the grader processes.

    Raises
    ------
    GradebookError
        If ``secret`` differs from the one the gradebook was graded with.
    KeyboardInterrupt
        Propagated after the executor is stopped; everything recorded so far is kept.
    """
    started = time.perf_counter()
    reporter = reporter or SilentReporter()
    found = discover(submissions, exclude=[out], several=several)
    out.mkdir(parents=True, exist_ok=True)
    key = grading_key(assignment, data_dir)
    cohort = {f.student for f in found.files}
    for relative, student in found.renamed:
        reporter.note(f"{relative}: its natural id is shared, graded as {student!r}")
    crowded = [f for f in found.files if f.others]  # folders holding several submission files
    for item in crowded:
        what = "ungradable, several submissions" if item.several else f"graded {item.relative}"
        reporter.note(f"{item.student}: {what}; not graded: {', '.join(item.others)}")
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
        keys: dict[str, str] = {}
        for item in found.files:
            before = stored.get(item.student)
            keys[item.student] = _item_key(key, item)
            if (
                not force
                and before is not None
                and before.sha256 == file_digest(item.path)
                and before.grading_key == keys[item.student]
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
                    run_all_cells=assignment.run_all_cells,
                    problem=item.problem,
                    note=item.note,
                    hidden=(str(submissions.resolve()), str(out.resolve())),
                    notebooks=notebooks,
                )
            )
        del stored
        executor = executor or make_executor(min(jobs, max(len(todo), 1)), grade_task)
        reporter.start(len(todo), len(unchanged), executor.jobs)
        try:
            for outcome in executor.run(todo):
                if outcome.result is not None:
                    key_of = keys[outcome.task.student]
                    outcome = _recorded(out, book, outcome, assignment, key_of)
                if outcome.result is not None:
                    graded += 1
                else:
                    errors.append((outcome.task.student, outcome.error or "unknown error"))
                    write_grader_failure(out, outcome.task, assignment)
                reporter.advance(outcome)
        finally:
            executor.close()
            reporter.finish()
        # Unchanged submissions keep their files; re-render any that went missing.
        for item in unchanged:
            folder = out / item.student
            wanted = ["results.json", "feedback.html", *([NOTEBOOK, PAGE] if notebooks else [])]
            if not all((folder / name).is_file() for name in wanted):
                result = book.result(assignment.slug, item.student)
                if result is not None:
                    files = notebook_files(item.path, result)[0] if notebooks else ()
                    write_student_files(out, result, assignment, files)
        book.export_csv(
            assignment.slug,
            [q.id for q in assignment.questions],
            out / "grades.csv",
            students=cohort,
        )
        rows = book.submission_rows(assignment.slug), book.check_rows(assignment.slug)
        summary = summarise(
            *rows,
            assignment,
            students=cohort,
            internal_errors=errors,
            several_files=[(f.student, f.relative, f.others, f.several) for f in crowded],
        )
    atomic_write(out / "summary.json", to_json(summary))
    atomic_write(out / "summary.html", html.render_summary(summary))
    return BatchReport(
        found=len(found.files),
        graded=graded,
        skipped=len(unchanged),
        internal_errors=tuple(errors),
        seconds=time.perf_counter() - started,
        summary=summary,
    )
