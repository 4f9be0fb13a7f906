"""Course folders and API clients for the grading service's tests."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from graders.batch import GradeOutcome, GradeTask
from graders.executors import TaskOutcome
from graders.results import CheckResult, SubmissionResult
from graders.service import init_course, open_course
from graders.service.app import create_app
from graders.service.course import Course
from graders.spec import ASSIGNMENTS_DIR

EXAMPLES = ASSIGNMENTS_DIR / "mle" / "examples"
STUDENTS = ("ada", "alan", "grace")


@dataclass
class Served:
    """A course and a test client of its API (no workers: tests grade with grade_pending)."""

    course: Course
    client: TestClient
    tokens: dict[str, str]
    instructor: str

    def submit(
        self, student: str, path: Path, *, name: str | None = None, assignment: str = "mle"
    ) -> httpx.Response:
        return self.client.post(
            "/api/submissions",
            headers={"Authorization": f"Bearer {self.tokens[student]}"},
            data={"assignment": assignment},
            files={"file": (name or path.name, path.read_bytes())},
        )

    def get(self, url: str, who: str) -> httpx.Response:
        token = self.instructor if who == "instructor" else self.tokens[who]
        return self.client.get(url, headers={"Authorization": f"Bearer {token}"})


def make_course(folder: Path, settings: str = "") -> Path:
    """A course of three students offering ``mle``; ``settings`` lines replace the defaults."""
    roster = folder / "roster.csv"
    lines = ["student_id,name,email"] + [f"{s},{s.title()},{s}@example.org" for s in STUDENTS]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    root = folder / "course"
    init_course(root, roster, ["mle"])
    text = (root / "course.toml").read_text(encoding="utf-8")
    for line in settings.splitlines():  # `key = value` replaces the key's line
        key = line.split("=")[0].strip()
        text = re.sub(rf"^{re.escape(key)} = .*$", line, text, count=1, flags=re.M)
    (root / "course.toml").write_text(text, encoding="utf-8")
    return root


def tokens_of(root: Path) -> dict[str, str]:
    with (root / "tokens.csv").open(encoding="utf-8") as handle:
        return {row["student_id"]: row["token"] for row in csv.DictReader(handle)}


def serve(root: Path) -> Iterator[Served]:
    course = open_course(root)
    with TestClient(create_app(course)) as client:
        yield Served(
            course=course,
            client=client,
            tokens=tokens_of(root),
            instructor=(root / "instructor.token").read_text(encoding="utf-8").strip(),
        )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(make_course(tmp_path))


def full_marks(task: GradeTask) -> GradeOutcome:
    """A stand-in for grade_task: every submission gets 1 / 1 (nothing runs)."""
    return graded_with(task, (CheckResult("c", "q", "the check", "passed", 1.0, 1.0, ""),))


def graded_with(task: GradeTask, checks: tuple[CheckResult, ...]) -> GradeOutcome:
    """The outcome of grading ``task`` with these check results (nothing runs)."""
    result = SubmissionResult(
        student=task.student,
        assignment="mle",
        status="graded",
        checks=checks,
        isolation="none",
        notes=(),
        cell_reports=(),
        timings={},
        sha256="",
    )
    return TaskOutcome(task, result=result)
