"""The shipped assignments are consistent: every spec loads, names only registered checks with
positive points, and every graded name has a stub in the notebook and in the starter module with
the signature the spec promises."""

from __future__ import annotations

import ast
import json

import pytest

from graders.checks.registry import REGISTRY, resolve, validate_assignment
from graders.spec import Assignment, Question, available_assignments, load_assignment

SLUGS = available_assignments()


def _function_questions(spec: Assignment) -> list[Question]:
    return [q for q in spec.questions if q.kind == "function"]


def _parameters(node: ast.FunctionDef) -> list[str]:
    """``["X", "y", "initial_weights=None"]``: names with their defaults, as written."""
    arguments = node.args.args
    defaults = [None] * (len(arguments) - len(node.args.defaults)) + list(node.args.defaults)
    return [
        a.arg if d is None else f"{a.arg}={ast.unparse(d)}"
        for a, d in zip(arguments, defaults, strict=True)
    ]


def _signature(question: Question) -> list[str]:
    tree = ast.parse(f"def {question.signature}: pass")
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef) and node.name == question.name
    return _parameters(node)


def _stubs(source: str) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}


def _raises_not_implemented(node: ast.FunctionDef) -> bool:
    return any(
        isinstance(n, ast.Raise)
        and n.exc is not None
        and "NotImplementedError" in ast.unparse(n.exc)
        for n in ast.walk(node)
    )


def _notebook_code(spec: Assignment) -> list[str]:
    notebook = json.loads((spec.directory / "notebook.ipynb").read_text(encoding="utf-8"))
    return [
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    ]


def test_the_four_assignments_are_shipped() -> None:
    assert set(SLUGS) >= {
        "gradient-descent",
        "logistic-regression-from-scratch",
        "mle",
        "model-comparisons",
    }


@pytest.mark.parametrize("slug", SLUGS)
def test_spec_loads_and_every_check_resolves(slug: str) -> None:
    spec = load_assignment(slug)
    validate_assignment(spec)
    for question in spec.questions:
        for check in question.checks:
            assert resolve(check.id) is REGISTRY[check.id]


@pytest.mark.parametrize("slug", SLUGS)
def test_points_and_tolerances_are_sane(slug: str) -> None:
    spec = load_assignment(slug)
    assert spec.max_score > 0
    for question in spec.questions:
        assert question.checks, question.id
        for check in question.checks:
            assert check.points > 0, check.id
            assert check.rtol >= 0 and check.atol >= 0, check.id
            assert check.rtol < 0.01 and check.atol < 0.01, check.id
            assert check.max_examples >= 1, check.id
    ids = [c.id for q in spec.questions for c in q.checks]
    assert len(ids) == len(set(ids)), "a check listed twice would be graded twice"
    names = [q.name for q in spec.questions]
    assert len(names) == len(set(names))
    assert spec.limits.cell_timeout > 0 and spec.limits.call_timeout > 0


@pytest.mark.parametrize("slug", SLUGS)
def test_checks_grade_their_own_question(slug: str) -> None:
    """A check is tied to the name it calls: its id starts with that name (or its question's)."""
    spec = load_assignment(slug)
    for question in spec.questions:
        for check in question.checks:
            assert check.id.startswith((question.name, question.id)), (question.id, check.id)


def test_every_registered_check_is_used() -> None:
    used = {c.id for slug in SLUGS for q in load_assignment(slug).questions for c in q.checks}
    assert set(REGISTRY) == used


def test_every_check_documents_its_property() -> None:
    for check_id, check in REGISTRY.items():
        assert check.__doc__ and check.__doc__.strip(), check_id


@pytest.mark.parametrize("slug", SLUGS)
def test_starter_has_a_stub_per_function_question(slug: str) -> None:
    spec = load_assignment(slug)
    stubs = _stubs((spec.directory / "starter.py").read_text(encoding="utf-8"))
    for question in _function_questions(spec):
        assert question.name in stubs, f"starter.py has no stub for {question.name}"
        stub = stubs[question.name]
        assert _parameters(stub) == _signature(question), question.name
        assert _raises_not_implemented(stub), question.name
        assert ast.get_docstring(stub), question.name


@pytest.mark.parametrize("slug", SLUGS)
def test_notebook_has_a_stub_per_question(slug: str) -> None:
    spec = load_assignment(slug)
    cells = _notebook_code(spec)
    stubs: dict[str, ast.FunctionDef] = {}
    for source in cells:
        try:
            stubs.update(_stubs(source))
        except SyntaxError:  # a cell with IPython magics; stubs are never in those
            continue
    for question in spec.questions:
        if question.kind == "function":
            assert question.name in stubs, f"notebook has no stub for {question.name}"
            assert _parameters(stubs[question.name]) == _signature(question), question.name
            assert _raises_not_implemented(stubs[question.name]), question.name
        else:
            # A value question: the notebook names it where the student computes it.
            assert any(question.name in source for source in cells), question.name


@pytest.mark.parametrize("slug", SLUGS)
def test_value_questions_are_optional_or_in_the_starter(slug: str) -> None:
    """The starter module has no cells to run a loop in: a value question must be optional."""
    spec = load_assignment(slug)
    for question in spec.questions:
        if question.kind == "value":
            assert question.optional, question.id
