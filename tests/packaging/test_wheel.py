"""The grader as instructors install it: a wheel in a fresh virtual environment, run from ``/``.

A wheel carries no source tree, so this proves the assignments travel as package data and that
nothing is found relative to a checkout. Slow (it installs numpy, pandas, scikit-learn ... into a
new venv, from pip's cache when there is one), so it builds and installs once per session.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

import graders

REPO = Path(graders.__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(
    argv: list[str], cwd: Path | str, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``grader`` script of a fresh venv holding only the wheel built from this tree."""
    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("not a source checkout: there is no wheel to build")
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a copy, so the build writes nothing into the checkout
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(".venv", ".git", "*.egg-info", "build", "__pycache__"),
    )
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", "dist", "."], source
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (source / "dist").glob("mle_grader-*.whl")
    environment = root / "venv"
    venv.create(environment, with_pip=True)
    pip = _run([str(environment / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], "/")
    assert pip.returncode == 0, pip.stderr[-3000:]
    yield environment / "bin" / "grader"


def test_the_wheel_carries_no_source_tree_and_finds_its_assignments(installed: Path) -> None:
    python = installed.parent / "python"
    where = _run(
        [
            str(python),
            "-c",
            "import graders, graders.spec as s; "
            "print(graders.__file__); print(s.available_assignments())",
        ],
        "/",
    )
    assert where.returncode == 0, where.stderr
    location, slugs = where.stdout.splitlines()
    assert "site-packages" in location and not location.startswith(str(REPO))
    for slug in (
        "gradient-descent",
        "logistic-regression-from-scratch",
        "mle",
        "model-comparisons",
    ):
        assert slug in slugs


def test_the_wheel_grades_a_sample_from_the_root_folder(installed: Path, tmp_path: Path) -> None:
    sample = tmp_path / "solution.py"
    shutil.copy(REPO / "assignments" / "mle" / "examples" / "solution.py", sample)
    done = _run(
        [str(installed), "check", str(sample), "--assignment", "mle", "--format", "json"], "/"
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    document = json.loads(done.stdout)
    assert document["max_score"] > 0 and document["score"] == document["max_score"]


def test_the_wheel_runs_the_main_job_from_the_root_folder(installed: Path, tmp_path: Path) -> None:
    out = tmp_path / "grading-output"
    done = _run([str(installed), "samples", "--assignment", "mle", "--out", str(out)], "/")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (out / "mle" / "grades.csv").is_file()
    summary = (out / "mle" / "summary.html").read_text(encoding="utf-8")
    assert "<style>" in summary and "Shared mistakes" in summary  # the shipped templates
    feedback = (out / "mle" / "solution" / "feedback.html").read_text(encoding="utf-8")
    assert "<h2>Overview</h2>" in feedback
