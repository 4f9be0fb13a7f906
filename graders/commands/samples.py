"""``grader samples``: grade every bundled sample submission and compare with its expectation.

Each assignment's ``examples/`` folder is graded as a cohort with the batch machinery
(``graders.batch``, in parallel with ``--jobs``), so the output folder holds, per assignment, what
``grader grade`` produces: a gradebook, ``grades.csv``, ``summary.html`` and, per sample,
``results.json``, ``feedback.html`` (and ``feedback.md``). Samples are always regraded: the point
is to check the grader against the expectations, not to reuse earlier grades.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from graders.executors import default_jobs
from graders.exitcodes import EXIT_FULL, EXIT_PARTIAL
from graders.gradebook import Gradebook
from graders.hidden import PRACTICE
from graders.report import markdown
from graders.report.progress import console_reporter
from graders.spec import available_assignments, load_assignment


def add_parser(sub: Any) -> None:
    """Register ``samples`` on the subparsers object ``sub``."""
    samples = sub.add_parser(
        "samples",
        help="grade every bundled sample submission and compare with its expected outcome",
        description="Grade every sample submission of the bundled assignments "
        "(assignments/<slug>/examples/) with the batch machinery of `grader grade`, check each "
        "against its <sample>.expected.toml, and write the gradebooks, summaries and feedback "
        "to --out.",
        epilog="exit codes: 0 every sample graded as expected, 1 some did not, 2 usage error",
    )
    samples.add_argument("--assignment", default=None, help="only this assignment (default: all)")
    samples.add_argument(
        "--out",
        type=Path,
        default=Path("grading-output"),
        help="where results.json and feedback files go (default: %(default)s)",
    )
    samples.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="grader processes working in parallel (default: the CPUs available, %(default)s)",
    )
    samples.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Grade every bundled sample; exit 0 when each graded as its expectation says."""
    # Imported here, not at the top: `grader` starts without the checks and the engine, so
    # `grader check` can start the student's worker while they load.
    from graders.batch import discover, grade_cohort
    from graders.checks.registry import validate_assignment
    from graders.samples import load_expectation, mismatches
    console = Console()
    slugs = [args.assignment] if args.assignment else list(available_assignments())
    table = Table(title="Bundled samples")
    for column in ("assignment", "samples", "as expected", "mean score", "isolation"):
        table.add_column(column)
    failures: list[str] = []
    for slug in slugs:
        assignment = load_assignment(slug)
        validate_assignment(assignment)
        examples = assignment.directory / "examples"
        out = args.out / slug
        console.print(f"[bold]{slug}[/bold]")
        reporter = console_reporter(console)
        report = grade_cohort(
            examples,
            assignment,
            out,
            jobs=max(args.jobs, 1),
            force=True,
            reporter=reporter,
            secret=PRACTICE,  # as `grader validate` grades the samples: the same verdicts
        )
        matched = 0
        isolation: set[str] = set()
        with Gradebook(out / "gradebook.sqlite") as book:
            for item in discover(examples, exclude=[out]).files:
                result = book.result(slug, item.student)
                if result is None:  # an internal error: reported below, not as expected
                    failures.append(f"{slug}/{item.relative}: not graded (internal error)")
                    continue
                (out / item.student / "feedback.md").write_text(
                    markdown.render(result), encoding="utf-8"
                )
                problems = mismatches(result, assignment, load_expectation(item.path))
                matched += not problems
                failures += [f"{slug}/{item.relative}: {p}" for p in problems]
                isolation.add(result.isolation)
        summary = report.summary
        mean = summary.mean if summary.mean is not None else 0.0
        table.add_row(
            slug,
            str(report.found),
            f"{matched} / {report.found}",
            f"{mean:.1f} / {assignment.max_score:g}",
            ", ".join(sorted(isolation)),
        )
    console.print(table)
    for line in failures:
        console.print(f"[red]not as expected[/red] {line}")
    console.print(
        f"Results and feedback: {args.out}/<assignment>/<sample>/; "
        f"cohort summaries: {args.out}/<assignment>/summary.html"
    )
    return EXIT_FULL if not failures else EXIT_PARTIAL
