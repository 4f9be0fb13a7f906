"""Command line entry point: ``grader check | samples | ...``.

Each subcommand lives in its own module under ``graders.commands`` (listed below, not
discovered). Exit codes are documented in ``graders.exitcodes`` and in ``grader --help``:
0 full marks, 1 graded below full marks, 2 usage error or ungradable submission, 3 internal error.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from rich.console import Console

from graders.commands import check, course, export, grade, samples, serve, submit, validate
from graders.errors import SandboxError, SpecError
from graders.exitcodes import EPILOG, EXIT_INTERNAL, EXIT_USAGE
from graders.sandbox.isolation import forced_layer
from graders.spec import ASSIGNMENTS_ENV

COMMANDS = (check, grade, samples, validate, export, course, serve, submit)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Grade MLE and logistic-regression assignments in an isolated sandbox.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="run `grader COMMAND --help`"
    )
    for command in COMMANDS:
        command.add_parser(sub)
    for command_parser in sub.choices.values():  # every command finds assignments the same way
        command_parser.add_argument(
            "--assignments",
            type=Path,
            metavar="DIR",
            default=None,
            help=f"folder holding <slug>/assignment.toml folders (default: ${ASSIGNMENTS_ENV} "
            "if set, else the assignments bundled with the grader)",
        )
    return parser


def _version() -> str:
    """The installed distribution's version (a source tree without metadata says so)."""
    try:
        return metadata.version("mle-grader")
    except metadata.PackageNotFoundError:
        return "(not installed)"


@contextmanager
def _assignments_from(folder: Path | None) -> Iterator[None]:
    """Point slugs at ``folder`` for this command (and the grader processes it starts)."""
    if folder is None:
        yield
        return
    before = os.environ.get(ASSIGNMENTS_ENV)
    os.environ[ASSIGNMENTS_ENV] = str(folder.expanduser().resolve())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ASSIGNMENTS_ENV, None)
        else:
            os.environ[ASSIGNMENTS_ENV] = before


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grader`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        forced_layer()  # a misspelt GRADER_ISOLATION is the caller's mistake, said before grading
    except SandboxError as exc:
        Console(stderr=True).print(f"grader: {exc}")
        return EXIT_USAGE
    try:
        with _assignments_from(args.assignments):
            return int(args.run(args))
    except SpecError as exc:
        Console(stderr=True).print(f"grader: {exc}")
        return EXIT_USAGE
    except Exception:  # the last line of defence: report, never a bare crash
        traceback.print_exc()
        return EXIT_INTERNAL


def run() -> None:
    """The ``grader`` console script: :func:`main`, then a quick exit.

    Once the exit code is known, what is left is tearing numpy, pandas and Hypothesis down module
    by module: about 0.4 s of a cold ``grader check``, for nothing. So the script waits for any
    non-daemon thread, runs the exit handlers (the zygotes' shutdown, private folders), flushes
    its output and leaves with ``os._exit``. ``main`` itself (as tests call it) is unchanged.
    """
    code = main()
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`grader check | head`): nothing to keep
            pass
    os._exit(code)
