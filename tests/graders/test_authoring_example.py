"""docs/authoring.md's worked example, run as written.

The blocks of the page marked ``# file:`` or ``# append to:`` become a temporary installed
package (a module and a ``.dist-info`` whose ``entry_points.txt`` declares it in the
``mle_grader.checks`` group) and a copy of the mle assignment with the new question and its
mutant. ``grader validate`` must then find the new checks, pass the reference on them and catch
the mutant; ``grader check`` on the mutant shows the message the page promises.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graders.spec import ASSIGNMENTS_DIR

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DOC = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
_BLOCK = re.compile(r"```(?:python|toml)\n# (file|append to): (\S+)\n(.*?)```", re.DOTALL)
_MESSAGE = re.compile(r"```text\n(.*?)```", re.DOTALL)
NEW_CHECKS = ("log_sigmoid_matches_reference", "log_sigmoid_is_stable_for_large_inputs")

pytestmark = pytest.mark.slow


def _grader(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from graders.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The page's blocks on disk: ``site`` (the package) and ``assignments`` (the copy)."""
    root = tmp_path_factory.mktemp("authoring")
    site, assignments = root / "site", root / "assignments"
    shutil.copytree(
        ASSIGNMENTS_DIR / "mle",
        assignments / "mle",
        ignore=shutil.ignore_patterns("examples", "*.ipynb", "starter.py"),
    )
    (assignments / "mle" / "examples").mkdir()  # the samples are validated elsewhere
    blocks = _BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert [(kind, path) for kind, path, _ in blocks] == [
        ("file", "course_checks/log_sigmoid.py"),
        ("file", "pyproject.toml"),
        ("append to", "mle/assignment.toml"),
        ("append to", "mle/mutants.toml"),
    ]
    for kind, path, text in blocks:
        if path == "pyproject.toml":
            points = tomllib.loads(text)["project"]["entry-points"]
            info = site / "course_checks-0.1.dist-info"
            info.mkdir(parents=True)
            (info / "METADATA").write_text(
                "Metadata-Version: 2.1\nName: course-checks\nVersion: 0.1\n", encoding="utf-8"
            )
            lines = [
                line
                for group, entries in points.items()
                for line in (f"[{group}]", *(f"{k} = {v}" for k, v in entries.items()))
            ]
            (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        elif kind == "file":
            target = site / path
            target.parent.mkdir(parents=True, exist_ok=True)
            (target.parent / "__init__.py").touch()
            target.write_text(text, encoding="utf-8")
        else:
            with (assignments / path).open("a", encoding="utf-8") as handle:
                handle.write("\n" + text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env["COLUMNS"] = "200"  # rich fits its tables to the width: keep rows whole
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    without = dict(env, PYTHONPATH=os.environ.get("PYTHONPATH", ""))
    return {"root": root, "assignments": assignments, "env": env, "without": without}


def test_without_the_package_the_new_checks_are_unknown(course: dict[str, Any]) -> None:
    done = _grader(
        "validate", "--assignments", str(course["assignments"]), "--assignment", "mle",
        env=course["without"], cwd=course["root"],
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"unknown check ids: {', '.join(NEW_CHECKS)}" in " ".join(done.stderr.split())


def test_validate_finds_the_checks_passes_the_reference_and_catches_the_mutant(
    course: dict[str, Any],
) -> None:
    done = _grader(
        "validate", "--assignments", str(course["assignments"]), "--assignment", "mle",
        "--verbose", "--jobs", "2",
        env=course["env"], cwd=course["root"],
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "mle reference reference: ok" in output
    assert "mle mutant log-sigmoid-unguarded: ok" in output
    assert re.search(r"│ mle\s+│ full marks\s+│\s+0 / 0\s+│\s+20 / 20 │", output), output


def test_the_mutant_fails_the_stability_check_with_the_message(course: dict[str, Any]) -> None:
    where = ["--assignments", str(course["assignments"]), "--assignment", "mle"]
    built = _grader("validate", *where, "--print-reference", env=course["env"], cwd=course["root"])
    assert built.returncode == 0, built.stderr
    mutants = tomllib.loads((course["assignments"] / "mle" / "mutants.toml").read_text())
    (edit,) = next(m for m in mutants["mutants"] if m["id"] == "log-sigmoid-unguarded")["edits"]
    assert built.stdout.count(edit["old"]) == 1
    wrong = course["root"] / "log_sigmoid_unguarded.py"
    wrong.write_text(built.stdout.replace(edit["old"], edit["new"]), encoding="utf-8")

    done = _grader("check", *where, "--format", "json", str(wrong), env=course["env"],
                   cwd=course["root"])
    assert done.returncode == 1, done.stderr  # graded below full marks
    tests = {t["extra_data"]["check_id"]: t for t in json.loads(done.stdout)["tests"]}
    assert tests[NEW_CHECKS[0]]["status"] == "passed"
    failed = tests[NEW_CHECKS[1]]
    assert failed["status"] == "failed"
    (promised,) = _MESSAGE.findall(DOC.read_text(encoding="utf-8"))
    lines = failed["output"].splitlines()
    for shown, line in zip(promised.splitlines(), lines, strict=False):
        assert line.startswith(shown.removesuffix(" ...")), (shown, line)
    assert all(t["status"] == "passed" for i, t in tests.items() if i != NEW_CHECKS[1])
