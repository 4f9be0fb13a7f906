"""``grader grade DIR --assignment SLUG --out OUT``: grade a whole cohort into a gradebook.

Exit codes: 0 every submission is in the gradebook (graded, or recorded as ungradable); 2 usage
error (unknown assignment, no such folder, no submissions, unusable gradebook); 3 the grader
failed on some submissions (they are not recorded: run the same command again to retry them);
130 interrupted (everything recorded so far is kept; run again to continue).
"""

from __future__ import annotations

import argparse
import signal
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from rich.console import Console

from graders.commands._shared import course_secret, isolation_problem
from graders.errors import GradebookError
from graders.executors import Executor, default_jobs
from graders.exitcodes import EXIT_FULL, EXIT_INTERNAL, EXIT_USAGE
from graders.hidden import SECRET_FILE_ENV
from graders.report.progress import console_reporter
from graders.spec import load_assignment

if TYPE_CHECKING:
    from graders.batch import GradeTask
    from graders.results import SubmissionResult

EXIT_INTERRUPTED = 130

_EPILOG = (
    "exit codes: 0 every submission graded or recorded as ungradable, 2 usage error, "
    "3 internal error on some submissions (re-run to retry them), 130 interrupted "
    "(re-run to continue; finished submissions are kept)"
)


def add_parser(sub: Any) -> None:
    """Register ``grade`` on the subparsers object ``sub``."""
    grade = sub.add_parser(
        "grade",
        help="grade every submission in a folder into a gradebook, with feedback and a summary",
        description=(
            "Grade every .py and .ipynb under DIR (one file per student, or one folder per "
            "student). Writes OUT/gradebook.sqlite, OUT/grades.csv, OUT/summary.html and "
            "summary.json, and OUT/<student>/results.json and feedback.html. Re-running grades "
            "only new and changed submissions."
        ),
        epilog=_EPILOG,
    )
    grade.add_argument("dir", type=Path, metavar="DIR", help="folder of submissions")
    grade.add_argument("--assignment", required=True, help="assignment slug, e.g. mle")
    grade.add_argument("--out", type=Path, required=True, help="output folder")
    grade.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="grader processes working in parallel (default: the CPUs available, %(default)s)",
    )
    grade.add_argument(
        "--data",
        type=Path,
        default=None,
        help="the public lab's data folder: grade the submissions as that lab (see README)",
    )
    grade.add_argument(
        "--force", action="store_true", help="regrade every submission, even unchanged ones"
    )
    grade.add_argument(
        "--no-plots", action="store_true", help="leave the plots out of the feedback pages"
    )
    grade.add_argument(
        "--no-feedback-notebooks",
        action="store_true",
        help="do not write each student's feedback.ipynb (their notebook with feedback cells) "
        "and feedback-notebook.html (about 0.1 s of CPU a submission)",
    )
    grade.add_argument(
        "--require-isolation",
        action="store_true",
        help="refuse to grade unless bubblewrap's namespaces are available (exit code 2)",
    )
    grade.add_argument(
        "--run-all-cells",
        action="store_true",
        help="run every cell of each notebook, also those grading does not need (default: only "
        "the cells that can affect a graded name; the feedback lists the others)",
    )
    grade.add_argument(
        "--python",
        default=None,
        help="interpreter that runs the students' code (default: this one)",
    )
    grade.add_argument(
        "--secret-file",
        type=Path,
        default=None,
        help=(
            "the course secret that seeds the hidden searches (default: $"
            f"{SECRET_FILE_ENV}; else the one stored in OUT/gradebook.sqlite, or a new one "
            "generated and stored there). A gradebook refuses a secret other than its own."
        ),
    )
    grade.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="where to grade: grader processes on this machine (local, the default) or a Dask "
        "cluster (dask; needs pip install -e '.[dask]')",
    )
    grade.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --executor dask: the scheduler to use, e.g. tcp://10.0.0.5:8786 (default: "
        "start a local cluster of --jobs worker processes)",
    )
    grade.add_argument(
        "--several-files",
        choices=("notebook", "ungradable"),
        default="notebook",
        help="a student folder holding several .py/.ipynb files: grade its one notebook and note "
        "the others (notebook, the default; several notebooks, or several .py and no notebook, "
        "are ungradable), or make every such folder ungradable, 'several submissions'",
    )
    grade.set_defaults(run=run)


def interrupted_message(gradebook: Path, *, force: bool) -> str:
    """What an interrupted ``grader grade`` says: what is kept, and what each next step does.

    >>> interrupted_message(Path("out/gradebook.sqlite"), force=False).endswith(
    ...     "Run the same command again to grade only what is left."
    ... )
    True
    """
    saved = f"grader: interrupted; every finished submission is saved in {gradebook}."
    if not force:
        return f"{saved} Run the same command again to grade only what is left."
    return (
        f"{saved} To grade only what is left, run the command again without --force; with "
        "--force it regrades every submission from the start, also those finished now."
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    """Grade the cohort in ``args.dir``; return the exit code."""
    # Imported here, not at the top: `grader` starts without the checks and the engine, so
    # `grader check` can start the student's worker while they load.
    from graders.batch import discover, grade_cohort
    from graders.checks.registry import validate_assignment
    from graders.engine import lab_data_note

    console = Console()
    errors = Console(stderr=True)
    if not args.dir.is_dir():
        errors.print(f"grader: {args.dir} is not a folder of submissions")
        return EXIT_USAGE
    if args.jobs < 1:
        errors.print(f"grader: --jobs must be at least 1, got {args.jobs}")
        return EXIT_USAGE
    try:
        secret = course_secret(args.secret_file)
    except ValueError as exc:
        errors.print(f"grader: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    assignment = load_assignment(args.assignment)
    validate_assignment(assignment)
    if args.run_all_cells:
        assignment = replace(assignment, run_all_cells=True)
    refused, warning = isolation_problem(args.require_isolation or assignment.require_isolation)
    if refused is not None:
        errors.print(f"grader: {refused}", markup=False, highlight=False)
        return EXIT_USAGE
    if warning is not None:  # once, before the first submission: not only in summary.html
        errors.print(warning, markup=False, highlight=False, style="yellow")
    if not discover(args.dir, exclude=[args.out]).files:
        errors.print(f"grader: no .py or .ipynb submissions under {args.dir}")
        return EXIT_USAGE
    reporter = console_reporter(console)
    note = lab_data_note(assignment, args.data)
    if note is not None:
        errors.print(f"note: {note}", markup=False)
    # SIGTERM (a cancelled CI job) stops like Ctrl-C: the pool is shut down, nothing is lost.
    if args.scheduler is not None and args.executor != "dask":
        errors.print("grader: --scheduler needs --executor dask")
        return EXIT_USAGE
    executor: Executor[GradeTask, SubmissionResult] | None = None
    if args.executor == "dask":
        from graders.batch.shipping import dask_executor

        try:  # the submissions and data files travel as bytes: no shared filesystem needed
            executor = dask_executor(
                [assignment], args.data, scheduler=args.scheduler, workers=args.jobs
            )
        except (RuntimeError, OSError) as exc:  # not installed, or no scheduler there
            errors.print(f"grader: {exc}", markup=False, highlight=False)
            return EXIT_USAGE
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        report = grade_cohort(
            args.dir,
            assignment,
            args.out,
            jobs=args.jobs,
            data_dir=args.data,
            python=args.python,
            force=args.force,
            plots=not args.no_plots,
            reporter=reporter,
            secret=secret,
            several=args.several_files,
            notebooks=not args.no_feedback_notebooks,
            executor=executor,
        )
    except KeyboardInterrupt:
        errors.print(interrupted_message(args.out / "gradebook.sqlite", force=args.force))
        return EXIT_INTERRUPTED
    except GradebookError as exc:
        errors.print(f"grader: {exc}")
        return EXIT_USAGE
    finally:
        signal.signal(signal.SIGTERM, previous)
    summary = report.summary
    rate = report.graded / report.seconds if report.seconds > 0 else 0.0
    mean = "-" if summary.mean is None else f"{summary.mean:.1f}"
    console.print(
        f"{report.found} submissions: {report.graded} graded now, {report.skipped} unchanged, "
        f"{len(summary.ungradable)} ungradable, {len(report.internal_errors)} internal errors; "
        f"mean {mean} / {summary.max_score:g}; {report.seconds:.1f} s ({rate:.2f} per second)",
        markup=False,
        highlight=False,
    )
    shared = [g for g in summary.groups if g.size > 1]
    if shared:
        top = shared[0]
        console.print(
            f"largest shared mistake: {top.size} submissions fail {top.check_id} the same way"
            + (f" ({top.diagnosis})" if top.diagnosis else ""),
            markup=False,
            highlight=False,
        )
    console.print(
        f"gradebook {args.out / 'gradebook.sqlite'}; grades {args.out / 'grades.csv'}; "
        f"summary {args.out / 'summary.html'}; feedback {args.out}/<student>/feedback.html",
        markup=False,
        highlight=False,
    )
    for student, error in report.internal_errors:
        errors.print(f"internal error grading {student}:\n{error}", markup=False, highlight=False)
    return EXIT_INTERNAL if report.internal_errors else EXIT_FULL
