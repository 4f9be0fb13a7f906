"""``graders.spec``: assignment.toml → Assignment, with errors that name the field at fault."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graders.errors import SpecError
from graders.spec import (
    ASSIGNMENTS_DIR,
    Limits,
    available_assignments,
    load_assignment,
)

MINIMAL = """
slug = "demo"
title = "Demo"

[[questions]]
id = "f"
title = "The function f"
name = "f"
checks = [{ id = "sigmoid_matches_reference", points = 2 }]
"""


def _write(root: Path, text: str, slug: str = "demo") -> Path:
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assignment.toml").write_text(text, encoding="utf-8")
    return folder


def _error(root: Path, text: str) -> str:
    folder = _write(root, text)
    with pytest.raises(SpecError) as info:
        load_assignment(folder)
    return str(info.value)


def test_minimal_spec_gets_the_documented_defaults(tmp_path: Path) -> None:
    spec = load_assignment(_write(tmp_path, MINIMAL))
    assert spec.slug == "demo" and spec.title == "Demo"
    assert spec.directory == tmp_path / "demo"
    assert spec.limits == Limits(cell_timeout=10.0, call_timeout=10.0)
    assert spec.data_files == () and spec.optional_data == ()
    (question,) = spec.questions
    assert (question.kind, question.signature, question.returns, question.optional) == (
        "function",
        "f",
        "",
        False,
    )
    (check,) = question.checks
    assert (check.points, check.rtol, check.atol, check.max_examples) == (2.0, 1e-6, 1e-9, 40)
    assert spec.max_score == question.max_score == 2.0


@pytest.mark.parametrize("how", ["directory", "toml", "slug"])
def test_loads_by_directory_file_or_slug(tmp_path: Path, how: str) -> None:
    folder = _write(tmp_path, MINIMAL)
    arguments: dict[str, str | Path] = {
        "directory": folder,
        "toml": folder / "assignment.toml",
        "slug": "demo",
    }
    argument = arguments[how]
    assert load_assignment(argument, root=tmp_path).slug == "demo"


def test_unknown_slug_lists_the_available_ones(tmp_path: Path) -> None:
    _write(tmp_path, MINIMAL)
    with pytest.raises(SpecError, match=r"unknown assignment 'nope'; available: demo"):
        load_assignment("nope", root=tmp_path)
    assert available_assignments(tmp_path) == ("demo",)


def test_shipped_assignments_are_listed() -> None:
    assert available_assignments() == tuple(
        sorted(p.parent.name for p in ASSIGNMENTS_DIR.glob("*/assignment.toml"))
    )


def test_slug_must_match_its_directory(tmp_path: Path) -> None:
    folder = _write(tmp_path, MINIMAL, slug="elsewhere")
    with pytest.raises(SpecError, match="slug 'demo' does not match its directory 'elsewhere'"):
        load_assignment(folder)


def test_unreadable_toml(tmp_path: Path) -> None:
    assert "cannot read the spec" in _error(tmp_path, 'slug = "demo"\ntitle = ')


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('title = "Demo"\n', "", r"missing field title"),
        ('name = "f"\n', "", r"missing field questions\[0\]\.name"),
        ("points = 2", "points = 0", r"questions\[0\]\.checks\[0\]\.points must be positive"),
        ("points = 2", "points = -1", r"points must be positive"),
        ("points = 2", "points = true", r"questions\[0\]\.checks\[0\]\.points must not be a bool"),
        ("points = 2", 'points = "2"', r"points must be int or float, got str '2'"),
        ("points = 2", "points = 2, max_examples = 0", r"max_examples must be at least 1"),
        ("points = 2", "points = 2, max_examples = 1.5", r"max_examples must be int"),
        ('id = "f"\n', 'id = "f"\nkind = "method"\n', r"kind must be 'function' or 'value'"),
        ('id = "f"\n', 'id = "f"\noptional = "yes"\n', r"optional must be bool"),
        (
            'checks = [{ id = "sigmoid_matches_reference", points = 2 }]',
            "checks = []",
            r"questions\[0\]\.checks is empty",
        ),
        (
            'checks = [{ id = "sigmoid_matches_reference", points = 2 }]',
            'checks = ["sigmoid_matches_reference"]',
            r"questions\[0\]\.checks\[0\] must be a table, got str",
        ),
        (
            'title = "Demo"\n',
            'title = "Demo"\n[limits]\ncell_timeout = "10"\n',
            r"limits\.cell_timeout",
        ),
        ('title = "Demo"\n', 'title = "Demo"\n[data]\nfiles = ["nope.csv"]\n', r"'nope\.csv'"),
    ],
)
def test_malformed_fields_are_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in MINIMAL
    assert re.search(message, _error(tmp_path, MINIMAL.replace(old, new, 1)))


def test_duplicate_question_ids(tmp_path: Path) -> None:
    question = MINIMAL[MINIMAL.index("[[questions]]") :]
    assert "duplicate question ids: f" in _error(tmp_path, MINIMAL + question)


def test_optional_questions_are_not_in_the_total(tmp_path: Path) -> None:
    optional = MINIMAL[MINIMAL.index("[[questions]]") :].replace(
        'id = "f"', 'id = "g"\noptional = true'
    )
    spec = load_assignment(_write(tmp_path, MINIMAL + optional))
    assert [q.optional for q in spec.questions] == [False, True]
    assert spec.max_score == 2.0


def test_data_files_resolve_inside_the_assignment(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        MINIMAL.replace(
            'title = "Demo"\n',
            'title = "Demo"\n[data]\nfiles = ["d/x.csv"]\noptional = ["y.csv"]\n',
        ),
    )
    (folder / "d").mkdir()
    (folder / "d" / "x.csv").write_text("a\n1\n", encoding="utf-8")
    spec = load_assignment(folder)
    assert spec.data_files == (folder / "d" / "x.csv",)
    assert spec.optional_data == ("y.csv",)


def test_question_lookup_names_the_known_ids(tmp_path: Path) -> None:
    spec = load_assignment(_write(tmp_path, MINIMAL))
    assert spec.question("f").name == "f"
    with pytest.raises(KeyError, match="no question 'g' in demo; known: f"):
        spec.question("g")
