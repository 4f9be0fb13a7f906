"""The engine: every check status is produced and scored, and a submission that cannot be graded
at all is told apart from one that scores zero."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from graders.checks.base import CheckContext, StudentCallError
from graders.engine import grade_path, run_check
from graders.errors import CheckFailed
from graders.spec import CheckSpec, Question
from tests.graders.grading import (
    GRADIENT_DESCENT,
    LOGISTIC,
    METRICS,
    MLE,
    Graded,
    InProcessSession,
    as_student,
    assignment,
    explain,
    grade_many,
    only,
    reference_functions,
    with_limits,
    write_source,
)

# One submission, one status per question: passed, failed, error, timeout and missing.
EVERY_STATUS = """
import numpy as np


def predict_y(X, w):
    return np.asarray(X, dtype=float) @ np.asarray(w, dtype=float)


def sigmoid(x):
    return np.tanh(x)


def log_likelihood(X, y, w):
    raise ValueError("not finished yet")


def gradient_step(X, y, w, alpha):
    while True:
        pass
"""

NOT_A_FUNCTION = """
import numpy as np
predict_y = [1.0, 2.0]
sigmoid = None  # the template's placeholder
log_likelihood = np.random.default_rng(0)  # no plain data: named by its type
"""

SYNTAX_ERROR = """
def bernoulli_mle(flips)
    return sum(flips) / len(flips)
"""


def _notebook(*sources: str) -> str:
    """A minimal nbformat 4 notebook: a markdown cell, then one code cell per source."""
    code: list[dict[str, object]] = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s}
        for s in sources
    ]
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Lab"}, *code]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    return json.dumps(notebook, indent=1)


CELLS_CONTINUE = _notebook(
    "import numpy as np\n\ndef bernoulli_mle(flips):\n    return float(np.mean(flips))",
    "print('before')\n1 / 0",
    "while True:\n    pass",
    "def normal_mle(x):\n    x = np.asarray(x, dtype=float)\n    return x.mean(), x.std()",
)

# Definitions a stopped cell never reached, one nested definition, and one never written.
STOPPED_EARLY = _notebook(
    "import numpy as np\nimport not_a_module_for_grading_tests\n\n"
    "def bernoulli_mle(flips):\n    return float(np.mean(flips))",
    "while True:\n    pass\n\ndef normal_mle(x):\n    return 0.0, 1.0",
    "def helpers():\n    def normal_log_likelihood(mu, sigma, x):\n        return 0.0\n1 / 0",
)

# Short budgets, so a hang costs little, yet ample for the honest cells and calls on a busy
# machine (these run in milliseconds).
CELL_TIMEOUT = 3.0
CALL_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    folder = tmp_path_factory.mktemp("engine")
    logistic = with_limits(
        assignment(LOGISTIC), cell_timeout=CELL_TIMEOUT, call_timeout=CALL_TIMEOUT
    )
    mle = with_limits(assignment(MLE), cell_timeout=CELL_TIMEOUT, call_timeout=5.0)
    return grade_many(
        {
            "every_status": (write_source(folder, "every_status.py", EVERY_STATUS), logistic),
            "not_a_function": (
                write_source(folder, "not_a_function.py", NOT_A_FUNCTION),
                only(logistic, "predict_y", "sigmoid", "log_likelihood"),
            ),
            "syntax_error": (write_source(folder, "syntax_error.py", SYNTAX_ERROR), mle),
            "template": (assignment(MLE).directory / "examples" / "template.ipynb", mle),
            # Run in full: sliced, the failing and the hanging cell would not run at all.
            "cells": (
                write_source(folder, "cells.ipynb", CELLS_CONTINUE),
                replace(mle, run_all_cells=True),
            ),
            "cells_sliced": (write_source(folder, "cells_sliced.ipynb", CELLS_CONTINUE), mle),
            "stopped_early": (write_source(folder, "stopped.ipynb", STOPPED_EARLY), mle),
        }
    )


# --- the five statuses ------------------------------------------------------------------------

EXPECTED_STATUS = {
    "predict_y": "passed",
    "sigmoid": "failed",
    "log_likelihood": "error",
    "gradient_step": "timeout",
    "grad_desc": "missing",
}


@pytest.mark.parametrize(("question", "status"), EXPECTED_STATUS.items())
def test_each_status_is_produced(graded: dict[str, Graded], question: str, status: str) -> None:
    result = graded["every_status"].result
    checks = [c for c in result.checks if c.question == question]
    assert checks
    statuses = {c.status for c in checks}
    if status == "failed":  # tanh keeps the shape, so that check alone passes
        assert statuses == {"failed", "passed"}
        assert [c.check_id for c in checks if c.status == "passed"] == ["sigmoid_preserves_shape"]
    else:
        assert statuses == {status}, explain(graded["every_status"])


def test_points_follow_the_statuses(graded: dict[str, Graded]) -> None:
    result = graded["every_status"].result
    for check in result.checks:
        assert check.score == (check.max_score if check.status == "passed" else 0.0)
    spec = assignment(LOGISTIC)
    assert result.max_score == spec.max_score
    assert result.score == spec.question("predict_y").max_score + 1  # + sigmoid's shape point
    assert result.status == "graded"


def test_error_message_shows_the_call_and_the_students_line(graded: dict[str, Graded]) -> None:
    record = graded["every_status"].check("log_likelihood_matches_reference")
    assert record.message.startswith("Calling log_likelihood(array([[1., 2.], ")
    assert re.search(r"line \d+, in log_likelihood: ValueError: not finished yet", record.message)
    assert "cell" not in record.message  # a module's lines are named alone


def test_timeout_message_names_the_budget(graded: dict[str, Graded]) -> None:
    record = graded["every_status"].check("gradient_step_matches_reference")
    assert record.message.startswith("Calling gradient_step(")
    assert "took longer than 1 s and was stopped" in record.message


def test_missing_message_shows_the_signature(graded: dict[str, Graded]) -> None:
    record = graded["every_status"].check("grad_desc_matches_reference")
    assert record.message == (
        "`grad_desc` is not defined in your submission. Define "
        "`grad_desc(X, y, max_iterations, alpha, initial_weights=None)` at the top level "
        "(not inside another function), spelled exactly like this."
    )


@pytest.mark.parametrize(
    ("check_id", "why"),
    [
        ("bernoulli_mle_matches_reference", "ModuleNotFoundError: No module named 'not_a_module_"),
        ("normal_mle_matches_reference", ": code cell 2 (`while True:`) ran longer than 3 s"),
    ],
)
def test_a_definition_its_cell_never_reached_is_explained(
    graded: dict[str, Graded], check_id: str, why: str
) -> None:
    record = graded["stopped_early"].check(check_id)
    assert record.status == "missing"
    name = check_id.split("_matches")[0]
    assert record.message.startswith(
        f"`{name}` is written in your submission but was never defined: the code stopped "
        "before reaching it: "
    )
    assert why in record.message


def test_only_top_level_definitions_count_as_written(graded: dict[str, Graded]) -> None:
    nested = graded["stopped_early"].check("normal_log_likelihood_matches_reference")
    never = graded["stopped_early"].check("bernoulli_log_likelihood_matches_reference")
    for record in (nested, never):
        assert record.status == "missing"
        assert "is not defined in your submission" in record.message


def test_a_value_where_a_function_is_expected_is_missing(graded: dict[str, Graded]) -> None:
    result = graded["not_a_function"].result
    assert {c.status for c in result.checks} == {"missing"}
    said = {c.question: c.message for c in result.checks}
    ending = "not a function: expected `def {}:` at the top level."
    assert said == {
        "predict_y": "`predict_y` is defined, but it is `[1.0, 2.0]`, "
        + ending.format("predict_y(X, w)"),
        "sigmoid": "`sigmoid` is defined, but it is `None`, " + ending.format("sigmoid(x)"),
        "log_likelihood": "`log_likelihood` is defined, but it is a numpy.Generator, "
        + ending.format("log_likelihood(X, y, w)"),
    }


def test_gradescope_status_is_passed_only_with_full_marks(graded: dict[str, Graded]) -> None:
    tests = graded["every_status"].result.to_gradescope()["tests"]
    for entry in tests:
        wanted = "passed" if entry["extra_data"]["status"] == "passed" else "failed"
        assert entry["status"] == wanted
    assert {t["extra_data"]["status"] for t in tests} == set(EXPECTED_STATUS.values())


# --- ungradable versus zero -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "truncated.ipynb",
            '{"cells": [{"cell_type": "code", "source": "x = 1"',
            r"not a valid notebook: JSON error at line 1",
        ),
        ("empty.py", "", r"is empty"),
        ("notes.txt", "def bernoulli_mle(flips): pass\n", r"\.txt"),
    ],
)
def test_unloadable_file_is_ungradable(
    tmp_path: Path, name: str, content: str, reason: str
) -> None:
    spec = assignment(MLE)
    path = write_source(tmp_path, name, content)
    result = grade_path(path, spec)
    assert result.status == "ungradable"
    assert result.checks == ()
    assert result.score == 0 and result.max_score == spec.max_score
    assert re.search(reason, result.message), result.message
    extra = result.to_gradescope()["extra_data"]
    assert extra["submission_status"] == "ungradable"
    assert re.search(reason, result.output())


def test_missing_file_is_ungradable(tmp_path: Path) -> None:
    result = grade_path(tmp_path / "nowhere.py", assignment(MLE))
    assert result.status == "ungradable"
    assert result.sha256 == ""
    assert "nowhere.py" in result.message


def test_template_is_graded_and_scores_zero(graded: dict[str, Graded]) -> None:
    result = graded["template"].result
    assert result.status == "graded"
    assert result.score == 0 and result.max_score == assignment(MLE).max_score
    assert len(result.checks) == sum(len(q.checks) for q in assignment(MLE).questions)
    # Every function still the template's `raise NotImplementedError`: not attempted yet, so
    # no check runs it and none prints a traceback.
    assert {c.status for c in result.checks} == {"missing"}
    assert all(
        "is not attempted yet: its body still raises `NotImplementedError`" in c.message
        and "Traceback" not in c.message
        for c in result.checks
    )


def test_syntax_error_is_graded_zero_with_the_cell_reported(graded: dict[str, Graded]) -> None:
    result = graded["syntax_error"].result
    assert result.status == "graded" and result.score == 0
    assert {c.status for c in result.checks} == {"missing"}
    (cell,) = result.cell_reports
    assert cell["status"] == "error" and "SyntaxError" in cell["message"]


# --- cells ------------------------------------------------------------------------------------


def test_failing_and_hanging_cells_are_skipped_and_later_cells_run(
    graded: dict[str, Graded],
) -> None:
    result = graded["cells"].result
    statuses = [(c["cell"], c["status"]) for c in result.cell_reports]
    # Cell numbers count the markdown cell, as the student sees them.
    assert statuses == [(2, "ok"), (3, "error"), (4, "timeout"), (5, "ok")]
    # Named as the student finds the cell in Jupyter: among code cells, by its first line.
    assert result.cell_reports[1]["message"] == (
        "code cell 2 (`print('before')`), line 2: ZeroDivisionError: division by zero"
    )
    assert result.cell_reports[2]["message"].startswith(
        "code cell 3 (`while True:`) ran longer than 3 s and was skipped"
    )
    assert graded["cells"].full_marks("bernoulli_mle")
    assert graded["cells"].full_marks("normal_mle")
    assert "Cells that failed or ran too long" in result.output()


def test_cells_grading_does_not_need_are_not_run_and_are_listed(
    graded: dict[str, Graded],
) -> None:
    result = graded["cells_sliced"].result
    assert [c["cell"] for c in result.cell_reports] == [2, 5]
    assert result.skipped_cells == (
        {
            "cell": 3,
            "label": "code cell 2 (`print('before')`)",
            "reason": "it changes no names grading reads (output only)",
        },
        {
            "cell": 4,
            "label": "code cell 3 (`while True:`)",
            "reason": "it changes no names grading reads (output only)",
        },
    )
    assert graded["cells_sliced"].full_marks("bernoulli_mle")
    assert graded["cells_sliced"].full_marks("normal_mle")
    assert "Not run, because grading does not need them" in result.output()
    assert "- code cell 3 (`while True:`): it changes no names grading reads" in result.output()
    assert json.loads(result.to_json())["extra_data"]["skipped_cells"] == list(result.skipped_cells)
    assert graded["cells"].result.skipped_cells == ()


# --- run_check: checks raise, the engine records ----------------------------------------------

_SPEC = CheckSpec(id="sigmoid_matches_reference", points=2.0, rtol=1e-6, atol=1e-9, max_examples=5)
_QUESTION = Question(
    id="sigmoid",
    title="Sigmoid",
    kind="function",
    name="sigmoid",
    signature="sigmoid(x)",
    returns="",
    optional=False,
    checks=(_SPEC,),
)


def _context() -> CheckContext:
    return CheckContext(
        session=cast(Any, InProcessSession()),
        assignment=assignment(LOGISTIC),
        question=_QUESTION,
        spec=_SPEC,
    )


def test_run_check_records_a_pass_with_full_points() -> None:
    record = run_check(lambda ctx: None, _context())
    assert (record.status, record.score, record.max_score) == ("passed", 2.0, 2.0)
    assert record.message == "" and record.diagnosis is None
    assert record.name == "sigmoid matches reference" and record.question == "sigmoid"


def test_run_check_records_a_failure_with_its_details() -> None:
    def check(ctx: CheckContext) -> None:
        raise CheckFailed("wrong", counterexample="sigmoid(1.0)", diagnosis="sigmoid-sign: ...")

    record = run_check(check, _context())
    assert (record.status, record.score) == ("failed", 0.0)
    assert record.counterexample == "sigmoid(1.0)"
    assert record.diagnosis == "sigmoid-sign: ..."
    assert record.behaviour is not None and len(record.behaviour) == 12


@pytest.mark.parametrize("status", ["error", "timeout"])
def test_run_check_records_student_errors(status: str) -> None:
    def check(ctx: CheckContext) -> None:
        raise StudentCallError(status, "Calling sigmoid(1.0) failed.")

    record = run_check(check, _context())
    assert (record.status, record.score) == (status, 0.0)
    assert record.message == "Calling sigmoid(1.0) failed."


def test_a_bug_in_a_check_is_not_blamed_on_the_student() -> None:
    """A grader bug must surface (the CLI exits 3), never become a student's "error"."""

    def check(ctx: CheckContext) -> None:
        raise KeyError("grader bug")

    with pytest.raises(KeyError):
        run_check(check, _context())


def test_well_known_error_gets_a_hint() -> None:
    def grad_desc(
        X: Any, y: Any, max_iterations: int, alpha: float, initial_weights: Any = None
    ) -> Any:
        if initial_weights == None:  # noqa: E711 - the mistake under test
            initial_weights = [1.0] * len(X[0])
        return initial_weights

    record = as_student(LOGISTIC, "grad_desc_matches_reference", grad_desc)
    assert record.status == "error"
    assert "truth value of an array" in record.message
    assert "Hint: `x == None` compares every element of an array" in record.message


def test_result_json_is_gradescope_shaped(graded: dict[str, Graded]) -> None:
    document = json.loads(graded["every_status"].result.to_json())
    assert set(document) >= {"score", "max_score", "tests", "extra_data", "output"}
    for entry in document["tests"]:
        assert set(entry) >= {"name", "score", "max_score", "status", "output", "visibility"}


# --- broadcastable shapes never pass ----------------------------------------------------------


def _all_references() -> list[tuple[str, str, Callable[..., Any]]]:
    found = []
    for slug in (LOGISTIC, MLE, GRADIENT_DESCENT, METRICS):
        for name, function in reference_functions(slug).items():
            if name != "grad_desc":  # which may return a (d, 1) column: the lab's convention
                found.append((slug, name, function))
    return found


def _as_column(function: Callable[..., Any]) -> Callable[..., Any]:
    def column(*args: Any, **kwargs: Any) -> Any:
        value = function(*args, **kwargs)
        first = value[0] if isinstance(value, tuple) else value
        return np.asarray(first).reshape(-1, 1)

    return column


@pytest.mark.parametrize(
    ("slug", "name", "reference"), _all_references(), ids=[n for _, n, _ in _all_references()]
)
def test_a_column_result_never_earns_the_reference_points(
    slug: str, name: str, reference: Callable[..., Any]
) -> None:
    """The reference's own values as an (n, 1) column (or a 1x1 array for a number) broadcast
    in numpy, so they must fail the agreement check with a shape message, never pass."""
    (question,) = [q for q in assignment(slug).questions if q.name == name]
    check_id = next(c.id for c in question.checks if c.id.endswith("_matches_reference"))
    record = as_student(slug, check_id, _as_column(reference))
    assert record.status == "failed"
    assert "returned the wrong shape" in record.message
    if "expected a single number" in record.message:
        assert "A length-1 array is not a number" in record.message
    elif re.search(r"shape \((\d+), 1\); expected \(\1,\)", record.message):
        assert "A column vector broadcasts silently" in record.message
