"""What a killed grader leaves in /tmp is removed by the next one, and nothing else is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graders.sandbox import leftovers

AN_HOUR_AGO = time.time() - 2 * 3600


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def left_behind(root: Path, pid: int, *, age: float = AN_HOUR_AGO, kind: str = "sandbox") -> Path:
    """A directory shaped like a session's: a read-only code dir and a scratch dir."""
    folder = root / f"grader-{kind}-{pid}-abc123"
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "worker.py").write_text("# worker\n")
    (folder / "code" / "worker.py").chmod(0o444)
    (folder / "code").chmod(0o555)
    (folder / "scratch").mkdir()
    (folder / "scratch" / "data.csv").write_text("x\n1\n")
    os.utime(folder, (age, age))
    return folder


def test_directories_of_dead_graders_are_removed(tmp_path: Path) -> None:
    pid = dead_pid()
    sandbox = left_behind(tmp_path, pid)
    zygote = left_behind(tmp_path, pid, kind="zygote")
    assert sorted(leftovers.sweep(tmp_path)) == sorted([sandbox, zygote])
    assert not sandbox.exists() and not zygote.exists()


def test_recent_directories_and_those_of_live_graders_stay(tmp_path: Path) -> None:
    recent = left_behind(tmp_path, dead_pid(), age=time.time())
    ours = left_behind(tmp_path, os.getpid())
    parent = left_behind(tmp_path, os.getppid())
    unrelated = tmp_path / "grader-validate-123-x"
    unrelated.mkdir()
    os.utime(unrelated, (AN_HOUR_AGO, AN_HOUR_AGO))
    assert leftovers.sweep(tmp_path) == []
    assert recent.exists() and ours.exists() and parent.exists() and unrelated.exists()


def test_a_link_named_like_a_leftover_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    link = tmp_path / f"grader-sandbox-{dead_pid()}-link"
    link.symlink_to(target)
    os.utime(link, (AN_HOUR_AGO, AN_HOUR_AGO), follow_symlinks=False)
    assert leftovers.sweep(tmp_path) == []
    assert (target / "keep.txt").read_text() == "keep"


@pytest.mark.skipif(os.getuid() != 0, reason="needs a directory owned by another user")
def test_directories_of_other_users_stay(tmp_path: Path) -> None:
    foreign = left_behind(tmp_path, dead_pid())
    os.chown(foreign, 65534, 65534)
    assert leftovers.sweep(tmp_path) == []
    assert foreign.exists()


KILLED_GRADER = """
import sys, time
from pathlib import Path
from graders.load import Cell, Submission
from graders.sandbox import WorkerSession

submission = Submission(
    path=Path("s.py"), kind="py", sha256="0" * 64, cells=(Cell(1, "x = 1\\n"),)
)
session = WorkerSession(submission)
print(session._resources.root, flush=True)
time.sleep(600)
"""


def test_what_a_sigkilled_grader_left_is_swept_by_the_next(tmp_path: Path) -> None:
    environment = {**os.environ, "TMPDIR": str(tmp_path)}
    grader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED_GRADER)],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
        start_new_session=True,
    )
    try:
        assert grader.stdout is not None
        root = Path(grader.stdout.readline().strip())
        assert root.parent == tmp_path and root.name.startswith(f"grader-sandbox-{grader.pid}-")
    finally:
        os.killpg(grader.pid, signal.SIGKILL)  # no cleanup runs: the directory stays
        grader.wait()
    assert root.is_dir()
    deadline = time.monotonic() + 10
    while leftovers.sweep(tmp_path, min_age=0) == [] and time.monotonic() < deadline:
        time.sleep(0.1)  # the zygote and its workers die with the grader, not instantly
    assert not root.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("grader-")]
