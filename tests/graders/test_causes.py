"""One root cause, one explanation: the grouping rule, and the reports students read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from graders.report import markdown, terminal
from graders.report.causes import root_causes
from graders.report.html.feedback import render_feedback
from graders.results import CheckResult, SubmissionResult
from tests.graders.grading import LOGISTIC, assignment, grade_many

EXAMPLES = assignment(LOGISTIC).directory / "examples"
DOWNHILL = "descent-instead-of-ascent: the step goes downhill"


def _check(
    check_id: str,
    question: str,
    status: str = "failed",
    message: str = "wrong",
    diagnosis: str | None = None,
) -> CheckResult:
    return CheckResult(
        check_id=check_id,
        question=question,
        name=check_id.replace("_", " "),
        status=status,  # type: ignore[arg-type]
        score=0.0 if status != "passed" else 1.0,
        max_score=1.0,
        message=message,
        diagnosis=diagnosis,
    )


def test_one_misconception_is_one_cause_across_questions() -> None:
    checks = [
        _check("step_a", "step", diagnosis=DOWNHILL),
        _check("step_b", "step", diagnosis=DOWNHILL),
        _check("fit_a", "fit", diagnosis=DOWNHILL),
        _check("fit_pandas", "fit"),  # no diagnosis of its own
        _check("fit_ok", "fit", status="passed"),
    ]
    (cause,) = root_causes(checks)
    assert cause.lead.check_id == "step_a"
    assert [c.check_id for c in cause.same] == ["step_b", "fit_a"]
    assert [c.check_id for c in cause.likely] == ["fit_pandas"]


def test_the_same_error_with_other_inputs_is_one_cause_within_a_question() -> None:
    def error(shape: int) -> str:
        return (
            f"Calling f(array of shape ({shape}, 2)) failed.\ncell 1, line 22, in f: ValueError: "
            f"shapes ({shape},2) and ({shape},) not aligned"
        )

    checks = [
        _check("f_a", "f", "error", error(3)),
        _check("f_b", "f", "error", error(4)),
        _check("g_a", "g", "error", error(3)),  # another function: its own cause
        _check("f_c", "f", "error", "Calling f(1) failed.\ncell 1, line 9, in f: KeyError: 'x'"),
    ]
    causes = root_causes(checks)
    assert [(c.lead.check_id, [x.check_id for x in c.same]) for c in causes] == [
        ("f_a", ["f_b"]),
        ("g_a", []),
        ("f_c", []),
    ]
    assert all(not c.likely for c in causes)  # f has two causes: nothing is folded into one


def test_a_lone_failure_beside_two_causes_stays_on_its_own() -> None:
    checks = [
        _check("a", "q", diagnosis="one mistake"),
        _check("b", "q", diagnosis="another mistake"),
        _check("c", "q"),
    ]
    assert [c.lead.check_id for c in root_causes(checks)] == ["a", "b", "c"]


_STATUSES = st.sampled_from(["passed", "failed", "error", "timeout", "missing"])


@given(
    st.lists(
        st.tuples(
            st.sampled_from("pqr"),
            _STATUSES,
            st.sampled_from(["", "x\nE: 1", "x\nE: 2", "x"]),
            st.sampled_from([None, "m1", "m2"]),
        ),
        max_size=12,
    )
)
def test_every_failing_check_is_told_exactly_once(
    rows: list[tuple[str, str, str, str | None]],
) -> None:
    checks = [
        _check(f"c{i}", question, status, message, diagnosis)
        for i, (question, status, message, diagnosis) in enumerate(rows)
    ]
    causes = root_causes(checks)
    told = [id(c.lead) for c in causes] + [id(x) for c in causes for x in c.explained]
    failing = [id(c) for c in checks if c.status in ("failed", "error", "timeout")]
    assert sorted(told) == sorted(failing)
    positions = [checks.index(c.lead) for c in causes]
    assert positions == sorted(positions)
    for cause in causes:  # what is listed comes after its lead, or in another question
        assert all(x.status != "passed" for x in cause.explained)


@pytest.fixture(scope="module")
def graded() -> dict[str, SubmissionResult]:
    logistic = assignment(LOGISTIC)
    results = grade_many(
        {
            name: (EXAMPLES / f"{name}.py", logistic)
            for name in ("descent_sign", "missing_transpose")
        }
    )
    return {name: g.result for name, g in results.items()}


def _terminal(result: SubmissionResult) -> str:
    console = Console(record=True, width=120, color_system=None)
    terminal.render(result, console)
    return console.export_text()


def test_a_downhill_step_is_explained_once_for_both_functions(
    graded: dict[str, SubmissionResult],
) -> None:
    result = graded["descent_sign"]
    text = _terminal(result)
    assert text.count("Likely misconception") == 1
    assert text.count("╭") == 1  # one panel for the five failing checks
    assert "The same cause also fails: gradient_step_increases_log_likelihood (0 / 1)" in text
    assert "Probably failing for the same reason" in " ".join(text.split())
    assert "grad_desc_accepts_pandas (0 / 1)." in " ".join(text.split())
    md = markdown.render(result)
    assert md.count("## `") == 1 and "**The same cause also fails:**" in md
    page = render_feedback(result, assignment(LOGISTIC))
    assert page.count('<div class="check"') == 1
    assert page.count('the same cause as <a href="#c-gradient_step_matches_reference">') == 4


def test_a_missing_transpose_gives_one_explanation_per_function(
    graded: dict[str, SubmissionResult],
) -> None:
    text = _terminal(graded["missing_transpose"])
    assert text.count("╭") == 2
    assert text.count("not aligned") == 2
    assert "grad_desc_accepts_pandas (0 / 1)" in text


def test_every_check_keeps_its_own_result(graded: dict[str, SubmissionResult]) -> None:
    """Grouping is the reports' business: the results still hold one full message per check."""
    result = graded["descent_sign"]
    failing = [c for c in result.checks if c.status == "failed"]
    assert len(failing) == 5 and all(c.message for c in failing)
