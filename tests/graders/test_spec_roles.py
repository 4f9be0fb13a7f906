"""``[data.roles]``: checks and plots ask for a data file by role, never by file name."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from graders.checks import CheckContext, validate_assignment
from graders.checks import registry as reg
from graders.errors import SpecError
from graders.spec import Assignment, load_assignment

SPEC = """
slug = "demo"
title = "Demo"

[data]
files = ["d/train.csv", "d/test.csv"]
optional = ["lab.csv"]
{roles}
[[questions]]
id = "f"
title = "The function f"
name = "f"
checks = [{{ id = "sigmoid_matches_reference", points = 2 }}]
"""

ROLES = """
[data.roles]
train = "d/train.csv"
test = "d/test.csv"
public_lab = "lab.csv"
"""


def _spec(root: Path, roles: str = ROLES) -> Path:
    folder = root / "demo"
    (folder / "d").mkdir(parents=True, exist_ok=True)
    for name in ("train.csv", "test.csv"):
        (folder / "d" / name).write_text("a\n1\n", encoding="utf-8")
    (folder / "assignment.toml").write_text(SPEC.format(roles=roles), encoding="utf-8")
    return folder


def test_roles_name_shipped_and_public_lab_files(tmp_path: Path) -> None:
    folder = _spec(tmp_path)
    spec = load_assignment(folder)
    assert spec.roles == {"train": "d/train.csv", "test": "d/test.csv", "public_lab": "lab.csv"}
    assert spec.data_file("train") == folder / "d" / "train.csv"
    assert spec.data_file("test") == folder / "d" / "test.csv"
    assert spec.lab_data_name("public_lab") == "lab.csv"
    assert spec.lab_data_name("train") is None  # shipped, not the lab's
    assert spec.lab_data_name("nothing") is None


def test_a_spec_without_roles_has_none(tmp_path: Path) -> None:
    spec = load_assignment(_spec(tmp_path, roles=""))
    assert spec.roles == {} and spec.data_roles == ()
    with pytest.raises(SpecError, match=r"no data file has the role 'train'.*named there: none"):
        spec.data_file("train")


def test_a_role_must_name_a_listed_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"data\.roles\.train names 'd/trian\.csv', which neither"):
        load_assignment(_spec(tmp_path, roles='[data.roles]\ntrain = "d/trian.csv"\n'))


def test_role_names_are_checked_like_every_key(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="data.roles"):
        load_assignment(_spec(tmp_path, roles='[data.roles]\n"Train Set" = "d/train.csv"\n'))


def test_a_misspelt_roles_table_is_refused(tmp_path: Path) -> None:
    folder = _spec(tmp_path, roles='[data.role]\ntrain = "d/train.csv"\n')
    with pytest.raises(SpecError, match=r"unknown key 'role' in \[data\]; did you mean 'roles'"):
        load_assignment(folder)


def test_a_public_lab_role_is_no_shipped_file(tmp_path: Path) -> None:
    spec = load_assignment(_spec(tmp_path))
    with pytest.raises(SpecError, match="'public_lab' names 'lab.csv', one of the public lab's"):
        spec.data_file("public_lab")


def test_the_context_finds_the_lab_file_only_when_supplied(tmp_path: Path) -> None:
    spec = load_assignment(_spec(tmp_path))
    question = spec.questions[0]
    bare = CheckContext(
        session=None,  # type: ignore[arg-type]  # never called here
        assignment=spec,
        question=question,
        spec=question.checks[0],
    )
    assert bare.lab_file("public_lab") is None
    supplied = dataclasses.replace(bare, lab_data={"lab.csv": tmp_path / "lab.csv"})
    assert supplied.lab_file("public_lab") == tmp_path / "lab.csv"
    assert supplied.lab_file("train") is None


def _without_roles(spec: Assignment) -> Assignment:
    return dataclasses.replace(spec, data_roles=())


@pytest.mark.parametrize(
    ("slug", "check_id", "role"),
    [
        ("model-comparisons", "auc_by_C_matches_reference", "train"),
        ("gradient-descent", "cur_x_matches_lab_descent", "descent"),
    ],
)
def test_a_check_needing_an_undeclared_role_is_refused_before_grading(
    slug: str, check_id: str, role: str
) -> None:
    assert role in reg.REGISTRY[check_id].data_roles
    spec = load_assignment(slug)
    validate_assignment(spec)
    with pytest.raises(SpecError, match=rf"check '{check_id}' reads a data file by role: .*{role}"):
        validate_assignment(_without_roles(spec))


def test_no_check_or_plot_names_a_data_file() -> None:
    """The bundled file names live in assignment.toml only."""
    folder = Path(reg.__file__).parent
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        names = ("breast_cancer_train.csv", "breast_cancer_test.csv", "linear.csv", "heart.csv")
        for name in (*names, '"movie_data.xlsx"'):
            assert name not in text, (path.name, name)
