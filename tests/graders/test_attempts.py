"""Not attempted yet, and the wrong assignment: what a submission's source says it has begun."""

from __future__ import annotations

import pytest

from graders.attempts import defined_functions, stub_reason
from graders.engine import grade_path
from tests.graders.grading import LOGISTIC, MLE, assignment

RAISES = "its body still raises `NotImplementedError`"
PLACEHOLDER = "its body is still a placeholder (only `pass`, `...` or a docstring)"


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (["def f(x):\n    raise NotImplementedError('f')"], RAISES),
        (
            ["def f(x):\n    '''Doc.'''\n    # Your code here\n    raise NotImplementedError"],
            RAISES,
        ),
        (["def f(X, y=df['a']):\n    pass"], PLACEHOLDER),  # the public labs' stubs
        (["def f(x):\n    '''Only a docstring.'''"], PLACEHOLDER),
        (["def f(x):\n    ..."], PLACEHOLDER),
        # The later definition wins, as when the notebook runs top to bottom.
        (["def f(x):\n    pass", "def f(x):\n    return x"], None),
        (["def f(x):\n    return x", "def f(x):\n    pass"], PLACEHOLDER),
        # Rebound after the stub, or defined where this reading does not follow: not a stub.
        (["def f(x):\n    pass", "f = abs"], None),
        (["def f(x):\n    pass", "from math import sqrt as f"], None),
        (["def f(x):\n    pass\nif True:\n    def f(x):\n        return x"], None),
        (["def f(x):\n    pass\n    return x"], None),
        (["def f(x):\n    raise ValueError('not yet')"], None),
        (["def g(x):\n    pass"], None),  # another name
        (["def f(x) pass", "def f(x):\n    return 1"], None),  # a syntax error says nothing
    ],
)
def test_a_stub_is_the_final_definition_doing_nothing(cells: list[str], reason: str | None) -> None:
    assert stub_reason(cells, "f") == reason


def test_defined_functions_are_the_top_level_defs() -> None:
    cells = [
        "def a():\n    def inner():\n        pass",
        "b = 1\nclass C:\n    def m(self): ...",
        "(",
    ]
    assert defined_functions(cells) == {"a"}


def test_a_notebook_graded_as_the_wrong_assignment_names_the_right_one() -> None:
    solution = assignment(LOGISTIC).directory / "examples" / "solution.ipynb"
    result = grade_path(solution, assignment(MLE), secret=None)
    assert result.message.startswith("Most of what `mle` grades is not defined in this file")
    assert "was it meant for `--assignment logistic-regression-from-scratch`?" in result.message
    assert result.output().startswith(result.message)  # said first


def test_a_right_assignment_says_nothing_of_the_kind() -> None:
    template = assignment(LOGISTIC).directory / "examples" / "template.ipynb"
    assert grade_path(template, assignment(LOGISTIC), secret=None).message == ""
