"""``grader samples``: grade every bundled sample submission and compare with its expectation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from graders.checks.registry import validate_assignment
from graders.engine import grade_path, sandbox_config
from graders.exitcodes import EXIT_FULL, EXIT_PARTIAL
from graders.report import markdown
from graders.samples import iter_samples, mismatches
from graders.spec import available_assignments, load_assignment


def add_parser(sub: Any) -> None:
    """Register ``samples`` on the subparsers object ``sub``."""
    samples = sub.add_parser(
        "samples",
        help="grade every bundled sample submission and compare with its expected outcome",
        epilog="exit codes: 0 every sample graded as expected, 1 some did not, 2 usage error",
    )
    samples.add_argument("--assignment", default=None, help="only this assignment (default: all)")
    samples.add_argument(
        "--out",
        type=Path,
        default=Path("grading-output"),
        help="where results.json and feedback files go (default: %(default)s)",
    )
    samples.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Grade every bundled sample; exit 0 when each graded as its expectation says."""
    console = Console()
    slugs = [args.assignment] if args.assignment else list(available_assignments())
    table = Table(title="Bundled samples")
    for column in ("assignment", "samples", "as expected", "mean score", "isolation"):
        table.add_column(column)
    failures: list[str] = []
    for slug in slugs:
        assignment = load_assignment(slug)
        validate_assignment(assignment)
        config = sandbox_config(assignment)
        scores: list[float] = []
        isolation: set[str] = set()
        matched = total = 0
        for path, expected in iter_samples(assignment):
            total += 1
            console.print(f"grading {slug}/{path.name} ...", style="dim")
            result = grade_path(path, assignment, config=config)
            folder = args.out / slug / path.stem
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "results.json").write_text(result.to_json(), encoding="utf-8")
            (folder / "feedback.md").write_text(markdown.render(result), encoding="utf-8")
            problems = mismatches(result, assignment, expected)
            matched += not problems
            failures += [f"{slug}/{path.name}: {p}" for p in problems]
            scores.append(result.score)
            isolation.add(result.isolation)
        mean = sum(scores) / len(scores) if scores else 0.0
        table.add_row(
            slug,
            str(total),
            f"{matched} / {total}",
            f"{mean:.1f} / {assignment.max_score:g}",
            ", ".join(sorted(isolation)),
        )
    console.print(table)
    for line in failures:
        console.print(f"[red]not as expected[/red] {line}")
    console.print(f"Results and feedback: {args.out}/<assignment>/<sample>/")
    return EXIT_FULL if not failures else EXIT_PARTIAL
