"""Judging a grade against its known answer: full marks for the reference, the named checks
failing (and only those) for a mutant.

One reason to change: what counts as the reference or a mutant grading correctly (samples are
judged by their expectations, :func:`graders.samples.mismatches`).
"""

from __future__ import annotations

from graders.results import SubmissionResult
from graders.spec import Assignment
from graders.validate.catalogue import Mutant

__all__ = ["judge_mutant", "judge_reference"]


def _cell_problems(result: SubmissionResult) -> list[str]:
    return [
        f"cell {r.get('cell')} {r.get('status')}: {r.get('message')}"
        for r in result.cell_reports
        if r.get("status") != "ok"
    ]


def judge_reference(result: SubmissionResult, assignment: Assignment) -> list[str]:
    """Why the reference's grade is not full marks on every question (empty: it is)."""
    if result.status != "graded":
        return [f"ungradable: {result.message}"]
    problems = _cell_problems(result)
    graded = {c.check_id for c in result.checks}
    for question in assignment.questions:
        for spec in question.checks:
            if spec.id not in graded:
                problems.append(f"{spec.id}: not graded (`{question.name}` is absent)")
    for check in result.checks:
        if check.status != "passed":
            first = check.message.strip().splitlines()[:1]
            problems.append(f"{check.check_id}: {check.status}: {' '.join(first)}")
    return problems


def judge_mutant(result: SubmissionResult, mutant: Mutant) -> tuple[bool, list[str]]:
    """``(caught, problems)``: caught when every check in ``kills`` failed; problems lists each
    kill that passed (the mutant survives it) and each check outside ``kills`` and
    ``also_affects`` that did not pass (the catalogue or a check blames the wrong function)."""
    if result.status != "graded":
        return False, [f"ungradable: {result.message}"]
    status = {c.check_id: c.status for c in result.checks}
    problems = [f"survived {k}" for k in mutant.kills if status.get(k, "missing") == "passed"]
    caught = not problems
    allowed = set(mutant.kills) | set(mutant.also_affects)
    for check in result.checks:
        if check.check_id not in allowed and check.status != "passed":
            first = " ".join(check.message.strip().splitlines()[:1])
            problems.append(f"unexpectedly {check.status} {check.check_id}: {first}")
    return caught, problems
