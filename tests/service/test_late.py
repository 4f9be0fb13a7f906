"""The late policy: points kept per day late, said in a note; uploads refused once closed."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from graders.executors import InlineExecutor
from graders.results import CheckResult, SubmissionResult
from graders.service.late import days_late, with_late_penalty
from graders.service.queue import grade_pending
from graders.service.settings import AssignmentSettings
from tests.service.conftest import EXAMPLES, full_marks, make_course, serve

DUE = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


def _result() -> SubmissionResult:
    checks = tuple(CheckResult(f"c{i}", "q", "t", "passed", 2.0, 2.0, "") for i in range(3))
    return SubmissionResult("ada", "mle", "graded", checks, "none", (), (), {}, "")


@pytest.mark.parametrize(
    ("seconds_after", "penalty", "score"),
    [
        (-10, 0.25, 6.0),
        (0, 0.25, 6.0),
        (1, 0.25, 4.5),
        (86_401, 0.25, 3.0),
        (5 * 86_400, 0.25, 0.0),
    ],
)
def test_points_kept_per_started_day_late(seconds_after: int, penalty: float, score: float) -> None:
    settings = AssignmentSettings(due=DUE, late_penalty_per_day=penalty)
    late = with_late_penalty(_result(), DUE.timestamp() + seconds_after, settings)
    assert late.score == score
    if score < 6.0:
        days = days_late(DUE.timestamp() + seconds_after, DUE)
        assert late.notes[-1].startswith(f"Submitted {days} day")
        assert "late penalty 25% a day" in late.notes[-1]
    else:
        assert late.notes == ()


def test_no_penalty_without_a_due_date_or_a_rate() -> None:
    for settings in (AssignmentSettings(late_penalty_per_day=0.5), AssignmentSettings(due=DUE)):
        assert with_late_penalty(_result(), time.time(), settings) == _result()


def _with(root: Path, lines: str) -> Path:
    settings = root / "course.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + lines + "\n", encoding="utf-8")
    return root


def test_a_late_attempt_is_graded_with_the_penalty(tmp_path: Path) -> None:
    due = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=36)).isoformat()
    root = _with(make_course(tmp_path), f"due = {due}\nlate_penalty_per_day = 0.25")
    for served in serve(root):
        attempt = served.submit("ada", EXAMPLES / "solution.py").json()["id"]
        grade_pending(served.course, InlineExecutor(full_marks))
        body = served.get(f"/api/submissions/{attempt}", "ada").json()
        assert (body["score"], body["max_score"]) == (0.5, 1.0)  # 2 days late: half kept
        assert "Submitted 2 days after the due date" in body["results"]["output"]


def test_uploads_are_refused_once_the_assignment_closed(tmp_path: Path) -> None:
    root = _with(make_course(tmp_path), "closes = 2020-01-01T00:00:00Z")
    for served in serve(root):
        response = served.submit("ada", EXAMPLES / "solution.py")
        assert response.status_code == 422
        assert "mle closed at 2020-01-01T00:00:00+00:00" in response.json()["message"]
