"""Real gradings through the queue (the sandbox, the course secret): few, each costs a second.

One module-scoped course is graded once (a correct and a wrong sample, the correct one twice
for one student); the tests read it back through the API under different settings.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from fastapi.testclient import TestClient

from graders.batch import grade_task
from graders.executors import InlineExecutor
from graders.gradebook import Gradebook
from graders.service import open_course
from graders.service.app import create_app
from graders.service.client import result_from_document
from graders.service.queue import grade_pending, sync_gradebook
from graders.service.settings import AssignmentSettings
from graders.service.view import HIDDEN_NOTE
from tests.service.conftest import EXAMPLES, Served, make_course, serve


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, dict[str, int]]]:
    root = make_course(tmp_path_factory.mktemp("graded"))
    for served in serve(root):
        ids = {
            "ada-right": served.submit("ada", EXAMPLES / "solution.py").json()["id"],
            "alan-right": served.submit("alan", EXAMPLES / "solution.py").json()["id"],
            "ada-wrong": served.submit("ada", EXAMPLES / "ddof1.py").json()["id"],
        }
        assert grade_pending(served.course, InlineExecutor(grade_task)) == 3
        yield served, ids


def test_a_correct_sample_gets_full_marks_and_a_wrong_one_fewer(
    graded: tuple[Served, dict[str, int]],
) -> None:
    served, ids = graded
    right = served.get(f"/api/submissions/{ids['alan-right']}", "alan").json()
    assert (right["status"], right["score"], right["max_score"]) == ("graded", 12.0, 12.0)
    assert right["results"]["score"] == 12.0
    wrong = served.get(f"/api/submissions/{ids['ada-wrong']}", "ada").json()
    assert wrong["status"] == "graded" and wrong["score"] < wrong["max_score"] == 12.0
    failing = [t for t in wrong["results"]["tests"] if t["status"] == "failed"]
    assert [t["extra_data"]["check_id"] for t in failing] == ["normal_mle_matches_reference"]
    assert "ddof" in failing[0]["output"]


def test_every_attempt_is_kept_and_the_gradebook_holds_the_counting_one(
    graded: tuple[Served, dict[str, int]],
) -> None:
    served, ids = graded
    history = served.get("/api/submissions", "ada").json()
    assert [(a["id"], a["score"]) for a in history] == [
        (ids["ada-wrong"], 10.0),
        (ids["ada-right"], 12.0),
    ]
    with Gradebook(served.course.database) as book:
        rows = book.rows("SELECT student, score, writes FROM submissions ORDER BY student")
        assert rows == [("ada", 10.0, 2), ("alan", 12.0, 1)]  # last: ada's second attempt
        # Syncing again writes nothing: the row already holds the counting attempt.
        assert not sync_gradebook(served.course, book, "mle", "ada")
    csv_lines = served.get("/api/grades.csv?assignment=mle", "instructor").text.splitlines()
    assert [line.split(",")[0] for line in csv_lines] == ["student", "ada", "alan"]
    summary = served.get("/api/summary?assignment=mle", "instructor").json()
    assert summary["assignment"] == "mle"


def test_the_canvas_import_lists_every_roster_student(
    graded: tuple[Served, dict[str, int]],
) -> None:
    served, _ = graded
    assert served.get("/api/canvas.csv?assignment=mle", "ada").status_code == 403
    lines = served.get("/api/canvas.csv?assignment=mle", "instructor").text.splitlines()
    assert lines[0].startswith("Student,ID,SIS User ID,SIS Login ID,Section,")
    assert lines[1:] == [
        "Points Possible,,,,,12",
        "Ada,,ada,ada@example.org,,10",
        "Alan,,alan,alan@example.org,,12",
        "Grace,,grace,grace@example.org,,",  # no submission: left empty
    ]


def test_policy_best_counts_the_highest_score(
    graded: tuple[Served, dict[str, int]], tmp_path: Path
) -> None:
    served, ids = graded
    copy = tmp_path / "course"
    shutil.copytree(served.course.root, copy)
    settings = copy / "course.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace('policy = "last"', 'policy = "best"'),
        encoding="utf-8",
    )
    course = open_course(copy)
    counting = course.store.counting("mle", "ada", "best")
    assert counting is not None and counting.id == ids["ada-right"]
    with Gradebook(course.database) as book:  # as a server started on the folder does
        assert sync_gradebook(course, book, "mle", "ada")
        assert book.rows("SELECT score FROM submissions WHERE student = 'ada'") == [(12.0,)]


def test_hidden_checks_show_their_points_only(graded: tuple[Served, dict[str, int]]) -> None:
    served, ids = graded
    hidden = {"normal_mle_matches_reference": "hidden"}
    settings = msgspec.structs.replace(
        served.course.settings, assignments={"mle": AssignmentSettings(visibility=hidden)}
    )
    course = dataclasses.replace(served.course, settings=settings)
    with TestClient(create_app(course)) as client:
        url = f"/api/submissions/{ids['ada-wrong']}"
        ada = client.get(url, headers={"Authorization": f"Bearer {served.tokens['ada']}"}).json()
        boss = client.get(url, headers={"Authorization": f"Bearer {served.instructor}"}).json()
    (test,) = [t for t in ada["results"]["tests"] if t["visibility"] == "hidden"]
    assert (test["score"], test["max_score"], test["status"]) == (0.0, 2.0, "failed")
    assert test["output"] == HIDDEN_NOTE
    assert test["extra_data"]["diagnosis"] is None and test["extra_data"]["counterexample"] is None
    assert "ddof" not in str(ada["results"]["tests"])
    assert ada["score"] == boss["score"] == 10.0
    (full,) = [t for t in boss["results"]["tests"] if t["name"] == test["name"]]
    assert "ddof" in full["output"]  # the instructor sees everything


def test_the_student_document_rebuilds_the_result(graded: tuple[Served, dict[str, int]]) -> None:
    served, ids = graded
    body = served.get(f"/api/submissions/{ids['ada-wrong']}", "ada").json()
    rebuilt = result_from_document(body["results"])
    attempt = served.course.store.attempt(ids["ada-wrong"])
    assert attempt is not None
    original = attempt.result()
    assert original is not None
    assert rebuilt.checks == original.checks
    assert (rebuilt.score, rebuilt.max_score, rebuilt.status) == (10.0, 12.0, "graded")
    assert rebuilt.cell_reports == original.cell_reports
    assert rebuilt.notes == original.notes


def test_a_regrade_keeps_the_old_result_until_the_new_one_lands(tmp_path: Path) -> None:
    for served in serve(make_course(tmp_path)):
        attempt = served.submit("grace", EXAMPLES / "solution.py").json()["id"]
        grade_pending(served.course, InlineExecutor(grade_task))
        response = served.client.post(
            "/api/regrade?assignment=mle",
            headers={"Authorization": f"Bearer {served.instructor}"},
        )
        assert response.status_code == 202 and response.json() == {
            "assignment": "mle",
            "regrading": 1,
        }
        during = served.get(f"/api/submissions/{attempt}", "grace").json()
        assert (during["status"], during["score"], during["regrading"]) == ("graded", 12.0, True)
        assert grade_pending(served.course, InlineExecutor(grade_task)) == 1
        after = served.get(f"/api/submissions/{attempt}", "grace").json()
        assert (after["status"], after["score"], after["regrading"]) == ("graded", 12.0, False)
        (row,) = served.course.store.rows("SELECT gradings FROM service_attempts")
        assert row == (2,)
        with Gradebook(served.course.database) as book:  # same key, same result: one write
            assert book.rows("SELECT writes FROM submissions") == [(1,)]


def _probe(path: Path, targets: list[Path]) -> Path:
    """The correct solution, whose `bernoulli_mle` is wrong if one of ``targets`` exists."""
    path.write_text(
        (EXAMPLES / "solution.py").read_text(encoding="utf-8")
        + "\n\nimport os\n"
        + f"_SEEN = [p for p in {[str(t) for t in targets]!r} if os.path.exists(p)]\n"
        + "if _SEEN:\n    def bernoulli_mle(flips):\n        return -1.0\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.bwrap
def test_a_submission_cannot_read_the_course_folder(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    secret = [root / "tokens.csv", root / "gradebook.sqlite", root / "uploads"]
    for served in serve(root):
        blind = served.submit("ada", _probe(tmp_path / "a.py", secret)).json()["id"]
        control = served.submit("alan", _probe(tmp_path / "b.py", [Path("/usr")])).json()["id"]
        grade_pending(served.course, InlineExecutor(grade_task))
        seen = served.get(f"/api/submissions/{blind}", "ada").json()
        sees_usr = served.get(f"/api/submissions/{control}", "alan").json()
    assert (seen["status"], seen["score"]) == ("graded", 12.0)  # it found none of them
    assert sees_usr["score"] < 12.0  # the probe works: it does see what the sandbox shows


CHECK = "normal_mle_matches_reference"


def test_the_feedback_notebook_is_offered_with_only_what_the_student_may_see(
    graded: tuple[Served, dict[str, int]],
) -> None:
    import json

    import nbformat

    served, ids = graded
    base = f"/api/submissions/{ids['ada-wrong']}"
    notebook = served.get(f"{base}/feedback.ipynb", "ada")
    assert notebook.status_code == 200 and "attachment" in notebook.headers["content-disposition"]
    nb = nbformat.reads(notebook.text, as_version=4)
    nbformat.validate(nb)
    boss = served.get(base, "instructor").json()["results"]["tests"]
    (message,) = [t["output"] for t in boss if t["extra_data"]["check_id"] == CHECK]
    upload = (EXAMPLES / "ddof1.py").read_text()
    telling = [line for line in message.splitlines() if len(line) > 20 and line not in upload]
    assert telling and telling[0] in "".join(c.source for c in nb.cells)  # visible here
    page = served.get(f"{base}/feedback-notebook.html", "ada")
    assert page.status_code == 200 and "Grader feedback" in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # no script may run
    assert "sandbox" in page.headers["content-security-policy"]
    for who, url, status in (
        ("alan", f"{base}/feedback.ipynb", 404),  # another student's
        ("ada", f"{base}/results.json", 404),  # not one of the two files
    ):
        reply = served.get(url, who)
        assert reply.status_code == status and reply.json()["message"]

    # A hidden check's explanation stays out of the student's notebook, not the instructor's.
    hidden = {CHECK: "hidden"}
    settings = msgspec.structs.replace(
        served.course.settings, assignments={"mle": AssignmentSettings(visibility=hidden)}
    )
    course = dataclasses.replace(served.course, settings=settings)
    with TestClient(create_app(course)) as client:
        texts = {
            who: client.get(
                f"{base}/feedback.ipynb", headers={"Authorization": f"Bearer {token}"}
            ).text
            for who, token in (("ada", served.tokens["ada"]), ("boss", served.instructor))
        }
    assert json.dumps(telling[0])[1:-1] not in texts["ada"]
    assert json.dumps(telling[0])[1:-1] in texts["boss"]


def test_a_check_hidden_entirely_is_in_no_score_the_student_sees(
    graded: tuple[Served, dict[str, int]],
) -> None:
    served, ids = graded
    own = AssignmentSettings(visibility={CHECK: "hidden"}, hidden_checks="nothing")
    settings = msgspec.structs.replace(served.course.settings, assignments={"mle": own})
    course = dataclasses.replace(served.course, settings=settings)
    with TestClient(create_app(course)) as client:

        def get(url: str, token: str) -> Any:
            return client.get(url, headers={"Authorization": f"Bearer {token}"})

        ada = get(f"/api/submissions/{ids['ada-wrong']}", served.tokens["ada"]).json()
        listed = get("/api/submissions", served.tokens["ada"]).json()
        boss = get(f"/api/submissions/{ids['ada-wrong']}", served.instructor).json()
        notebook = get(f"/api/submissions/{ids['ada-wrong']}/feedback.ipynb", served.tokens["ada"])
    # ddof1 fails only the hidden check (0 / 2): the student sees 10 / 10, the instructor 10 / 12.
    assert (ada["score"], ada["max_score"]) == (10.0, 10.0)
    assert CHECK not in str(ada["results"]) and "ddof" not in str(ada["results"]["tests"])
    mine = [a for a in listed if a["id"] == ids["ada-wrong"]]
    assert [(a["score"], a["max_score"]) for a in mine] == [(10.0, 10.0)]
    assert (boss["score"], boss["max_score"]) == (10.0, 12.0)
    assert CHECK in str(boss["results"])
    assert notebook.status_code == 200 and CHECK not in notebook.text
