"""The API's refusals: each status code with its JSON message (nothing here grades)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graders.service.store import Store
from tests.service.conftest import EXAMPLES, Served, make_course, serve

SOLUTION = EXAMPLES / "solution.py"


def _message(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"status", "message"}
    assert body["status"] == response.status_code
    return str(body["message"])


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_401_without_a_valid_token(served: Served, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    for response in (
        served.client.get("/api/submissions", headers=headers),
        served.client.get("/api/submissions/1", headers=headers),
        served.client.post("/api/submissions", headers=headers, data={"assignment": "mle"}),
    ):
        assert response.status_code == 401
        assert "a valid token is needed" in _message(response)
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_upload_is_stored_and_queued_before_it_is_acknowledged(served: Served) -> None:
    response = served.submit("ada", SOLUTION)
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "status": "queued"}
    (attempt,) = served.course.store.attempts(student="ada")
    assert (attempt.id, attempt.status, attempt.filename) == (body["id"], "queued", "solution.py")
    stored = served.course.root / attempt.upload
    assert stored.read_bytes() == SOLUTION.read_bytes()
    assert attempt.upload.startswith("uploads/") and attempt.upload.endswith(".py")
    polled = served.get(f"/api/submissions/{body['id']}", "ada").json()
    assert polled["status"] == "queued" and polled["results"] is None and polled["score"] is None


def test_404_for_another_students_submission(served: Served) -> None:
    attempt = served.submit("ada", SOLUTION).json()["id"]
    for url in (f"/api/submissions/{attempt}", f"/api/submissions/{attempt + 1}"):
        response = served.get(url, "alan")
        assert response.status_code == 404
        assert "no submission" in _message(response)
    assert served.get(f"/api/submissions/{attempt}", "ada").status_code == 200
    assert served.get(f"/api/submissions/{attempt}", "instructor").status_code == 200
    assert served.get("/api/submissions", "alan").json() == []


def test_own_submissions_are_listed_newest_first(served: Served) -> None:
    first = served.submit("ada", SOLUTION).json()["id"]
    second = served.submit("ada", EXAMPLES / "ddof1.py").json()["id"]
    served.submit("alan", SOLUTION)
    listed = served.get("/api/submissions", "ada").json()
    assert [s["id"] for s in listed] == [second, first]
    assert {s["student"] for s in listed} == {"ada"}
    everyone = served.get("/api/submissions", "instructor").json()
    assert len(everyone) == 3


@pytest.mark.parametrize(
    ("name", "data", "assignment", "message"),
    [
        ("solution.py", b"x = 1\n", "nope", "unknown assignment 'nope'; this course offers: mle"),
        ("notes.txt", b"hello", "mle", "only .py modules and .ipynb notebooks are accepted"),
        ("nb.ipynb", b"{not json", "mle", "is not a notebook: it does not parse as JSON"),
        ("nb.ipynb", b"[1, 2]", "mle", "its JSON is not an object"),
        ("mod.py", b"\xff\xfe", "mle", "is not UTF-8 text"),
        ("mod.py", b"", "mle", "is empty"),
    ],
)
def test_422_for_a_bad_assignment_or_file(
    served: Served, name: str, data: bytes, assignment: str, message: str
) -> None:
    response = served.client.post(
        "/api/submissions",
        headers={"Authorization": f"Bearer {served.tokens['ada']}"},
        data={"assignment": assignment},
        files={"file": (name, data)},
    )
    assert response.status_code == 422
    assert message in _message(response)
    assert served.course.store.attempts() == []
    assert list((served.course.root / "uploads").iterdir()) == []


def test_422_for_a_body_that_is_not_a_multipart_form(served: Served) -> None:
    response = served.client.post(
        "/api/submissions",
        headers={
            "Authorization": f"Bearer {served.tokens['ada']}",
            "Content-Type": "multipart/form-data; boundary=b",
        },
        content=b"--b\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--b--\r\n",
    )
    assert response.status_code == 422
    assert "not a valid multipart form" in _message(response)


def test_unknown_routes_answer_json_too(served: Served) -> None:
    response = served.client.get("/api/nothing-here")
    assert response.status_code == 404
    assert _message(response) == "Not Found"


def test_422_without_a_file(served: Served) -> None:
    response = served.client.post(
        "/api/submissions",
        headers={"Authorization": f"Bearer {served.tokens['ada']}"},
        data={"assignment": "mle"},
    )
    assert response.status_code == 422
    assert "needs a `file` field" in _message(response)


@pytest.fixture
def capped(tmp_path: Path) -> Iterator[Served]:
    yield from serve(make_course(tmp_path, "max_upload_bytes = 1000\nrate_limit_per_hour = 2"))


def test_413_over_the_size_cap(capped: Served, tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 200, encoding="utf-8")  # 1200 bytes > 1000
    response = capped.submit("ada", big)
    assert response.status_code == 413
    assert "larger than the course's cap of 1000 bytes" in _message(response)
    huge = tmp_path / "huge.py"
    huge.write_text("x = 1\n" * 20_000, encoding="utf-8")  # past the form's cap as well
    response = capped.submit("ada", huge)
    assert response.status_code == 413
    assert capped.course.store.attempts() == []


def test_413_for_a_body_sent_without_its_length(capped: Served) -> None:
    def body() -> Iterator[bytes]:  # chunked: the cap must hold while the body arrives
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.py"\r\n\r\n'
        for _ in range(100):
            yield b"x = 1\n" * 1000

    response = capped.client.post(
        "/api/submissions",
        headers={
            "Authorization": f"Bearer {capped.tokens['ada']}",
            "Content-Type": "multipart/form-data; boundary=b",
        },
        content=body(),
    )
    assert response.status_code == 413
    assert "larger than the course's cap" in _message(response)


def test_429_over_the_rate_limit(capped: Served, tmp_path: Path) -> None:
    small = tmp_path / "small.py"
    small.write_text("x = 1\n", encoding="utf-8")
    assert [capped.submit("ada", small).status_code for _ in range(2)] == [201, 201]
    response = capped.submit("ada", small)
    assert response.status_code == 429
    assert "at most 2 submissions an hour; try again in" in _message(response)
    assert 1 <= int(response.headers["Retry-After"]) <= 3601
    assert capped.submit("alan", small).status_code == 201
    assert len(capped.course.store.attempts(student="ada")) == 2


def test_the_rate_limit_holds_in_the_store_itself(tmp_path: Path) -> None:
    store = Store(make_course(tmp_path) / "gradebook.sqlite")
    fields = dict(assignment="mle", filename="a.py", upload="uploads/a.py", sha256="", size=1)
    ids = [store.enqueue(student="ada", limit=(2, 3600.0), **fields) for _ in range(3)]
    assert ids[0] is not None and ids[1] is not None and ids[2] is None


def test_instructor_routes_refuse_students_and_unknown_assignments(served: Served) -> None:
    for url in ("/api/grades.csv?assignment=mle", "/api/summary?assignment=mle"):
        response = served.get(url, "ada")
        assert response.status_code == 403
        assert "only the instructor's token" in _message(response)
    response = served.get("/api/grades.csv?assignment=nope", "instructor")
    assert response.status_code == 422
    assert "unknown assignment 'nope'" in _message(response)
    response = served.client.post(
        "/api/regrade?assignment=mle", headers={"Authorization": f"Bearer {served.tokens['ada']}"}
    )
    assert response.status_code == 403


def test_the_instructor_cannot_submit(served: Served) -> None:
    response = served.client.post(
        "/api/submissions",
        headers={"Authorization": f"Bearer {served.instructor}"},
        data={"assignment": "mle"},
        files={"file": ("solution.py", SOLUTION.read_bytes())},
    )
    assert response.status_code == 403
    assert "cannot submit" in _message(response)


def test_empty_exports_before_any_grade(served: Served) -> None:
    csv_text = served.get("/api/grades.csv?assignment=mle", "instructor").text
    assert csv_text.splitlines()[0].startswith("student,")
    summary = json.loads(served.get("/api/summary?assignment=mle", "instructor").text)
    assert isinstance(summary, dict)
