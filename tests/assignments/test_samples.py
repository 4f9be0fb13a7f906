"""Every bundled sample submission grades as its ``examples/<stem>.expected.toml`` says.

The samples are the grader's end-to-end regression suite: honest alternatives that must earn
full marks, typical mistakes that must fail named checks with named diagnoses, and malformed
files that must be ungradable. They are graded in parallel, once per session (the check tests
reuse the same grades).
"""

from __future__ import annotations

import pytest

from graders.samples import expectation_path, load_expectation, mismatches
from tests.graders.grading import Graded, all_samples, assignment, explain, grade_samples

SAMPLES = all_samples()


@pytest.fixture(scope="module")
def graded(request: pytest.FixtureRequest) -> dict[tuple[str, str], Graded]:
    """Grades of the samples selected in this run (all of them, unless -k narrows it)."""
    selected = [
        params["sample"]
        for item in request.session.items
        if getattr(item, "module", None) is request.module
        and "sample" in (params := getattr(getattr(item, "callspec", None), "params", {}))
    ]
    return grade_samples(selected or SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{slug}/{name}" for slug, name in SAMPLES])
def test_sample_grades_as_expected(
    graded: dict[tuple[str, str], Graded], sample: tuple[str, str]
) -> None:
    slug, name = sample
    spec = assignment(slug)
    path = spec.directory / "examples" / name
    problems = mismatches(graded[sample].result, spec, load_expectation(path))
    assert problems == [], "\n".join(problems) + "\n" + explain(graded[sample])


def test_there_are_samples_of_each_kind() -> None:
    """Each assignment ships a full-marks sample and the untouched template."""
    for slug in {s for s, _ in SAMPLES}:
        spec = assignment(slug)
        names = [n for s, n in SAMPLES if s == slug]
        expectations = [load_expectation(spec.directory / "examples" / n) for n in names]
        full = [
            e
            for e in expectations
            if e.questions and set(e.questions.values()) <= {"full", "absent"}
        ]
        zero = [
            e
            for e in expectations
            if e.questions and set(e.questions.values()) <= {"zero", "absent"}
        ]
        assert full and zero, slug


def test_every_expectation_has_its_sample() -> None:
    """An expectation without a sample would silently test nothing."""
    for slug in {s for s, _ in SAMPLES}:
        folder = assignment(slug).directory / "examples"
        expected = {p.name.removesuffix(".expected.toml") for p in folder.glob("*.expected.toml")}
        samples = {
            expectation_path(folder / n).name.removesuffix(".expected.toml")
            for s, n in SAMPLES
            if s == slug
        }
        assert expected == samples, slug


def test_expectations_name_real_questions_and_checks() -> None:
    for slug, name in SAMPLES:
        spec = assignment(slug)
        expectation = load_expectation(spec.directory / "examples" / name)
        ids = {q.id for q in spec.questions}
        assert set(expectation.questions) <= ids, (slug, name)
        assert set(expectation.must_fail) <= ids and set(expectation.diagnosis) <= ids, (slug, name)
        for question, checks in expectation.must_fail.items():
            listed = {c.id for c in spec.question(question).checks}
            assert set(checks) <= listed, (slug, name, question)
        if expectation.status == "graded":
            assert set(expectation.questions) == ids, (slug, name)
