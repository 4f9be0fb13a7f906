"""Publishing hidden results from the service: the API route, the class page's button, the store.

Nothing here grades for real: a stand-in grader gives every upload one failing check that is
``after_published`` (its explanation is what publishing releases) and one that is ``hidden``
(the negative control: publishing never shows it).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from graders.batch import GradeOutcome, GradeTask
from graders.executors import InlineExecutor
from graders.results import CheckResult
from graders.service import open_course
from graders.service.app import create_app
from graders.service.course import database_path
from graders.service.queue import grade_pending
from graders.service.view import HIDDEN_NOTE
from tests.service.conftest import EXAMPLES, Served, graded_with, make_course, serve

RELEASED = "`f` returned 2.0; expected 1.0 (the explanation released on publishing)."
NEVER = "`g` is wrong (never shown to students)."


def _graded(task: GradeTask) -> GradeOutcome:
    checks = (
        CheckResult("later", "q", "later check", "failed", 0.0, 1.0, RELEASED,
                    visibility="after_published"),
        CheckResult("never", "q", "never check", "failed", 0.0, 1.0, NEVER, visibility="hidden"),
    )  # fmt: skip
    return graded_with(task, checks)


@pytest.fixture
def graded(tmp_path: Path) -> Iterator[tuple[Served, int]]:
    for served in serve(make_course(tmp_path)):
        attempt = served.submit("ada", EXAMPLES / "solution.py").json()["id"]
        assert grade_pending(served.course, InlineExecutor(_graded)) == 1
        yield served, attempt


def _publish(served: Served, who: str | None, body: Any) -> httpx.Response:
    headers = {}
    if who is not None:
        token = served.instructor if who == "instructor" else served.tokens[who]
        headers["Authorization"] = f"Bearer {token}"
    return served.client.post("/api/assignments/mle/publish", headers=headers, json=body)


def _outputs(served: Served, attempt: int) -> dict[str, str]:
    document = served.get(f"/api/submissions/{attempt}", "ada").json()["results"]
    return {t["extra_data"]["check_id"]: t["output"] for t in document["tests"]}


def test_publishing_shows_the_after_published_checks_and_withdrawing_hides_them(
    graded: tuple[Served, int],
) -> None:
    served, attempt = graded
    before = _outputs(served, attempt)
    assert before == {"later": HIDDEN_NOTE, "never": HIDDEN_NOTE}

    published = _publish(served, "instructor", {"published": True})
    assert published.status_code == 200
    assert published.json() == {
        "assignment": "mle",
        "published": True,
        "by_instructor": True,
        "by_course_toml": False,
    }
    shown = _outputs(served, attempt)
    assert RELEASED in shown["later"]
    assert shown["never"] == HIDDEN_NOTE  # "hidden" is never shown, published or not
    teacher = served.get(f"/api/submissions/{attempt}", "instructor").json()["results"]
    assert NEVER in str(teacher)  # the instructor always sees everything

    assert _publish(served, "instructor", {"published": False}).json()["published"] is False
    assert _outputs(served, attempt) == before


def test_only_the_instructor_publishes_and_only_with_a_valid_body(
    graded: tuple[Served, int],
) -> None:
    served, attempt = graded
    student = _publish(served, "ada", {"published": True})
    assert student.status_code == 403
    assert student.json() == {
        "status": 403,
        "message": "only the instructor's token may use this route",
    }
    assert _publish(served, None, {"published": True}).status_code == 401
    for body in ({"published": "yes"}, {"published": 1}, [True], {"published": True, "x": 1}):
        refused = _publish(served, "instructor", body)
        assert refused.status_code == 422, body
        assert refused.json()["message"] == (
            'the body must be {"published": true} or {"published": false}'
        )
    not_json = served.client.post(
        "/api/assignments/mle/publish",
        headers={"Authorization": f"Bearer {served.instructor}"},
        content=b"\xff{",
    )
    assert not_json.status_code == 422 and "must be JSON" in not_json.json()["message"]
    unknown = served.client.post(
        "/api/assignments/nope/publish",
        headers={"Authorization": f"Bearer {served.instructor}"},
        json={"published": True},
    )
    assert unknown.status_code == 422 and "unknown assignment 'nope'" in unknown.json()["message"]
    too_big = _publish(served, "instructor", {"published": True, "pad": "x" * 2000})
    assert too_big.status_code == 413
    assert _outputs(served, attempt)["later"] == HIDDEN_NOTE  # nothing was published


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=9), inner, max_size=3)
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def course_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One course for the property test (Hypothesis runs the test many times per fixture)."""
    yield from serve(make_course(tmp_path_factory.mktemp("publish")))


@settings(derandomize=True, database=None, deadline=None, max_examples=40)
@given(
    body=st.one_of(
        _JSON,
        # the right key, any value (0 and 1 compare equal to the booleans: still refused)
        st.fixed_dictionaries({"published": st.sampled_from([0, 1, 1.0, "true", None]) | _JSON}),
        st.fixed_dictionaries({"published": st.booleans(), "and": _JSON}),  # one key too many
    )
)
def test_any_other_body_is_refused_and_publishes_nothing(course_served: Served, body: Any) -> None:
    if type(body) is dict and set(body) == {"published"} and type(body["published"]) is bool:
        return  # the one valid shape (tested above)
    course_served.course.store.set_published("mle", False)  # each example from the same state
    response = _publish(course_served, "instructor", body)
    assert response.status_code == 422, body
    assert course_served.course.store.published("mle") is False


def test_course_toml_publishes_whatever_the_button_says(tmp_path: Path) -> None:
    root = make_course(
        tmp_path, "# published = false  # after_published checks are shown once true"
    )
    text = (root / "course.toml").read_text(encoding="utf-8")
    (root / "course.toml").write_text(
        text.replace('[assignments."mle"]\n', '[assignments."mle"]\npublished = true\n'),
        encoding="utf-8",
    )
    for served in serve(root):
        attempt = served.submit("ada", EXAMPLES / "solution.py").json()["id"]
        grade_pending(served.course, InlineExecutor(_graded))
        assert RELEASED in _outputs(served, attempt)["later"]
        withdrawn = _publish(served, "instructor", {"published": False}).json()
        assert withdrawn["published"] is True and withdrawn["by_course_toml"] is True
        assert RELEASED in _outputs(served, attempt)["later"]  # back to course.toml's value


def test_a_course_made_before_the_table_existed_gains_it(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    with sqlite3.connect(database_path(root)) as db:
        db.execute("DROP TABLE service_published")  # as an older version made the database
    course = open_course(root)
    assert course.store.published("mle") is False
    course.store.set_published("mle", True)
    assert open_course(root).store.published("mle") is True  # kept across restarts


# ---------------------------------------------------------------------- the class page's button

BASE = "https://testserver"


def _signed_in(served: Served, who: str) -> TestClient:
    client = TestClient(create_app(served.course), base_url=BASE, follow_redirects=False)
    token = served.instructor if who == "instructor" else served.tokens[who]
    assert client.get("/signin", params={"token": token}).status_code == 303
    return client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_the_class_page_publishes_and_withdraws_with_its_csrf_token(
    graded: tuple[Served, int],
) -> None:
    served, attempt = graded
    teacher = _signed_in(served, "instructor")
    page = teacher.get("/class/mle").text
    assert 'action="/class/mle/publish"' in page and "Publish hidden results" in page
    forged = teacher.post("/class/mle/publish", data={"csrf": "forged", "published": "yes"})
    assert forged.status_code == 403 and served.course.store.published("mle") is False
    missing = teacher.post("/class/mle/publish", data={"published": "yes"})
    assert missing.status_code == 403 and served.course.store.published("mle") is False

    done = teacher.post("/class/mle/publish", data={"csrf": _csrf(page), "published": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, "/class/mle?published=yes")
    assert served.course.store.published("mle") is True
    again = teacher.get("/class/mle?published=yes").text
    assert "Withdraw" in again and "Published: students now see" in again
    student_page = _signed_in(served, "ada").get(f"/attempts/{attempt}").text
    assert "the explanation released on publishing" in student_page
    assert "never shown to students" not in student_page

    withdrawn = teacher.post("/class/mle/publish", data={"csrf": _csrf(again), "published": "no"})
    assert withdrawn.status_code == 303 and served.course.store.published("mle") is False
    assert (
        "released on publishing" not in _signed_in(served, "ada").get(f"/attempts/{attempt}").text
    )


def test_a_student_cannot_press_the_button(graded: tuple[Served, int]) -> None:
    served, _ = graded
    ada = _signed_in(served, "ada")
    token = _csrf(ada.get("/").text)  # ada's own, valid CSRF token
    refused = ada.post("/class/mle/publish", data={"csrf": token, "published": "yes"})
    assert refused.status_code == 403 and served.course.store.published("mle") is False
