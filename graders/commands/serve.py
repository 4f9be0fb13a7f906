"""``grader serve DIR [--host 127.0.0.1] [--port 8000] [--jobs N] [--executor dask]``: serve a
course folder.

Runs the HTTP API (Uvicorn) and ``--jobs`` grading workers until interrupted. Submissions
acknowledged before a stop (even SIGKILL) are graded when the same folder is served again.
Exit codes: 0 stopped; 2 usage error (not a course folder, malformed settings).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from graders.exitcodes import EXIT_FULL, EXIT_USAGE

_EPILOG = "exit codes: 0 stopped, 2 usage error"


def add_parser(sub: Any) -> None:
    """Register ``serve`` on the subparsers object ``sub``."""
    serve = sub.add_parser(
        "serve",
        help="serve a course folder: the grading service's API and its grading workers",
        description=(
            "Serve the course folder DIR (made by `grader course init`): students submit with "
            "`grader submit` (or POST /api/submissions), the workers grade in the sandbox."
        ),
        epilog=_EPILOG,
    )
    serve.add_argument("dir", type=Path, metavar="DIR", help="the course folder")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default %(default)s: this machine only; 0.0.0.0 opens it "
        "to the network, behind an HTTPS proxy)",
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    serve.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="grading workers, each with its own grader process (default: the CPUs available)",
    )
    serve.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="where the workers grade: grader processes on this machine (local, the default) "
        "or a Dask cluster (dask; needs pip install -e '.[dask]'), --jobs tasks at a time",
    )
    serve.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --executor dask: the scheduler to use, e.g. tcp://10.0.0.5:8786 (default: "
        "a local cluster of --jobs worker processes)",
    )
    serve.add_argument(
        "--require-isolation",
        action="store_true",
        help="refuse to serve unless bubblewrap's namespaces are available (exit code 2; also "
        "`require_isolation = true` in course.toml or an assignment's spec)",
    )
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; return the exit code."""
    import uvicorn

    from graders.commands._shared import isolation_problem
    from graders.executors import Borrowed, default_jobs
    from graders.service import CourseError, open_course
    from graders.service.app import create_app
    from graders.service.queue import Workers, one_process
    from graders.spec import load_assignment

    err = Console(stderr=True)
    jobs = args.jobs if args.jobs is not None else default_jobs()
    if jobs < 1:
        err.print("grader: --jobs must be at least 1")
        return EXIT_USAGE
    if args.scheduler is not None and args.executor != "dask":
        err.print("grader: --scheduler needs --executor dask")
        return EXIT_USAGE
    try:
        course = open_course(args.dir)
    except CourseError as exc:
        err.print(f"grader: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    specs = [load_assignment(slug) for slug in course.settings.assignments]
    required = (
        args.require_isolation
        or course.settings.require_isolation
        or any(spec.require_isolation for spec in specs)
    )
    refused, warning = isolation_problem(required)
    if refused is not None:
        err.print(f"grader: {refused}", markup=False, highlight=False)
        return EXIT_USAGE
    if warning is not None:  # said once, at the start: every submission runs on that layer
        err.print(warning, markup=False, highlight=False)
    shared = None
    factory = one_process
    if args.executor == "dask":
        from graders.batch.shipping import dask_executor

        try:  # one cluster for every worker thread; the uploads travel as bytes
            shared = dask_executor(specs, scheduler=args.scheduler, workers=jobs)
        except (RuntimeError, OSError) as exc:  # not installed, or no scheduler there
            err.print(f"grader: {exc}", markup=False, highlight=False)
            return EXIT_USAGE
        lent = shared
        factory = lambda: Borrowed(lent)  # noqa: E731 -- the threads borrow, serve closes
    workers = Workers(course, jobs, executor=factory)
    app = create_app(course, workers)
    offered = ", ".join(course.settings.assignments)
    err.print(
        f"serving {args.dir} ({offered}) on http://{args.host}:{args.port} with {jobs} "
        "grading worker(s); Ctrl-C stops",
        markup=False,
        highlight=False,
    )
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        if shared is not None:
            shared.close()
    return EXIT_FULL
