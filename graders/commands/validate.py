"""``grader validate [--assignment SLUG]``: the reference gets full marks, every sample grades as
expected, and every mutant of the reference is caught by the checks its catalogue names."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from graders.exitcodes import EXIT_FULL, EXIT_PARTIAL, EXIT_USAGE
from graders.spec import available_assignments, load_assignment

if TYPE_CHECKING:
    from graders.validate import AssignmentReport

EPILOG = (
    "exit codes: 0 the reference got full marks, every sample graded as expected and every "
    "mutant was caught; 1 something did not; 2 usage error or a malformed catalogue"
)


def add_parser(sub: Any) -> None:
    """Register ``validate`` on the subparsers object ``sub``."""
    parser = sub.add_parser(
        "validate",
        help="grade the reference, the samples and the mutant catalogue; all must come out right",
        description=(
            "Grade, through the real sandbox and checks: a submission built from reference/ "
            "(full marks expected), every sample in examples/ (its .expected.toml), and every "
            "mutant in mutants.toml (each must fail the checks it kills and pass the others)."
        ),
        epilog=EPILOG,
    )
    parser.add_argument(
        "--assignment",
        default=None,
        help="only this assignment: a slug, or the path of an assignment directory (default: all)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="submissions graded at once, each in its own process (default: %(default)s)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="also list every mutant with its verdict"
    )
    parser.add_argument(
        "--print-reference",
        action="store_true",
        help="print the source built from reference/ (what mutant edits apply to) and stop; "
        "needs --assignment",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Validate the chosen assignments; return 0 when every known answer held, else 1."""
    # Imported here, not at the top: `grader` starts without the checks and the engine, so
    # `grader check` can start the student's worker while they load.
    from graders.checks.registry import validate_assignment
    from graders.validate import (
        Verdict,
        build_reference_source,
        load_catalogue,
        validate,
    )
    console = Console()
    if not console.is_terminal:  # CI logs: no terminal width to fit, keep table rows whole
        console.width = max(console.width, 120)
    if args.jobs < 1:
        Console(stderr=True).print(f"grader validate: --jobs must be at least 1, got {args.jobs}")
        return EXIT_USAGE
    if args.print_reference and not args.assignment:
        Console(stderr=True).print("grader validate: --print-reference needs --assignment")
        return EXIT_USAGE
    slugs = [args.assignment] if args.assignment else list(available_assignments())
    assignments = [load_assignment(slug) for slug in slugs]
    for assignment in assignments:
        validate_assignment(assignment)
    if args.print_reference:
        append = load_catalogue(assignments[0], minimum=0).append
        sys.stdout.write(build_reference_source(assignments[0], append))
        return EXIT_FULL
    started = time.perf_counter()

    def progress(verdict: Verdict) -> None:
        mark = "ok" if verdict.ok else "[red]NOT OK[/red]"
        console.print(
            f"{verdict.slug} {verdict.kind} {verdict.name}: {mark} ({verdict.seconds:.1f} s)",
            style=None if not verdict.ok else "dim",
            highlight=False,
            soft_wrap=True,
        )

    reports = validate(assignments, workers=args.jobs, on_done=progress)
    elapsed = time.perf_counter() - started
    if args.verbose:
        for report in reports:
            console.print(_mutant_table(report))
    console.print(_summary_table(reports, elapsed))
    problems = [line for report in reports for line in report.problems()]
    for line in problems:
        console.print(f"[red]not as expected[/red] {line}", highlight=False, soft_wrap=True)
    return EXIT_FULL if not problems else EXIT_PARTIAL


def _summary_table(reports: list[AssignmentReport], elapsed: float) -> Table:
    table = Table(title=f"grader validate ({elapsed:.0f} s)")
    table.add_column("assignment", no_wrap=True)
    for column in ("reference", "samples ok", "mutants caught", "mutation score", "problems"):
        table.add_column(column, justify="right" if column != "reference" else "left")
    table.add_column("isolation")
    for report in reports:
        reference = report.of_kind("reference")
        samples = report.of_kind("sample")
        caught, total = report.mutation_score
        ref_cell = (
            "[green]full marks[/green]"
            if reference and all(v.ok for v in reference)
            else "[red]NOT full marks[/red]"
        )
        table.add_row(
            report.slug,
            ref_cell,
            f"{sum(v.ok for v in samples)} / {len(samples)}",
            f"{caught} / {total}",
            f"{100.0 * caught / total:.0f}%" if total else "-",
            str(len(report.problems())),
            ", ".join(sorted({v.isolation for v in report.verdicts})),
        )
    return table


def _mutant_table(report: AssignmentReport) -> Table:
    table = Table(title=f"{report.slug}: mutants")
    table.add_column("mutant", no_wrap=True)
    for column in ("caught", "score", "problems"):
        table.add_column(column)
    for verdict in report.of_kind("mutant"):
        table.add_row(
            verdict.name,
            "yes" if verdict.caught else "[red]no[/red]",
            f"{verdict.score:g} / {verdict.max_score:g}",
            "; ".join(verdict.problems) or "-",
        )
    return table
