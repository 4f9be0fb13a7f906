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
    assert spec.run_all_cells is False


def test_run_all_cells_is_a_spec_setting(tmp_path: Path) -> None:
    spec = load_assignment(_write(tmp_path, "run_all_cells = true\n" + MINIMAL))
    assert spec.run_all_cells is True


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
        (
            "points = 2",
            "points = 0",
            r"questions\[0\]\.checks\[0\]\.points: expected a number > 0\.0, got 0",
        ),
        ("points = 2", "points = -1", r"points: expected a number > 0\.0, got -1"),
        (
            "points = 2",
            "points = true",
            r"questions\[0\]\.checks\[0\]\.points: expected a number, got a boolean",
        ),
        ("points = 2", 'points = "2"', r"points: expected a number, got a string \('2'\)"),
        (
            "points = 2",
            "points = 2, max_examples = 0",
            r"max_examples: expected an integer >= 1, got 0",
        ),
        (
            "points = 2",
            "points = 2, max_examples = 1.5",
            r"max_examples: expected an integer, got a number \(1\.5\)",
        ),
        (
            'id = "f"\n',
            'id = "f"\nkind = "method"\n',
            r"questions\[0\]\.kind: invalid enum value 'method'",
        ),
        (
            'id = "f"\n',
            'id = "f"\noptional = "yes"\n',
            r"questions\[0\]\.optional: expected a boolean, got a string \('yes'\)",
        ),
        (
            'checks = [{ id = "sigmoid_matches_reference", points = 2 }]',
            "checks = []",
            r"questions\[0\]\.checks: expected a list of length >= 1, got \[\]",
        ),
        (
            'checks = [{ id = "sigmoid_matches_reference", points = 2 }]',
            'checks = ["sigmoid_matches_reference"]',
            r"questions\[0\]\.checks\[0\]: expected a table, got a string",
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


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "points = 2",
            "points = 2, rtoll = 1e-3",
            r"unknown key 'rtoll' in \[questions\[0\]\.checks\[0\]\]; did you mean 'rtol'\?",
        ),
        (
            'name = "f"\n',
            'name = "f"\nsignatur = "f(x)"\n',
            r"in \[questions\[0\]\]; did you mean 'signature'",
        ),
        (
            'title = "Demo"\n',
            'title = "Demo"\ntitel = "x"\n',
            r"unknown key 'titel' in the top level; did you mean 'title'",
        ),
        (
            'title = "Demo"\n',
            'title = "Demo"\n[limits]\ncell_timout = 3\n',
            r"unknown key 'cell_timout' in \[limits\]; did you mean 'cell_timeout'\? "
            r"\(known keys: cell_timeout, call_timeout",
        ),
        (
            'title = "Demo"\n',
            'title = "Demo"\n[data]\nzzz = []\n',
            r"unknown key 'zzz' in \[data\] \(known keys: files, optional",
        ),
    ],
)
def test_unknown_keys_are_refused_with_the_closest_known_one(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    # A misspelt tolerance used to be ignored silently: the default tolerance graded instead.
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
