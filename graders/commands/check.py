"""``grader check PATH --assignment SLUG``: grade one submission and print its report."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

from graders.commands._shared import course_secret, isolation_problem
from graders.exitcodes import EPILOG, EXIT_FULL, EXIT_PARTIAL, EXIT_USAGE
from graders.hidden import PRACTICE, SECRET_FILE_ENV
from graders.report import markdown, terminal
from graders.sandbox.prestart import code_of, preload_for, prestart
from graders.slicing import plan_cells
from graders.spec import Assignment, load_assignment


def add_parser(sub: Any) -> None:
    """Register ``check`` on the subparsers object ``sub``."""
    check = sub.add_parser(
        "check",
        help="grade one submission (.py or .ipynb)",
        description="Grade one student's .py module or Jupyter notebook and explain every "
        "failing check: the smallest input that breaks it, expected vs yours, the likely "
        "misconception. Nothing is written; the report goes to standard output.",
        epilog=EPILOG,
    )
    check.add_argument("path", type=Path, help="the submission: a .py file or a .ipynb notebook")
    check.add_argument("--assignment", required=True, help="assignment slug, e.g. mle")
    check.add_argument(
        "--format",
        choices=("text", "json", "markdown", "notebook"),
        default="text",
        help="text (the default, for a terminal), json (Gradescope's results.json), markdown, "
        "or notebook: the submission with a feedback cell after each graded function, written "
        "to --out (and rendered beside it as HTML)",
    )
    check.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="with --format notebook: the feedback notebook to write, e.g. feedback.ipynb "
        "(its HTML rendering goes beside it: feedback-notebook.html)",
    )
    check.add_argument(
        "--data",
        type=Path,
        default=None,
        help="the public lab's data folder: grade the submission as that lab (see README)",
    )
    check.add_argument(
        "--python",
        default=None,
        help="interpreter that runs the student's code (default: this one)",
    )
    check.add_argument("--student", default=None, help="student id (default: the file stem)")
    check.add_argument(
        "--secret-file",
        type=Path,
        default=None,
        help=(
            f"the course secret that seeds the hidden searches (default: ${SECRET_FILE_ENV}; "
            "else the public practice secret, which predicts but does not reproduce a grade)"
        ),
    )
    check.add_argument(
        "--run-all-cells",
        action="store_true",
        help="run every cell, also those grading does not need (default: only the cells that "
        "can affect a graded name; the feedback lists the others)",
    )
    check.add_argument(
        "--require-isolation",
        action="store_true",
        help="refuse to grade unless bubblewrap's namespaces are available (exit code 2)",
    )
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Grade ``args.path`` and print it in ``args.format``; return the exit code."""
    # Imported here, not at the top: `grader` starts without the checks and the engine, so
    # `grader check` can start the student's worker while they load.
    if (args.format == "notebook") != (args.out is not None):
        Console(stderr=True).print("grader: --format notebook and --out FILE go together")
        return EXIT_USAGE
    try:
        secret = course_secret(args.secret_file)
    except ValueError as exc:
        Console(stderr=True).print(f"grader: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    assignment = load_assignment(args.assignment)
    if args.run_all_cells:
        assignment = replace(assignment, run_all_cells=True)
    refused, _ = isolation_problem(  # the report itself warns of a weaker layer
        args.require_isolation or assignment.require_isolation
    )
    if refused is not None:
        Console(stderr=True).print(f"grader: {refused}", markup=False, highlight=False)
        return EXIT_USAGE
    preload = _start_worker_early(args.path, assignment, args.python)
    from graders.checks.registry import validate_assignment
    from graders.engine import grade_path, lab_data_note, sandbox_config

    validate_assignment(assignment)
    config = replace(sandbox_config(assignment, data_dir=args.data), preload=preload)
    note = lab_data_note(assignment, args.data)
    if note is not None:
        Console(stderr=True).print(f"note: {note}", markup=False)
    if args.python:
        config = replace(config, python=args.python)
    result = grade_path(
        args.path, assignment, student=args.student, config=config, secret=secret or PRACTICE
    )
    if args.format == "json":
        sys.stdout.write(result.to_json())
    elif args.format == "markdown":
        sys.stdout.write(markdown.render(result))
    elif args.format == "notebook":
        from graders.report.notebook import write_feedback_notebook

        page = write_feedback_notebook(args.path, result, args.out)
        print(f"feedback notebook {args.out}; rendered {page}")
    else:
        terminal.render(result, Console())
        if secret is None:
            Console(stderr=True).print(
                "Hidden searches used the public practice secret: a course grade draws other "
                "hidden inputs (--secret-file reproduces one).",
                markup=False,
                highlight=False,
            )
    if result.status == "ungradable":
        return EXIT_USAGE
    return EXIT_FULL if result.score >= result.max_score else EXIT_PARTIAL


def _start_worker_early(path: Path, assignment: Assignment, python: str | None) -> tuple[str, ...]:
    """Start the zygote now, with what this submission's graded cells import, so that it
    imports numpy & co while this process imports the checks; return its preload list.

    One submission needs only its own imports (a batch preloads everything once instead): the
    cells slicing keeps, scanned for ``import`` statements.
    """
    cells = list(enumerate(code_of(path), 1))
    if not assignment.run_all_cells:
        kept = set(plan_cells(cells, [q.name for q in assignment.questions]).kept)
        cells = [cell for cell in cells if cell[0] in kept]
    preload = preload_for(source for _, source in cells)
    prestart(python or sys.executable, "auto", preload)
    return preload
