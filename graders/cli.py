"""Command line entry point: ``grader check | samples | ...``.

Each subcommand lives in its own module under ``graders.commands`` (listed below, not
discovered). Exit codes are documented in ``graders.exitcodes`` and in ``grader --help``:
0 full marks, 1 graded below full marks, 2 usage error or ungradable submission, 3 internal error.
"""

from __future__ import annotations

import argparse
import traceback
from collections.abc import Sequence

from rich.console import Console

from graders.commands import check, grade, samples, validate
from graders.errors import SpecError
from graders.exitcodes import EPILOG, EXIT_INTERNAL, EXIT_USAGE

COMMANDS = (check, grade, samples, validate)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Grade MLE and logistic-regression assignments in an isolated sandbox.",
        epilog=EPILOG,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grader`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return int(args.run(args))
    except SpecError as exc:
        Console(stderr=True).print(f"grader: {exc}")
        return EXIT_USAGE
    except Exception:  # the last line of defence: report, never a bare crash
        traceback.print_exc()
        return EXIT_INTERNAL
