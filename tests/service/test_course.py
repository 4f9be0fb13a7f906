"""``grader course init``: the course folder, hashed tokens, the roster, no re-init."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from graders.cli import main
from graders.service import CourseError, init_course, open_course, read_roster
from graders.service.auth import Authenticator
from tests.service.conftest import STUDENTS, make_course, tokens_of


def test_init_stores_token_hashes_only(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    tokens = tokens_of(root)
    instructor = (root / "instructor.token").read_text(encoding="utf-8").strip()
    assert sorted(tokens) == sorted(STUDENTS)
    assert len(set(tokens.values()) | {instructor}) == len(STUDENTS) + 1
    stored = b"".join(p.read_bytes() for p in root.glob("gradebook.sqlite*"))
    for token in [*tokens.values(), instructor]:
        assert token.encode() not in stored
        assert hashlib.sha256(token.encode()).hexdigest().encode() in stored
    course = open_course(root)
    auth = Authenticator(course.store.identities())
    who = auth.identify(f"Bearer {tokens['ada']}")
    assert who is not None and who.student == "ada" and not who.is_instructor
    boss = auth.identify(f"Bearer {instructor}")
    assert boss is not None and boss.is_instructor
    assert auth.identify(f"Bearer {tokens['ada']}x") is None
    assert auth.identify(tokens["ada"]) is None  # not a Bearer header


def test_init_keeps_the_roster_and_the_course_secret(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    course = open_course(root)
    assert course.store.students() == list(STUDENTS)
    extra = course.store.rows("SELECT extra_json FROM service_students WHERE student_id = 'alan'")
    assert extra == [('{"email": "alan@example.org", "name": "Alan"}',)]
    assert open_course(root).secret == course.secret  # stored once, read back
    assert list(course.settings.assignments) == ["mle"]


def test_init_refuses_an_existing_course_and_leaves_it_intact(tmp_path: Path) -> None:
    root = make_course(tmp_path)
    before = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    with pytest.raises(CourseError, match="already exists and is not empty"):
        init_course(root, tmp_path / "roster.csv", ["mle"])
    code = main(["course", "init", str(root), "--roster", str(tmp_path / "roster.csv")])
    assert code == 2
    assert {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()} == before


def test_the_command_creates_a_course_from_the_bundled_roster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from graders.service import course as module

    roster = Path(module.__file__).with_name("sample_roster.csv")
    assert main(["course", "init", str(tmp_path / "c"), "--roster", str(roster)]) == 0
    assert "5 students" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,email\nAda,a@x\n", "needs a student_id column"),
        ("student_id\nada\nada\n", "line 3: student_id 'ada' appears twice"),
        ("student_id,name\n,Ada\n", "line 2: empty student_id"),
        ("student_id\n", "lists no student"),
    ],
)
def test_a_bad_roster_is_refused_with_its_line(tmp_path: Path, text: str, message: str) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(text, encoding="utf-8")
    with pytest.raises(CourseError, match=message):
        read_roster(roster)
    assert not (tmp_path / "course").exists() or not any((tmp_path / "course").iterdir())


def test_an_unknown_assignment_is_refused(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\nada\n", encoding="utf-8")
    with pytest.raises(CourseError, match="unknown assignment 'nope'"):
        init_course(tmp_path / "course", roster, ["nope"])


def test_no_token_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """`grader submit --token TOKEN` would take a token starting with `-` for an option (seen
    once in CI: about 1 token in 64 of `token_urlsafe`)."""
    import secrets

    from graders.cli import build_parser
    from graders.service import auth

    drawn = iter(["-looks-like-an-option", "_fine-token"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda nbytes: next(drawn))
    assert auth.new_token() == "_fine-token"
    monkeypatch.undo()
    tokens = [auth.new_token() for _ in range(2000)]
    assert not [t for t in tokens if t.startswith("-")]
    assert len(set(tokens)) == 2000 and {len(t) for t in tokens} == {43}
    args = ["submit", "hw.py", "--assignment", "mle", "--server", "http://x", "--token"]
    assert build_parser().parse_args([*args, tokens[0]]).token == tokens[0]
