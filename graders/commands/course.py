"""``grader course init DIR --roster roster.csv [--assignment SLUG ...]``: create a course folder.

Exit codes: 0 created; 2 usage error (the folder is not empty, the roster is unusable, an
assignment is unknown). An existing course is never touched.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from graders.exitcodes import EXIT_FULL, EXIT_USAGE

_EPILOG = "exit codes: 0 course created, 2 usage error (nothing is overwritten)"


def add_parser(sub: Any) -> None:
    """Register ``course`` (and its ``init``) on the subparsers object ``sub``."""
    course = sub.add_parser(
        "course",
        help="create a course folder for the grading service (`grader course init`)",
        description="Manage the course folder that `grader serve` serves.",
    )
    actions = course.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="run `grader course ACTION --help`"
    )
    init = actions.add_parser(
        "init",
        help="create a course folder: database, course secret, one token per student",
        description=(
            "Create DIR with its database (the gradebook of `grader grade` plus the service's "
            "tables), the course secret of the hidden searches, DIR/course.toml (settings), "
            "DIR/tokens.csv (student_id,token: give each student their line) and "
            "DIR/instructor.token. Tokens are stored in the database as hashes only."
        ),
        epilog=_EPILOG,
    )
    init.add_argument("dir", type=Path, metavar="DIR", help="the course folder to create")
    init.add_argument(
        "--roster",
        type=Path,
        required=True,
        help="CSV with a student_id column (other columns, e.g. name and email, are kept)",
    )
    init.add_argument(
        "--assignment",
        action="append",
        default=[],
        metavar="SLUG",
        help="an assignment the course offers (repeat it; default: every available one)",
    )
    course.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Create the course folder; return the exit code."""
    from graders.service import CourseError, init_course

    err = Console(stderr=True)
    try:
        roster = init_course(args.dir, args.roster, args.assignment)
    except CourseError as exc:
        err.print(f"grader: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    print(f"course {args.dir}: {len(roster.ids)} students")
    print(f"  student tokens: {args.dir / 'tokens.csv'} (give each student their own line)")
    print(f"  instructor token: {args.dir / 'instructor.token'}")
    print(f"  settings: {args.dir / 'course.toml'}")
    print(f"serve it with: grader serve {args.dir}")
    return EXIT_FULL
