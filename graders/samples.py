"""Sample submissions and their expected outcomes (``examples/<stem>.expected.toml``).

An expectation says, per question, whether the sample earns ``full``, ``partial`` or ``zero``
points (``absent`` for an optional question the sample does not attempt), which checks must fail,
and optionally a regex the failure's diagnosis must match. Used by ``grader samples``, by
``grader validate`` and by the tests.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from graders.errors import SpecError
from graders.results import SubmissionResult
from graders.spec import Assignment

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

Outcome = Literal["full", "partial", "zero", "absent"]
SUBMISSION_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Expectation:
    """What grading one sample must give."""

    status: Literal["graded", "ungradable"]
    questions: dict[str, Outcome] = field(default_factory=dict)
    must_fail: dict[str, tuple[str, ...]] = field(default_factory=dict)
    diagnosis: dict[str, str] = field(default_factory=dict)


def sample_paths(assignment: Assignment) -> tuple[Path, ...]:
    """Every sample submission of ``assignment``, sorted by name."""
    folder = assignment.directory / "examples"
    return tuple(
        sorted(p for p in folder.iterdir() if p.suffix in SUBMISSION_SUFFIXES and p.is_file())
    )


def expectation_path(sample: Path) -> Path:
    """``examples/foo.ipynb`` → ``examples/foo.expected.toml``."""
    return sample.with_name(sample.stem + ".expected.toml")


def load_expectation(sample: Path) -> Expectation:
    """Parse the expectation beside ``sample``; ``SpecError`` if missing or malformed."""
    path = expectation_path(sample)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: {exc}") from exc
    status = raw.get("status")
    if status not in ("graded", "ungradable"):
        raise SpecError(f"{path}: status must be 'graded' or 'ungradable', got {status!r}")
    questions = dict(raw.get("questions", {}))
    bad = {q: o for q, o in questions.items() if o not in ("full", "partial", "zero", "absent")}
    if bad:
        raise SpecError(f"{path}: unknown outcomes {bad}")
    return Expectation(
        status=status,
        questions=questions,
        must_fail={q: tuple(v) for q, v in raw.get("must_fail", {}).items()},
        diagnosis=dict(raw.get("diagnosis", {})),
    )


def outcomes(result: SubmissionResult, assignment: Assignment) -> dict[str, Outcome]:
    """Per question of ``assignment``: full, partial, zero or absent (not graded at all)."""
    found: dict[str, Outcome] = {}
    for question in assignment.questions:
        checks = [c for c in result.checks if c.question == question.id]
        if not checks:
            found[question.id] = "absent" if result.status == "graded" else "zero"
            continue
        score = sum(c.score for c in checks)
        top = sum(c.max_score for c in checks)
        found[question.id] = "full" if score >= top else ("zero" if score == 0 else "partial")
    return found


def mismatches(
    result: SubmissionResult, assignment: Assignment, expected: Expectation
) -> list[str]:
    """Human-readable differences between a grade and its expectation (empty: as expected)."""
    problems: list[str] = []
    if result.status != expected.status:
        problems.append(f"status {result.status!r}, expected {expected.status!r}: {result.message}")
        return problems
    if result.status == "ungradable":
        return problems
    got = outcomes(result, assignment)
    for question, outcome in expected.questions.items():
        if got.get(question) != outcome:
            problems.append(f"{question}: {got.get(question)}, expected {outcome}")
    by_id = {c.check_id: c for c in result.checks}
    for question, check_ids in expected.must_fail.items():
        for check_id in check_ids:
            check = by_id.get(check_id)
            if check is None or check.status == "passed":
                problems.append(f"{question}: check {check_id} should fail but passed")
    for question, pattern in expected.diagnosis.items():
        diagnoses = [c.diagnosis or "" for c in result.checks if c.question == question]
        if not any(re.search(pattern, d) for d in diagnoses):
            problems.append(f"{question}: no diagnosis matches /{pattern}/ (got {diagnoses})")
    return problems


def iter_samples(assignment: Assignment) -> Iterator[tuple[Path, Expectation]]:
    """Each sample with its expectation."""
    for path in sample_paths(assignment):
        yield path, load_expectation(path)
