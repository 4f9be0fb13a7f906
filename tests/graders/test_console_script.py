"""The ``grader`` console script exits quickly, and still cleans up as a normal exit would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.graders.grading import MLE, assignment

SOLUTION = assignment(MLE).directory / "examples" / "solution.py"
SCRIPT = [sys.executable, "-c", "from graders.cli import run; run()"]


def _script_marking_exit(mark: Path) -> list[str]:
    """The script, with one more exit handler that leaves ``mark`` when it runs."""
    code = (
        "import atexit, pathlib\n"
        f"atexit.register(lambda: pathlib.Path({str(mark)!r}).write_text('ran'))\n"
        "from graders.cli import run\n"
        "run()\n"
    )
    return [sys.executable, "-c", code]


def test_the_script_prints_everything_and_leaves_nothing_behind(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    mark = tmp_path / "exit-handlers-ran"
    done = subprocess.run(
        [
            *_script_marking_exit(mark),
            "check",
            str(SOLUTION),
            "--assignment",
            MLE,
            "--format",
            "json",
        ],
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # all of it, flushed before the quick exit
    assert document["score"] == document["max_score"]
    # The exit handlers ran (the zygotes' shutdown is one), and no private folder is left.
    assert mark.read_text() == "ran"
    assert list(scratch.iterdir()) == []


def test_the_scripts_exit_code_is_mains(tmp_path: Path) -> None:
    done = subprocess.run(
        [*SCRIPT, "check", str(tmp_path / "nowhere.py"), "--assignment", MLE],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
