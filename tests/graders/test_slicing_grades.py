"""Cell slicing changes no grade: every sample notebook and every mutant, sliced and in full.

``graders.slicing`` decides which cells can affect a graded name; the engine runs only those.
The claim that matters is that a grade never depends on it. Every sample notebook of every
assignment, and every mutant of ``grader validate``'s catalogue turned into a notebook (one
cell per top-level statement, with cells of demos, a training loop and output in between, as
students write them), is graded twice -- sliced and with ``run_all_cells`` -- and every check's
status, points, message, counterexample and diagnosis must be equal. The one allowed difference
is a full run that hit a cell's time budget, which slicing avoids.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat
import pytest

from graders.engine import grade_path
from graders.results import SubmissionResult
from graders.spec import Assignment, available_assignments, load_assignment
from graders.validate import apply_mutant, build_reference_source, load_catalogue

SLUGS = available_assignments()

# What students put between their functions: demos, a training run, output. None of it binds a
# graded name, so slicing must skip every one of these cells.
_NOISE = (
    "history = {}\nfor rate in (0.1, 0.01):\n    history[rate] = [rate * k for k in range(3)]",
    "total = 0\nfor k in range(200_000):\n    total += k\nprint(total)",
    "print('done')",
    "import math\ncurve = [math.sqrt(k) for k in range(1_000)]\nhistory['curve'] = curve",
)


def _verdict(result: SubmissionResult) -> tuple[Any, ...]:
    """Everything of a result that is a grade or what a student reads about one."""
    checks = tuple(
        (c.check_id, c.status, c.score, c.message, c.counterexample, c.diagnosis, c.behaviour)
        for c in result.checks
    )
    return result.status, result.message, result.score, result.max_score, checks


def _full_run_hit_a_budget(result: SubmissionResult) -> bool:
    return any(cell.get("status") == "timeout" for cell in result.cell_reports)


def _both_ways(path: Path, assignment: Assignment) -> tuple[SubmissionResult, SubmissionResult]:
    sliced = grade_path(path, assignment, secret=None)
    full = grade_path(path, replace(assignment, run_all_cells=True), secret=None)
    return sliced, full


def _as_notebook(source: str) -> nbformat.NotebookNode:
    """``source`` as a notebook: one code cell per top-level statement, noise in between."""
    lines = source.splitlines()
    cells = [nbformat.v4.new_markdown_cell("# A mutant, cell by cell")]
    for index, node in enumerate(ast.parse(source).body):
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        cells.append(nbformat.v4.new_code_cell("\n".join(lines[first - 1 : node.end_lineno])))
        if index % 3 == 2:
            cells.append(nbformat.v4.new_code_cell(_NOISE[index % len(_NOISE)]))
    cells += [nbformat.v4.new_code_cell(noise) for noise in _NOISE]
    return nbformat.v4.new_notebook(cells=cells)


def _mutants(slug: str) -> Iterator[tuple[str, str]]:
    assignment = load_assignment(slug)
    catalogue = load_catalogue(assignment)
    reference = build_reference_source(assignment, catalogue.append)
    yield "reference", reference
    for mutant in catalogue.mutants:
        yield mutant.id, apply_mutant(reference, mutant)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_sample_notebook_grades_the_same_sliced_and_in_full(slug: str) -> None:
    assignment = load_assignment(slug)
    notebooks = sorted((assignment.directory / "examples").glob("*.ipynb"))
    assert notebooks, f"{slug} has no sample notebook"
    for path in notebooks:
        sliced, full = _both_ways(path, assignment)
        assert full.skipped_cells == ()
        if _full_run_hit_a_budget(full):
            continue
        assert _verdict(sliced) == _verdict(full), path.name


@pytest.mark.parametrize("slug", SLUGS)
def test_every_mutant_as_a_notebook_grades_the_same_sliced_and_in_full(
    slug: str, tmp_path: Path
) -> None:
    assignment = load_assignment(slug)
    graded = 0
    for name, source in _mutants(slug):
        path = tmp_path / f"{name}.ipynb"
        path.write_text(json.dumps(_as_notebook(source)), encoding="utf-8")
        sliced, full = _both_ways(path, assignment)
        # The noise cells are what slicing exists for: a slice that skips none proves nothing.
        skipped = {cell["reason"] for cell in sliced.skipped_cells}
        assert len(sliced.skipped_cells) >= len(_NOISE), (name, skipped)
        if _full_run_hit_a_budget(full):
            continue
        assert _verdict(sliced) == _verdict(full), name
        graded += 1
    assert graded > len(load_catalogue(assignment).mutants) // 2
