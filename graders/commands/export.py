"""``grader export gradescope --assignment SLUG --out autograder.zip``: deploy on Gradescope."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from rich.console import Console

from graders.commands._shared import course_secret
from graders.exitcodes import EXIT_INTERNAL, EXIT_USAGE
from graders.hidden import SECRET_FILE_ENV, CourseSecret
from graders.spec import load_assignment


def add_parser(sub: Any) -> None:
    """Register ``export`` on the subparsers object ``sub``."""
    export = sub.add_parser(
        "export",
        help="package an assignment for another platform (Gradescope)",
        description="Package an assignment as a Gradescope autograder zip: setup.sh installs "
        "bubblewrap and this grader from a wheel inside the zip; run_autograder grades the "
        "student's notebook or module and writes results.json, with the course secret's hidden "
        "searches. Upload the zip as a Gradescope programming assignment's autograder.",
    )
    export.add_argument("target", choices=("gradescope",), help="the platform: gradescope")
    export.add_argument("--assignment", required=True, help="assignment slug, e.g. mle")
    export.add_argument(
        "--out",
        type=Path,
        default=Path("autograder.zip"),
        metavar="ZIP",
        help="the zip to write (default: autograder.zip)",
    )
    export.add_argument(
        "--secret-file",
        type=Path,
        default=None,
        help=f"the course secret for the hidden searches (default: ${SECRET_FILE_ENV}; else a "
        "new one, saved beside the zip as ZIP.secret so that `grader grade --secret-file` "
        "grades the same way)",
    )
    export.add_argument(
        "--wheel",
        type=Path,
        default=None,
        help="a built wheel of mle-grader to bundle (default: build one from the grader's "
        "source tree)",
    )
    export.add_argument(
        "--data",
        type=Path,
        default=None,
        help="the public lab's data folder: its optional data files go into the zip",
    )
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the zip; return the exit code."""
    from graders.export.gradescope import ExportError, build_autograder

    err = Console(stderr=True)
    try:
        secret = course_secret(args.secret_file)
    except ValueError as exc:
        err.print(f"grader: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    if args.wheel is not None and not args.wheel.is_file():
        err.print(f"grader: no wheel at {args.wheel}", markup=False, highlight=False)
        return EXIT_USAGE
    assignment = load_assignment(args.assignment)
    from graders.checks.registry import validate_assignment

    validate_assignment(assignment)  # a spec naming unknown checks fails here, not on Gradescope
    saved: Path | None = None
    if secret is None:
        secret = CourseSecret.generate()
        saved = args.out.with_name(args.out.name + ".secret")
        saved.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(saved, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secret.to_text() + "\n")
    try:
        built = build_autograder(
            assignment, args.out, secret=secret, wheel=args.wheel, data_dir=args.data
        )
    except ExportError as exc:
        err.print(f"grader: {exc}", markup=False, highlight=False)
        return EXIT_INTERNAL
    out = Console()
    out.print(
        f"wrote {built.path} ({built.size / 1e6:.1f} MB, {len(built.files)} files) for "
        f"{assignment.slug!r} with grader wheel {built.wheel}",
        markup=False,
        highlight=False,
    )
    if saved is not None:
        out.print(
            f"a new course secret is in {saved} (keep it private; pass it as --secret-file to "
            "`grader grade` to grade the same way)",
            markup=False,
            highlight=False,
        )
    out.print(
        "On Gradescope: a programming assignment, Configure Autograder, upload this zip "
        "(base image Ubuntu 22.04 or later).",
        markup=False,
        highlight=False,
    )
    return 0
