"""Tests for graders.validate and ``grader validate``: the built reference, the mutant catalogues
and the verdicts.

Most tests build sources and parse catalogues without running anything. Three grade through the
real sandbox (a few seconds each); the run of every catalogue takes minutes and is marked slow.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from graders.cli import main
from graders.errors import SpecError
from graders.results import CheckResult, SubmissionResult
from graders.spec import Assignment, available_assignments, load_assignment
from graders.validate import (
    CATALOGUE_NAME,
    MIN_MUTANTS,
    Edit,
    Job,
    Mutant,
    apply_mutant,
    build_reference_source,
    judge_mutant,
    judge_reference,
    load_catalogue,
    plan_jobs,
    run_job,
    validate,
)

SLUGS = available_assignments()


def built(slug: str) -> str:
    assignment = load_assignment(slug)
    return build_reference_source(assignment, load_catalogue(assignment).append)


def imports_reference(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (
            node.level > 0 or (node.module or "").split(".")[0] == "reference"
        ):
            found.append(ast.unparse(node))
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "reference" for a in node.names
        ):
            found.append(ast.unparse(node))
    return found


# --- the built reference -----------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_built_reference_is_self_contained_and_defines_every_graded_name(slug: str) -> None:
    source = built(slug)
    compile(source, slug, "exec")
    assert imports_reference(source) == []
    tree = ast.parse(source)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)} | {
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    for question in load_assignment(slug).questions:
        assert question.name in defined, question.name
    # One future import, at the top, where Python accepts it.
    assert source.count("from __future__ import annotations") == 1


def test_named_tuple_results_become_plain_tuples_but_internal_callers_keep_them() -> None:
    source = built("gradient-descent")
    assert "gradient_descent = _plain_tuple(gradient_descent, 'gradient_descent')" in source
    # multi_start reads `.point`, so it must call the NamedTuple-returning original.
    assert "= _reference_gradient_descent(grad, first, alpha, max_iterations, precision).point" in (
        source
    )


def test_built_reference_gets_full_marks_through_the_sandbox(tmp_path: Path) -> None:
    assignment = load_assignment("mle")
    path = tmp_path / "reference.py"
    path.write_text(built("mle"), encoding="utf-8")
    verdict = run_job(Job(str(assignment.directory), "mle", "reference", "reference", path))
    assert verdict.problems == ()
    assert verdict.ok
    assert verdict.score == verdict.max_score == assignment.max_score


# --- the catalogues ----------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_every_catalogue_has_enough_mutants_each_declaring_kills(slug: str) -> None:
    assignment = load_assignment(slug)
    catalogue = load_catalogue(assignment)
    checks = {c.id for q in assignment.questions for c in q.checks}
    assert len(catalogue.mutants) >= MIN_MUTANTS == 12
    for mutant in catalogue.mutants:
        assert mutant.kills, mutant.id
        assert set(mutant.kills) <= checks
        assert set(mutant.also_affects) <= checks


@pytest.mark.parametrize("slug", SLUGS)
def test_every_mutant_applies_compiles_and_changes_the_reference(slug: str) -> None:
    source = built(slug)
    for mutant in load_catalogue(load_assignment(slug)).mutants:
        mutated = apply_mutant(source, mutant)
        assert mutated != source, mutant.id
        assert imports_reference(mutated) == []


@pytest.mark.parametrize("slug", SLUGS)
def test_every_check_is_the_target_of_some_mutant(slug: str) -> None:
    assignment = load_assignment(slug)
    killed = {k for m in load_catalogue(assignment).mutants for k in m.kills}
    checks = {c.id for q in assignment.questions for c in q.checks}
    assert checks - killed == set()


def mutant(*edits: tuple[str, str], kills: tuple[str, ...] = ("x",)) -> Mutant:
    return Mutant("m1", "a test mutant", tuple(Edit(o, n) for o, n in edits), kills)


def test_an_edit_that_does_not_apply_names_the_mutant_and_the_edit() -> None:
    source = "def f(x):\n    return x + 1\n\ndef g(x):\n    return x + 1\n"
    with pytest.raises(SpecError) as missing:
        apply_mutant(source, mutant(("return x + 1", "return x"), ("return y", "return 0")))
    assert "occurs 2 times" in str(missing.value)
    assert str(missing.value).startswith("mutant 'm1', edit 1: old 'return x + 1' occurs 2 times")
    with pytest.raises(SpecError, match=r"mutant 'm1', edit 2: old 'y' does not occur"):
        apply_mutant(source, mutant(("def f(x):\n    return x + 1", "def f(x): pass"), ("y", "z")))
    with pytest.raises(SpecError, match=r"mutant 'm1' is not valid Python: line 1"):
        apply_mutant(source, mutant(("def f(x):", "def f(x:")))


def copy_assignment(tmp_path: Path, slug: str, catalogue: str, samples: tuple[str, ...]) -> Path:
    """A copy of an assignment with its own catalogue and only the named samples."""
    folder = tmp_path / slug
    shutil.copytree(load_assignment(slug).directory, folder)
    for path in (folder / "examples").iterdir():
        if path.name.split(".")[0] not in samples:
            path.unlink()
    (folder / CATALOGUE_NAME).write_text(catalogue, encoding="utf-8")
    return folder


GHOST = """
[[mutants]]
id = "ghost"
description = "an edit of text the reference does not contain"
kills = ["bernoulli_mle_matches_reference"]
[[mutants.edits]]
old = "this text is not in the reference"
new = "nor is this"
"""


def test_validate_stops_with_a_clear_error_before_grading_a_broken_catalogue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("graders.validate.catalogue.MIN_MUTANTS", 1)
    folder = copy_assignment(tmp_path, "mle", GHOST, ())
    with pytest.raises(SpecError, match="mutant 'ghost', edit 1: old 'this text is not in"):
        plan_jobs(load_assignment(folder), tmp_path / "work")
    assert main(["validate", "--assignment", str(folder)]) == 2
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert "mutant 'ghost', edit 1: old 'this text is not in the reference' does not occur" in err
    assert "in the built reference of mle" in err


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("kills = []", "kills is empty"),
        ('kills = ["no_such_check"]', "kills names no_such_check, not a check of this"),
        (
            'kills = ["bernoulli_mle_matches_reference"]\n'
            'also_affects = ["bernoulli_mle_matches_reference"]',
            "listed in both kills and also_affects",
        ),
    ],
)
def test_catalogue_fields_are_checked(tmp_path: Path, body: str, message: str) -> None:
    text = f"""
[[mutants]]
id = "m"
description = "d"
{body}
[[mutants.edits]]
old = "a"
new = "b"
"""
    folder = copy_assignment(tmp_path, "mle", text, ())
    with pytest.raises(SpecError, match=re.escape(message)):
        load_catalogue(load_assignment(folder), minimum=1)


def test_a_catalogue_that_is_too_small_is_refused(tmp_path: Path) -> None:
    folder = copy_assignment(tmp_path, "mle", GHOST, ())
    with pytest.raises(SpecError, match="1 mutants; a catalogue needs at least 12"):
        load_catalogue(load_assignment(folder))


# --- verdicts ----------------------------------------------------------------------------------


def result(statuses: dict[str, str]) -> SubmissionResult:
    checks = tuple(
        CheckResult(
            check_id=check_id,
            question="q",
            name=check_id,
            status=status,  # type: ignore[arg-type]
            score=1.0 if status == "passed" else 0.0,
            max_score=1.0,
            message="" if status == "passed" else "it went wrong\nsecond line",
        )
        for check_id, status in statuses.items()
    )
    return SubmissionResult(
        student="m",
        assignment="a",
        status="graded",
        checks=checks,
        isolation="bwrap",
        notes=(),
        cell_reports=({"cell": 1, "status": "ok", "message": ""},),
        timings={},
        sha256="",
    )


def test_a_mutant_is_caught_when_every_kill_fails_and_the_rest_pass() -> None:
    m = Mutant("m", "d", (Edit("a", "b"),), kills=("k1", "k2"), also_affects=("maybe",))
    grade = result({"k1": "failed", "k2": "error", "maybe": "failed", "other": "passed"})
    assert judge_mutant(grade, m) == (True, [])
    grade = result({"k1": "failed", "k2": "failed", "maybe": "passed", "other": "passed"})
    assert judge_mutant(grade, m) == (True, [])


def test_a_surviving_kill_and_a_collateral_failure_are_both_problems() -> None:
    m = Mutant("m", "d", (Edit("a", "b"),), kills=("k1", "k2"))
    grade = result({"k1": "failed", "k2": "passed", "other": "timeout"})
    caught, problems = judge_mutant(grade, m)
    assert not caught
    assert problems == ["survived k2", "unexpectedly timeout other: it went wrong"]


def test_the_reference_must_pass_every_check_of_every_question() -> None:
    assignment = load_assignment("mle")
    everything = {c.id: "passed" for q in assignment.questions for c in q.checks}
    assert judge_reference(result(everything), assignment) == []
    one_missing = dict(everything)
    del one_missing["normal_mle_does_not_mutate_inputs"]
    one_missing["bernoulli_mle_matches_reference"] = "failed"
    assert judge_reference(result(one_missing), assignment) == [
        "normal_mle_does_not_mutate_inputs: not graded (`normal_mle` is absent)",
        "bernoulli_mle_matches_reference: failed: it went wrong",
    ]


# --- the command -------------------------------------------------------------------------------

NOOP_AND_REAL = """
[[mutants]]
id = "noop-survivor"
description = "changes nothing, so every check passes"
kills = ["normal_mle_matches_reference"]
[[mutants.edits]]
old = "sigma=float(np.std(sample, ddof=0))"
new = "sigma=float(np.std(sample, ddof=0))"

[[mutants]]
id = "ddof-1"
description = "the unbiased sigma"
kills = ["normal_mle_matches_reference"]
[[mutants.edits]]
old = "sigma=float(np.std(sample, ddof=0))"
new = "sigma=float(np.std(sample, ddof=1))"
"""


def test_a_surviving_mutant_fails_validate_and_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("graders.validate.catalogue.MIN_MUTANTS", 2)
    folder = copy_assignment(tmp_path, "mle", NOOP_AND_REAL, ("solution",))
    code = main(["validate", "--assignment", str(folder), "--jobs", "1", "--verbose"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "not as expected mle mutant noop-survivor: survived normal_mle_matches_reference" in out
    assert "mle mutant ddof-1: ok" in out
    assert "mle sample solution.py: ok" in out
    assert "mle reference reference: ok" in out
    assert re.search(
        r"│ mle\s+│ full marks\s+│\s+1 / 1\s+│\s+1 / 2\s+│\s+50%\s+│\s+1 │ \w+", out
    ), out


def test_print_reference_shows_the_source_the_edits_apply_to(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", "--assignment", "mle", "--print-reference"]) == 0
    assert capsys.readouterr().out == built("mle")
    assert main(["validate", "--print-reference"]) == 2
    assert "--print-reference needs --assignment" in capsys.readouterr().err


def test_jobs_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--assignment", "mle", "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err


def test_an_unknown_assignment_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--assignment", "no-such-thing"]) == 2
    assert "unknown assignment 'no-such-thing'" in capsys.readouterr().err


@pytest.mark.slow
def test_every_catalogue_passes_in_full(request: pytest.FixtureRequest) -> None:
    """The whole of ``grader validate``: minutes of grading, which CI runs as its own step, so
    this runs only when asked for (``pytest -m slow``)."""
    if "slow" not in (request.config.option.markexpr or ""):
        pytest.skip("runs only with -m slow (CI runs `grader validate` itself)")
    assignments: list[Assignment] = [load_assignment(slug) for slug in SLUGS]
    reports = validate(assignments, workers=2)
    assert [line for report in reports for line in report.problems()] == []
    for report in reports:
        caught, total = report.mutation_score
        assert caught == total >= MIN_MUTANTS
