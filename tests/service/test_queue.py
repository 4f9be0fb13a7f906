"""The queue without real grading: stand-in executors, the worker threads, failures, recovery."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from graders.batch import GradeOutcome, GradeTask
from graders.executors import InlineExecutor, TaskOutcome
from graders.gradebook import Gradebook
from graders.results import SubmissionResult
from graders.service import open_course
from graders.service.app import create_app
from graders.service.queue import Workers, grade_pending
from tests.service.conftest import EXAMPLES, STUDENTS, full_marks, make_course, serve, tokens_of


def _grader_fails(task: GradeTask) -> GradeOutcome:
    return TaskOutcome(task, error="Traceback: the grader's own bug")


def test_the_grader_failing_is_an_error_the_student_is_told_of_without_its_details(
    tmp_path: Path,
) -> None:
    for served in serve(make_course(tmp_path)):
        attempt = served.submit("ada", EXAMPLES / "solution.py").json()["id"]
        assert grade_pending(served.course, InlineExecutor(_grader_fails)) == 1
        seen = served.get(f"/api/submissions/{attempt}", "ada").json()
        assert seen["status"] == "error" and seen["results"] is None
        assert "The grader itself failed" in seen["message"] and "Traceback" not in str(seen)
        boss = served.get(f"/api/submissions/{attempt}", "instructor").json()
        assert boss["message"] == "Traceback: the grader's own bug"
        with Gradebook(served.course.database) as book:
            assert book.rows("SELECT count(*) FROM submissions") == [(0,)]  # not a grade
        served.client.post(
            "/api/regrade?assignment=mle", headers={"Authorization": f"Bearer {served.instructor}"}
        )
        assert grade_pending(served.course, InlineExecutor(full_marks)) == 1
        again = served.get(f"/api/submissions/{attempt}", "ada").json()
        assert (again["status"], again["score"]) == ("graded", 1.0)


def test_worker_threads_grade_every_submission_once(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    tokens = tokens_of(root)
    course = open_course(root)
    workers = Workers(course, jobs=2, executor=lambda: InlineExecutor(full_marks))
    with TestClient(create_app(course, workers)) as client:
        ids = [
            client.post(
                "/api/submissions",
                headers={"Authorization": f"Bearer {tokens[student]}"},
                data={"assignment": "mle"},
                files={"file": ("a.py", b"x = 1\n")},
            ).json()["id"]
            for student in STUDENTS
            for _ in range(3)
        ]
        deadline = time.monotonic() + 60  # a bound on waiting, not a measured time
        while time.monotonic() < deadline:
            statuses = course.store.rows("SELECT status FROM service_attempts")
            if statuses == [("graded",)] * len(ids):
                break
            time.sleep(0.05)
    assert course.store.rows("SELECT gradings FROM service_attempts") == [(1,)] * len(ids)
    with Gradebook(course.database) as book:
        rows = book.rows("SELECT student, path FROM submissions ORDER BY student")
    last = {a.student: a.upload for a in reversed(course.store.attempts())}  # newest wins
    assert rows == sorted(last.items())


def test_a_restart_requeues_what_was_being_graded_and_repairs_the_gradebook(
    tmp_path: Path,
) -> None:
    for served in serve(make_course(tmp_path)):
        first = served.submit("ada", EXAMPLES / "solution.py").json()["id"]
        second = served.submit("alan", EXAMPLES / "solution.py").json()["id"]
        course = served.course
        claim = course.store.claim()  # as a killed server left it: grading, never finished
        assert claim is not None and claim.id == first
        other = course.store.claim()
        assert other is not None and other.id == second
        # ... and killed between storing alan's result and writing the gradebook:
        outcome = full_marks(GradeTask("alan", "", "", "mle"))
        assert outcome.result is not None
        assert course.store.finish(second, outcome.result, "key")
        workers = Workers(course, jobs=1, executor=lambda: InlineExecutor(full_marks))
        assert workers.start() == 1  # ada's attempt back in the queue
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if course.store.rows("SELECT status FROM service_attempts WHERE id = ?", [first]) == [
                ("graded",)
            ]:
                break
            time.sleep(0.05)
        workers.stop()
        with Gradebook(course.database) as book:
            rows = book.rows("SELECT student, writes FROM submissions ORDER BY student")
        assert rows == [("ada", 1), ("alan", 1)]
        assert course.store.rows("SELECT gradings FROM service_attempts ORDER BY id") == [
            (1,),
            (1,),
        ]


class _Counted(InlineExecutor[GradeTask, SubmissionResult]):
    made: list[_Counted] = []

    def __init__(self) -> None:
        super().__init__(full_marks)
        self.closed = False
        _Counted.made.append(self)

    def close(self) -> None:
        self.closed = True


def test_a_regrade_gives_the_workers_new_grader_processes(tmp_path: Path) -> None:
    course = open_course(make_course(tmp_path))
    _Counted.made = []
    workers = Workers(course, jobs=1, executor=_Counted)
    workers.start()
    workers.renew()  # what POST /api/regrade does: the spec may have changed
    workers.wake()
    deadline = time.monotonic() + 30
    while len(_Counted.made) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    workers.stop()
    assert len(_Counted.made) == 2
    assert [e.closed for e in _Counted.made] == [True, True]
