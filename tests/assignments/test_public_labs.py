"""The section's three public labs, graded exactly as students do them (``grader check`` with the
lab's data through ``--data``): the official solutions get full marks on every function the lab
asks students to write, the official templates get zero, and neither crashes.

The official notebooks and data are not part of this repository: they sit in ``shared/labs``
beside it (``<repository>/../shared/labs``), or wherever ``MLE_GRADER_LABS`` points. Without
them these tests are skipped.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from graders import cli
from graders.exitcodes import EXIT_PARTIAL

LABS_ENV = "MLE_GRADER_LABS"
REPOSITORY = Path(__file__).resolve().parents[2]


def _labs_dir() -> Path:
    override = os.environ.get(LABS_ENV)
    return Path(override) if override else REPOSITORY.parent / "shared" / "labs"


LABS = _labs_dir()

# lab folder -> (assignment slug, the questions of ours the lab asks students to write)
PUBLIC_LABS: dict[str, tuple[str, frozenset[str]]] = {
    "gradient-descent-lab": ("gradient-descent", frozenset({"rss", "cur_x"})),
    "coding-logistic-regression-from-scratch": (
        "logistic-regression-from-scratch",
        frozenset({"predict_y", "sigmoid", "grad_desc"}),
    ),
    # Written with scikit-learn: it writes none of our functions (it imports roc_curve and auc).
    "logistic-regression-model-comparisons-lab": ("model-comparisons", frozenset()),
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not LABS.is_dir(), reason=f"the public labs are not at {LABS} (set {LABS_ENV})"
    ),
]


def _check(lab: str, notebook: str) -> tuple[int, dict[str, Any]]:
    """``grader check <lab>/<notebook>.ipynb --assignment SLUG --data <lab>/data``."""
    slug, _ = PUBLIC_LABS[lab]
    folder = LABS / lab
    argv = ["check", str(folder / f"{notebook}.ipynb"), "--assignment", slug]
    argv += ["--data", str(folder / "data"), "--format", "json"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(argv)
    return code, json.loads(out.getvalue())


@pytest.fixture(scope="module")
def graded() -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    return {
        (lab, notebook): _check(lab, notebook)
        for lab in PUBLIC_LABS
        for notebook in ("solution", "template")
    }


def _tests(document: dict[str, Any]) -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = document["tests"]
    return tests


def _question(test: dict[str, Any]) -> str:
    question: str = test["extra_data"]["question"]
    return question


def _cells(document: dict[str, Any]) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = document["extra_data"]["cells"]
    return cells


@pytest.mark.parametrize("lab", sorted(PUBLIC_LABS))
def test_the_official_solution_gets_full_marks_on_what_the_lab_asks_for(
    graded: dict[tuple[str, str], tuple[int, dict[str, Any]]], lab: str
) -> None:
    code, document = graded[lab, "solution"]
    _, asked = PUBLIC_LABS[lab]
    assert document["extra_data"]["submission_status"] == "graded" and code == EXIT_PARTIAL
    tests = _tests(document)
    lost = {
        t["name"]: t["output"]
        for t in tests
        if _question(t) in asked and t["score"] < t["max_score"]
    }
    assert not lost, lost
    assert asked <= {_question(t) for t in tests}
    # What the lab does not ask for is simply missing (or, imported from a library, graded).
    assert all(t["extra_data"]["status"] != "error" for t in tests if _question(t) not in asked)
    # The lab's data reached the worker and could be read (pd.read_excel needs openpyxl there).
    unread = [
        c for c in _cells(document) if "No such file" in c["message"] or "openpyxl" in c["message"]
    ]
    assert not unread, unread


@pytest.mark.parametrize("lab", sorted(PUBLIC_LABS))
def test_the_official_template_gets_zero(
    graded: dict[tuple[str, str], tuple[int, dict[str, Any]]], lab: str
) -> None:
    code, document = graded[lab, "template"]
    assert document["extra_data"]["submission_status"] == "graded" and code == EXIT_PARTIAL
    earned = {t["name"]: t["output"] for t in _tests(document) if t["score"] > 0}
    assert document["score"] == 0 and not earned, earned


def test_the_gradient_descent_template_loses_the_cur_x_point_it_never_defines(
    graded: dict[tuple[str, str], tuple[int, dict[str, Any]]],
) -> None:
    _, document = graded["gradient-descent-lab", "template"]
    (cur_x,) = [t for t in _tests(document) if _question(t) == "cur_x"]
    assert (cur_x["extra_data"]["status"], cur_x["max_score"]) == ("missing", 1)
