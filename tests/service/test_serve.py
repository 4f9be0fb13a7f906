"""``grader serve`` as a real process: killed mid-queue and restarted, and ``grader submit``.

The server is killed with SIGKILL right after it acknowledged three submissions, wherever its
grading is; whatever that moment, once the same folder is served again every acknowledged
submission is graded and recorded exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graders.gradebook import Gradebook
from graders.service.client import FINISHED, ServiceError, request_json, submit
from graders.service.store import Store
from tests.service.conftest import EXAMPLES, STUDENTS, make_course, tokens_of

pytestmark = pytest.mark.slow

_GRADER = [sys.executable, "-c", "from graders.cli import run; run()"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(root: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [*_GRADER, "serve", str(root), "--port", str(port), "--jobs", "1"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # ready once it answers (a start-up, not a timing)
        try:
            request_json(f"http://127.0.0.1:{port}/api/health", "-")
            return process
        except ServiceError:
            if process.poll() is not None:
                raise AssertionError(log.read_text()) from None
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the server did not start: {log.read_text()}")


def _stop(process: subprocess.Popen[bytes], how: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.kill(process.pid, how)
    process.wait(timeout=30)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return make_course(tmp_path)


@pytest.fixture
def server(course: Path, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    process = _start(course, port, tmp_path / "serve.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def _all_finished(url: str, instructor: str, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        listed = request_json(f"{url}/api/submissions", instructor)
        if len(listed) == count and all(a["status"] in FINISHED for a in listed):
            return list(listed)
        time.sleep(0.2)
    raise AssertionError(f"not all graded: {listed}")


def test_a_server_killed_mid_queue_grades_every_acknowledged_submission_once(
    course: Path, tmp_path: Path
) -> None:
    tokens = tokens_of(course)
    instructor = (course / "instructor.token").read_text(encoding="utf-8").strip()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    first = _start(course, port, log)
    try:
        acknowledged = [submit(url, tokens[s], EXAMPLES / "solution.py", "mle") for s in STUDENTS]
    finally:
        _stop(first, signal.SIGKILL)
    at_kill = Store(course / "gradebook.sqlite").rows(
        "SELECT status FROM service_attempts ORDER BY id"
    )
    print("statuses when killed:", at_kill)  # usually queued and grading: nothing graded yet
    second = _start(course, port, log)
    try:
        finished = _all_finished(url, instructor, len(acknowledged))
    finally:
        _stop(second)
    assert sorted(a["id"] for a in finished) == sorted(acknowledged)
    assert {a["status"] for a in finished} == {"graded"}
    with Gradebook(course / "gradebook.sqlite") as book:
        rows = book.rows("SELECT student, writes, score FROM submissions ORDER BY student")
    assert rows == [(s, 1, 12.0) for s in sorted(STUDENTS)]
    gradings = Store(course / "gradebook.sqlite").rows(
        "SELECT gradings FROM service_attempts ORDER BY id"
    )
    assert gradings == [(1,)] * len(STUDENTS)


@pytest.mark.parametrize(
    ("sample", "code", "score"), [("solution.py", 0, "12 / 12"), ("ddof1.py", 1, "10 / 12")]
)
def test_grader_submit_prints_the_report_with_checks_exit_code(
    server: str, course: Path, sample: str, code: int, score: str
) -> None:
    token = tokens_of(course)["ada"]
    run = subprocess.run(
        [*_GRADER, "submit", str(EXAMPLES / sample), "--assignment", "mle"]
        + ["--server", server, "--token", token],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == code, run.stderr
    assert "mle — ada" in run.stdout
    assert f"Score: {score}" in run.stdout
    assert "submitted as #" in run.stderr


def test_grader_submit_says_why_an_upload_is_refused(server: str, course: Path) -> None:
    run = subprocess.run(
        [*_GRADER, "submit", str(EXAMPLES / "solution.expected.toml"), "--assignment", "mle"]
        + ["--server", server, "--token", tokens_of(course)["ada"]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "the service refused (422): only .py modules and .ipynb notebooks" in run.stderr
    bad = subprocess.run(
        [*_GRADER, "submit", str(EXAMPLES / "solution.py"), "--assignment", "mle"]
        + ["--server", server, "--token", "wrong"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "the service refused (401)" in bad.stderr
