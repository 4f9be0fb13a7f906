"""A batch's submissions and output folders are hidden from every student's code, on both layers.

The folders stand where the worker would see them: inside a directory its interpreter needs
(``describe_interpreter`` is told so), as a course folder inside a conda prefix or a venv would
be. Alice's submission copies Bob's solution from the submissions folder (full marks if it can
read it) and tries to write into the output folder; neither may work.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from graders.batch import grade_cohort
from graders.sandbox import isolation
from graders.spec import load_assignment
from tests.graders.test_batch import CORRECT, TINY_SPEC

ALICE = """\
import os
COURSE = {course!r}
try:
    with open(os.path.join(COURSE, "subs", "bob.py"), encoding="utf-8") as stolen:
        exec(stolen.read())  # Bob's sigmoid, if it can be read
except OSError as exc:
    print("read:", exc)
for target in ("out/pwned.txt", "out/bob/results.json"):
    try:
        with open(os.path.join(COURSE, target), "w", encoding="utf-8") as planted:
            planted.write("planted by alice")
    except OSError as exc:
        print("write:", exc)
"""


@pytest.mark.parametrize("layer", ["bwrap", "process"])
def test_a_submission_cannot_read_a_sibling_or_write_the_output(
    layer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if layer == "bwrap" and isolation._bwrap_status()[1] is not None:
        pytest.skip(f"bubblewrap does not work here: {isolation._bwrap_status()[1]}")
    monkeypatch.setenv(isolation.ISOLATION_ENV, layer)  # the batch asks for "auto"
    course = tmp_path / "course"
    (course / "subs").mkdir(parents=True)
    os.chmod(tmp_path, 0o755)
    os.chmod(course, 0o755)
    (course / "subs" / "bob.py").write_text(CORRECT, encoding="utf-8")
    (course / "subs" / "alice.py").write_text(ALICE.format(course=str(course)), encoding="utf-8")
    spec_dir = tmp_path / "tiny-sigmoid"
    spec_dir.mkdir()
    (spec_dir / "assignment.toml").write_text(TINY_SPEC, encoding="utf-8")
    real = isolation.describe_interpreter

    def with_course(python: str) -> isolation.InterpreterInfo:
        info = real(python)  # the course folder lies in what the worker may read
        return dataclasses.replace(info, directories=(*info.directories, str(course)))

    monkeypatch.setattr(isolation, "describe_interpreter", with_course)
    out = course / "out"
    assignment = load_assignment(spec_dir)
    report = grade_cohort(course / "subs", assignment, out, jobs=1, plots=False)
    assert report.internal_errors == ()
    scores = {
        name: json.loads((out / name / "results.json").read_text(encoding="utf-8"))["score"]
        for name in ("alice", "bob")
    }
    assert scores == {"alice": 0, "bob": assignment.max_score}, scores
    assert not (out / "pwned.txt").exists()
    assert "planted" not in (out / "bob" / "results.json").read_text(encoding="utf-8")
