"""The web pages through the test client: signing in, uploading, feedback, the instructor's pages.

Two real gradings (a wrong and a correct sample of ``mle``), done once for the module; the rest
reads pages. The client speaks to ``https://testserver`` so that the Secure cookie is sent back.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graders.batch import grade_task
from graders.executors import InlineExecutor
from graders.report.html import render_feedback
from graders.service import open_course
from graders.service.app import create_app
from graders.service.course import Course
from graders.service.headers import CSP
from graders.service.queue import grade_pending
from graders.service.session import COOKIE
from graders.spec import load_assignment
from tests.service.conftest import EXAMPLES, make_course, tokens_of

BASE = "https://testserver"


@dataclass
class Site:
    course: Course
    root: Path
    tokens: dict[str, str]
    instructor: str

    def client(self) -> TestClient:
        return TestClient(create_app(self.course), base_url=BASE, follow_redirects=False)

    def signed_in(self, who: str) -> TestClient:
        client = self.client()
        token = self.instructor if who == "instructor" else self.tokens[who]
        response = client.get("/signin", params={"token": token})
        assert response.status_code == 303
        return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def upload(client: TestClient, path: Path, *, name: str | None = None) -> int:
    page = client.get("/assignments/mle")
    response = client.post(
        "/assignments/mle/upload",
        data={"csrf": csrf_of(page.text)},
        files={"file": (name or path.name, path.read_bytes())},
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/attempts/\d+", location)
    return int(location.rsplit("/", 1)[1])


@pytest.fixture
def site(tmp_path: Path) -> Site:
    root = make_course(tmp_path)
    return Site(
        course=open_course(root),
        root=root,
        tokens=tokens_of(root),
        instructor=(root / "instructor.token").read_text(encoding="utf-8").strip(),
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, dict[str, int]]]:
    root = make_course(tmp_path_factory.mktemp("pages"))
    site = Site(
        course=open_course(root),
        root=root,
        tokens=tokens_of(root),
        instructor=(root / "instructor.token").read_text(encoding="utf-8").strip(),
    )
    ada = site.signed_in("ada")
    ids = {
        "wrong": upload(ada, EXAMPLES / "ddof1.py", name="ddof1<script>.py"),
        "right": upload(ada, EXAMPLES / "solution.py"),
    }
    for student in ("alan", "grace"):  # one shared mistake in the class
        ids[student] = upload(site.signed_in(student), EXAMPLES / "ddof1.py")
    assert grade_pending(site.course, InlineExecutor(grade_task)) == 4
    yield site, ids


# ---------------------------------------------------------------------- signing in


def test_pages_ask_to_sign_in_first(site: Site) -> None:
    client = site.client()
    for url in ("/", "/assignments/mle", "/attempts/1", "/class/mle", "/class/mle/grades.csv"):
        response = client.get(url)
        assert (response.status_code, response.headers["location"]) == (303, "/signin"), url


def test_signing_in_with_the_form_sets_a_strict_httponly_secure_session_cookie(site: Site) -> None:
    client = site.client()
    form = client.get("/signin")
    assert '<label for="token">' in form.text
    response = client.post(
        "/signin", data={"csrf": csrf_of(form.text), "token": site.tokens["ada"]}
    )
    assert (response.status_code, response.headers["location"]) == (303, "/")
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE}="))
    assert {"httponly", "secure", "samesite=strict"} <= {
        part.strip().lower() for part in cookie.split(";")
    }
    assert site.tokens["ada"] not in cookie  # a random session id, never the token
    home = client.get("/")
    assert home.status_code == 200 and "Signed in as" in home.text and "ada" in home.text


def test_a_wrong_token_or_a_missing_csrf_value_does_not_sign_in(site: Site) -> None:
    client = site.client()
    form = client.get("/signin")
    wrong = client.post("/signin", data={"csrf": csrf_of(form.text), "token": "nope"})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    assert COOKIE not in wrong.headers.get("set-cookie", "")
    other = site.client()  # no sign-in cookie of its own: the form's value alone is not enough
    forged = other.post("/signin", data={"csrf": csrf_of(form.text), "token": site.tokens["ada"]})
    assert forged.status_code == 403
    assert other.get("/").status_code == 303


def test_a_sign_in_link_redirects_to_a_url_without_the_token(site: Site) -> None:
    client = site.client()
    response = client.get("/signin", params={"token": site.tokens["alan"]})
    assert response.status_code == 303 and "token" not in response.headers["location"]
    assert "alan" in client.get("/").text
    assert site.client().get("/signin", params={"token": "bad"}).status_code == 401


def test_a_sign_in_link_followed_from_another_site_asks_whom_to_sign_in_as(site: Site) -> None:
    client = site.client()
    asked = client.get(
        "/signin", params={"token": site.tokens["alan"]}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert asked.status_code == 200 and "signs you in as <b>alan</b>" in asked.text
    assert COOKIE not in asked.headers.get("set-cookie", "")
    assert client.get("/").status_code == 303  # not signed in yet
    confirmed = client.post(
        "/signin", data={"csrf": csrf_of(asked.text), "token": site.tokens["alan"]}
    )
    assert confirmed.status_code == 303 and "alan" in client.get("/").text


def test_signing_out_needs_the_session_csrf_token_and_ends_the_session(site: Site) -> None:
    client = site.signed_in("ada")
    home = client.get("/")
    assert client.post("/signout", data={"csrf": "forged"}).status_code == 303
    assert client.get("/").status_code == 200  # still signed in
    assert client.post("/signout", data={"csrf": csrf_of(home.text)}).status_code == 303
    client.cookies.clear()
    assert client.get("/").status_code == 303


# ---------------------------------------------------------------------- security headers


def test_every_page_has_the_csp_without_unsafe_inline_and_nosniff(site: Site) -> None:
    client = site.signed_in("ada")
    for url in ("/signin", "/", "/assignments/mle", "/style.css", "/static/attempt.js"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-security-policy"] == CSP
        assert "unsafe-inline" not in CSP and "default-src 'self'" in CSP
        assert response.headers["x-content-type-options"] == "nosniff"
    page = client.get("/assignments/mle").text
    assert "<script>" not in page and " style=" not in page and "<main" in page


def test_an_upload_without_the_csrf_token_is_refused_and_stores_nothing(site: Site) -> None:
    client = site.signed_in("ada")
    response = client.post(
        "/assignments/mle/upload",
        data={"csrf": "forged"},
        files={"file": ("solution.py", (EXAMPLES / "solution.py").read_bytes())},
    )
    assert response.status_code == 403
    assert site.course.store.attempts() == []


def test_a_refused_file_says_why_on_the_assignment_page(site: Site) -> None:
    client = site.signed_in("ada")
    page = client.get("/assignments/mle")
    response = client.post(
        "/assignments/mle/upload",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("notes.txt", b"hello")},
    )
    assert response.status_code == 422
    assert "only .py modules and .ipynb notebooks are accepted" in response.text
    assert site.course.store.attempts() == []


def test_over_the_size_cap_or_the_rate_limit_the_page_says_so(tmp_path: Path) -> None:
    root = make_course(tmp_path, "rate_limit_per_hour = 1\nmax_upload_bytes = 4096")
    site = Site(open_course(root), root, tokens_of(root), "")
    client = site.signed_in("ada")
    page = client.get("/assignments/mle")
    big = client.post(
        "/assignments/mle/upload",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("big.py", b"#" * 5000)},
    )
    assert big.status_code == 413 and "cap of 4096 bytes" in big.text
    upload(client, EXAMPLES / "solution.py")
    again = client.post(
        "/assignments/mle/upload",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("solution.py", (EXAMPLES / "solution.py").read_bytes())},
    )
    assert again.status_code == 429 and "at most 1 submissions an hour" in again.text
    assert len(site.course.store.attempts()) == 1


# ---------------------------------------------------------------------- students


def test_the_assignment_page_lists_questions_the_form_and_the_attempts(site: Site) -> None:
    client = site.signed_in("ada")
    page = client.get("/assignments/mle").text
    assert "<h1>" in page and "bernoulli_mle" in page.lower() or "Bernoulli" in page
    assert '<label for="file">' in page and 'type="file"' in page
    assert "No attempts yet." in page
    attempt = upload(client, EXAMPLES / "solution.py")
    page = client.get("/assignments/mle").text
    assert f'href="/attempts/{attempt}"' in page and "queued" in page


def test_a_queued_attempt_refreshes_itself_without_inline_script(site: Site) -> None:
    client = site.signed_in("ada")
    attempt = upload(client, EXAMPLES / "solution.py")
    page = client.get(f"/attempts/{attempt}").text
    assert '<noscript><meta http-equiv="refresh"' in page
    assert '<script src="/static/attempt.js" defer></script>' in page
    assert client.get(f"/attempts/{attempt}/status").json()["status"] == "queued"


def test_the_feedback_shows_the_failing_check_and_its_misconception(
    graded: tuple[Site, dict[str, int]],
) -> None:
    site, ids = graded
    client = site.signed_in("ada")
    page = client.get(f"/attempts/{ids['wrong']}").text
    assert "http-equiv" not in page  # done: no more refreshing
    assert "Likely misconception:" in page and "ddof=" in page
    assert 'id="c-normal_mle_matches_reference"' in page
    assert "ddof1&lt;script&gt;.py" in page and "<script>" not in page  # escaped
    plots = site.course.store.attempt(ids["wrong"]).result().plots  # type: ignore[union-attr]
    assert plots and page.count('<svg xmlns="http://www.w3.org/2000/svg"') >= len(plots)
    assert 'class="plot"' in page and " style=" not in page  # the CSP refuses inline styles
    right = client.get(f"/attempts/{ids['right']}").text
    assert "12 / 12" in right and "Likely misconception" not in right


HIDE_THE_MLE_CHECK = 'visibility = { normal_mle_matches_reference = "hidden" }\n'


def with_mle_settings(site: Site, tmp_path: Path, lines: str) -> Site:
    """A copy of ``site``'s graded course whose ``mle`` settings also have ``lines``."""
    root = tmp_path / "copy"
    shutil.copytree(site.root, root)
    settings = root / "course.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace('[assignments."mle"]\n', '[assignments."mle"]\n' + lines), encoding="utf-8"
    )
    return Site(open_course(root), root, site.tokens, site.instructor)


def test_the_attempt_page_and_feedback_html_are_one_design(
    graded: tuple[Site, dict[str, int]],
) -> None:
    site, ids = graded
    page = site.signed_in("instructor").get(f"/attempts/{ids['wrong']}").text
    attempt = site.course.store.attempt(ids["wrong"])
    assert attempt is not None and (result := attempt.result()) is not None
    batch = render_feedback(result, load_assignment("mle"))
    sections = re.compile(r'<p class="score">.*</section>', re.S)  # score to the last question
    shown, written = sections.search(page), sections.search(batch)
    assert shown and written and "Likely misconception" in shown.group(0)
    assert shown.group(0) == written.group(0)
    # The same stylesheet: the file inlines what the pages link.
    css = site.signed_in("instructor").get("/style.css").text
    assert batch[batch.index("<style>") + 7 : batch.index("</style>")] in css


def test_a_hidden_check_shows_its_points_only_and_its_question_no_plot(
    graded: tuple[Site, dict[str, int]], tmp_path: Path
) -> None:
    site, ids = graded
    hidden = with_mle_settings(site, tmp_path, HIDE_THE_MLE_CHECK)
    page = hidden.signed_in("ada").get(f"/attempts/{ids['wrong']}").text
    check = re.search(r'id="c-normal_mle_matches_reference">.*?</div>', page, re.S)
    assert check and "feedback is hidden" in check.group(0)
    assert "ddof=" not in page and "Likely misconception" not in page
    section = re.search(r'<section id="q-normal_mle".*?</section>', page, re.S)
    assert section and "<svg" not in section.group(0)
    teacher = hidden.signed_in("instructor").get(f"/attempts/{ids['wrong']}").text
    assert "Likely misconception" in teacher  # the instructor sees everything


def test_a_check_hidden_entirely_is_on_no_page_and_in_no_score_a_student_sees(
    graded: tuple[Site, dict[str, int]], tmp_path: Path
) -> None:
    site, ids = graded
    hidden = with_mle_settings(site, tmp_path, HIDE_THE_MLE_CHECK + 'hidden_checks = "nothing"\n')
    ada = hidden.signed_in("ada")
    page = ada.get(f"/attempts/{ids['wrong']}").text
    assert "normal_mle_matches_reference" not in page and "normal mle matches" not in page
    assert "10 / 10" in page and "not shown yet" in page  # ddof1 fails only the hidden check
    listing = ada.get("/assignments/mle").text
    row = re.search(rf'href="/attempts/{ids["wrong"]}".*?</tr>', listing, re.S)
    assert row and "10 / 10" in row.group(0) and "/ 12" not in row.group(0)
    teacher = hidden.signed_in("instructor").get(f"/attempts/{ids['wrong']}").text
    assert "normal mle matches reference" in teacher and "10 / 12" in teacher


def test_the_assignment_page_marks_the_attempt_that_counts(
    graded: tuple[Site, dict[str, int]],
) -> None:
    site, ids = graded
    page = site.signed_in("ada").get("/assignments/mle").text
    row = re.search(r'<tr class="counting">.*?</tr>', page, re.S)
    assert row and f"/attempts/{ids['right']}" in row.group(0) and "counts" in row.group(0)


def test_another_students_attempt_is_404_and_so_is_one_that_does_not_exist(
    graded: tuple[Site, dict[str, int]],
) -> None:
    site, ids = graded
    alan = site.signed_in("alan")
    mine = alan.get(f"/attempts/{ids['wrong']}")
    missing = alan.get("/attempts/99999")
    assert mine.status_code == missing.status_code == 404
    assert "ddof" not in mine.text
    assert alan.get(f"/attempts/{ids['wrong']}/status").status_code == 404


def test_an_unknown_page_is_an_html_404_and_an_unknown_api_route_stays_json(
    site: Site,
) -> None:
    client = site.signed_in("ada")
    for url in ("/nope", "/assignments/mle/nope", "/attempts/abc", "/<script>x"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert page.headers["content-type"].startswith("text/html"), url
        assert page.headers["content-security-policy"] == CSP
        assert "<h1>Page not found</h1>" in page.text and "Signed in as" in page.text
        assert "<script>x" not in page.text  # the path is escaped
    assert "Signed in as" not in site.client().get("/nope").text  # not signed in: still a page
    for url in ("/api/nope", "/api", "/api/submissions/abc/feedback.ipynb/x"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert answer.json() == {"status": 404, "message": "Not Found"}, url
    bearer = {"Authorization": f"Bearer {site.tokens['ada']}"}
    invalid = client.get("/api/submissions/abc", headers=bearer)  # the API's own 422: JSON
    assert invalid.status_code == 422 and set(invalid.json()) == {"status", "message"}


def test_students_cannot_open_instructor_pages(graded: tuple[Site, dict[str, int]]) -> None:
    site, _ = graded
    alan = site.signed_in("alan")
    for url in ("/class/mle", "/class/mle/gradebook", "/class/mle/grades.csv"):
        assert alan.get(url).status_code == 403, url


class _Outline(HTMLParser):
    """What the accessibility test reads of a page: landmarks, headings, inputs and labels."""

    def __init__(self) -> None:
        super().__init__()
        self.mains = 0
        self.headings: list[int] = []
        self.inputs: list[str] = []
        self.labels: set[str] = set()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "main":
            self.mains += 1
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "label" and named.get("for"):
            self.labels.add(str(named["for"]))
        if tag in ("input", "select", "textarea") and named.get("type") != "hidden":
            self.inputs.append(str(named.get("id")))
        if "style" in named or (tag == "script" and "src" not in named):
            self.inline.append(tag)
        if any(name.startswith("on") for name in named):
            self.inline.append(f"{tag} handler")


def test_every_page_has_one_main_headings_in_order_and_labelled_inputs(
    graded: tuple[Site, dict[str, int]],
) -> None:
    site, ids = graded
    pages = {
        "ada": [
            "/",
            "/assignments/mle",
            "/attempts/99999",
            *(f"/attempts/{i}" for i in ids.values()),
        ],
        "instructor": [
            "/class/mle",
            "/class/mle/gradebook",
            "/class/mle/student?id=ada",
            f"/attempts/{ids['wrong']}",
        ],
    }
    outlines = {"/signin": site.client().get("/signin").text}
    for who, urls in pages.items():
        client = site.signed_in(who)
        outlines.update({f"{who} {url}": client.get(url).text for url in urls})
    for name, html in outlines.items():
        outline = _Outline()
        outline.feed(html)
        assert outline.mains == 1, name
        assert outline.headings[0] == 1 and outline.headings.count(1) == 1, name
        steps = zip(outline.headings, outline.headings[1:], strict=False)
        assert all(after <= before + 1 for before, after in steps), (name, outline.headings)
        assert set(outline.inputs) <= outline.labels, name
        assert outline.inline == [], name


# ---------------------------------------------------------------------- the instructor


def test_the_class_page_shows_histogram_failure_rates_and_shared_mistakes(
    graded: tuple[Site, dict[str, int]],
) -> None:
    site, ids = graded
    page = site.signed_in("instructor").get("/class/mle").text
    assert "Score distribution" in page and '<rect class="hbar"' in page
    assert "normal_mle_matches_reference" in page and "failure rate" in page
    assert "Shared mistakes" in page and "Ungradable submissions" in page
    group = re.search(r'<div class="group">.*?</div>', page, re.S)
    assert group and '<span class="size">2</span>' in group.group(0)
    assert "Diagnosis:" in group.group(0) and "ddof" in group.group(0)
    assert "student?id=alan" in group.group(0) and "student?id=grace" in group.group(0)
    assert 'action="/class/mle/regrade"' in page and 'name="csrf"' in page
    recent = re.search(r'<table id="recent">.*?</table>', page, re.S)
    assert recent and all(f"/attempts/{i}" in recent.group(0) for i in ids.values())


def test_the_gradebook_sorts_and_links_each_student(graded: tuple[Site, dict[str, int]]) -> None:
    site, ids = graded
    client = site.signed_in("instructor")
    by_name = client.get("/class/mle/gradebook?sort=student").text
    students = re.findall(r'student\?id=(\w+)">', by_name)
    assert students == ["ada", "alan", "grace"]
    by_score = client.get("/class/mle/gradebook?sort=score&order=desc").text
    assert re.findall(r'student\?id=(\w+)">', by_score)[0] == "ada"
    assert f'href="/attempts/{ids["right"]}"' in by_score
    history = client.get("/class/mle/student?id=ada").text
    assert f"/attempts/{ids['wrong']}" in history and f"/attempts/{ids['right']}" in history
    assert client.get(f"/attempts/{ids['wrong']}").status_code == 200


def test_the_instructor_downloads_csvs_that_parse(graded: tuple[Site, dict[str, int]]) -> None:
    site, _ = graded
    client = site.signed_in("instructor")
    grades = client.get("/class/mle/grades.csv")
    assert grades.headers["content-type"].startswith("text/csv")
    assert "attachment" in grades.headers["content-disposition"]
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(grades.text))}
    assert float(rows["ada"]["total"]) == float(rows["ada"]["max_score"]) == 12.0
    canvas = list(csv.reader(io.StringIO(client.get("/class/mle/canvas.csv").text)))
    assert canvas[1][0] == "Points Possible"


def test_the_regrade_button_needs_csrf_and_queues_every_attempt(site: Site) -> None:
    client = site.signed_in("ada")
    upload(client, EXAMPLES / "solution.py")
    assert grade_pending(site.course, InlineExecutor(grade_task)) == 1
    teacher = site.signed_in("instructor")
    page = teacher.get("/class/mle").text
    assert teacher.post("/class/mle/regrade", data={"csrf": "forged"}).status_code == 403
    response = teacher.post("/class/mle/regrade", data={"csrf": csrf_of(page)})
    assert (response.status_code, response.headers["location"]) == (303, "/class/mle?regrading=1")
    assert [a.regrade for a in site.course.store.attempts()] == [1]
