"""``grader submit FILE --assignment SLUG --server URL --token TOKEN``: grade on the service.

Uploads the file, waits for its grade and prints the same report as ``grader check`` (what the
course lets a student see of it), with the same exit codes: 0 full marks, 1 graded below full
marks, 2 usage error, refused upload or ungradable submission, 3 the grader failed on it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from rich.console import Console

from graders.exitcodes import EPILOG, EXIT_FULL, EXIT_INTERNAL, EXIT_PARTIAL, EXIT_USAGE

TOKEN_ENV = "GRADER_TOKEN"
"""Environment variable holding the token, the default of ``--token``."""


def add_parser(sub: Any) -> None:
    """Register ``submit`` on the subparsers object ``sub``."""
    submit = sub.add_parser(
        "submit",
        help="submit a .py or .ipynb to the course's grading service and print its report",
        description=(
            "Upload FILE to the grading service, wait for its grade and print the report of "
            "`grader check` (hidden checks show their points only). Every submission is kept."
        ),
        epilog=EPILOG,
    )
    submit.add_argument("path", type=Path, metavar="FILE", help="your .py module or .ipynb")
    submit.add_argument("--assignment", required=True, help="assignment slug, e.g. mle")
    submit.add_argument(
        "--server", required=True, help="the service's address, e.g. http://127.0.0.1:8000"
    )
    submit.add_argument(
        "--token",
        default=None,
        help=f"your token from the instructor (default: ${TOKEN_ENV})",
    )
    submit.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds to wait for the grade (default %(default)s; the submission stays queued)",
    )
    submit.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Submit, wait, print the report; return the exit code."""
    from graders.report import terminal
    from graders.service.client import ServiceError, result_from_document, submit, wait

    err = Console(stderr=True)
    token = args.token or os.environ.get(TOKEN_ENV, "")
    if not token:
        err.print(f"grader: give your token with --token or ${TOKEN_ENV}")
        return EXIT_USAGE
    if not args.path.is_file():
        err.print(f"grader: no such file: {args.path}", markup=False, highlight=False)
        return EXIT_USAGE
    try:
        attempt = submit(args.server, token, args.path, args.assignment)
        err.print(f"submitted as #{attempt}; waiting for the grade...", highlight=False)
        reply = wait(args.server, token, attempt, timeout=args.timeout)
        if reply["status"] == "error":
            err.print(f"grader: {reply.get('message', 'the grader failed')}", markup=False)
            return EXIT_INTERNAL
        result = result_from_document(reply["results"])
    except ServiceError as exc:
        err.print(f"grader: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    terminal.render(result, Console())
    if result.status == "ungradable":
        return EXIT_USAGE
    return EXIT_FULL if result.score >= result.max_score else EXIT_PARTIAL
