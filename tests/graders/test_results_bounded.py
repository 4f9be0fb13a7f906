"""Results are bounded and writable, whatever texts the student's code produced (issue 13)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from graders.results import (
    MAX_CELL_REPORTS,
    MAX_RESULT_BYTES,
    MAX_TEXT_CHARS,
    CheckResult,
    SubmissionResult,
    clip_text,
)

SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=100)
# Hypothesis's text has no surrogates: they are mixed in on purpose.
ANY_TEXT = st.text(st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr)))


def failed(message: str, counterexample: str | None = None) -> CheckResult:
    return CheckResult(
        check_id="sigmoid_matches_reference",
        question="sigmoid",
        name="sigmoid matches reference",
        status="failed",
        score=0.0,
        max_score=2.0,
        message=message,
        counterexample=counterexample,
    )


def result(
    checks: tuple[CheckResult, ...] = (),
    cells: tuple[dict[str, object], ...] = (),
    notes: tuple[str, ...] = (),
) -> SubmissionResult:
    return SubmissionResult(
        student="al",
        assignment="tiny",
        status="graded",
        checks=checks,
        isolation="bwrap",
        notes=notes,
        cell_reports=cells,
        timings={"total": 1.0},
        sha256="0" * 64,
    )


def test_a_megabyte_message_is_cut_with_a_visible_marker() -> None:
    check = failed("x" * 2_000_000, counterexample="sigmoid(" + "1, " * 10**6 + ")")
    assert len(check.message) <= MAX_TEXT_CHARS
    assert check.message.endswith("... [truncated: 1990048 more characters]")
    assert check.counterexample is not None and len(check.counterexample) <= MAX_TEXT_CHARS
    assert "[truncated: " in result((check,)).to_json()


def test_a_lone_surrogate_becomes_a_replacement_character_and_the_json_encodes() -> None:
    cells = ({"cell": 2, "status": "error", "message": "cell 2: ValueError: \udc80"},)
    done = result((failed("bad \ud800 text"),), cells, notes=("removed `%ls \udfff`",))
    text = done.to_json()
    text.encode("utf-8")  # raised UnicodeEncodeError: `grader grade` died mid-batch
    assert "bad \ufffd text" in text and "ValueError: \ufffd" in text


def test_the_whole_result_is_at_most_a_megabyte() -> None:
    # 60 MB of text in all: each piece under its own cap, far over the whole result's.
    cells = tuple(
        {"cell": i, "status": "error", "message": f"cell {i}: " + "n" * 100_000} for i in range(600)
    )
    checks = tuple(failed("m" * 100_000, counterexample="c" * 100_000) for _ in range(30))
    done = result(checks, cells, notes=("note " * 30_000,) * 150)
    size = len(done.to_json().encode("utf-8"))
    assert size <= MAX_RESULT_BYTES
    assert len(done.cell_reports) == MAX_CELL_REPORTS
    assert done.notes[-1] == (
        "100 of 600 cell reports are not listed (a result lists at most 500, problems first)."
    )
    assert all("[truncated: " in c.message for c in done.checks)
    # Rebuilt from its record (the gradebook), it is the same result, byte for byte.
    again = SubmissionResult.from_record(json.loads(json.dumps(done.to_record())))
    assert again == done and again.to_json() == done.to_json()


def test_problem_cells_are_kept_before_the_cells_that_ran() -> None:
    cells = tuple({"cell": i, "status": "ok", "message": ""} for i in range(1, 1001))
    cells += ({"cell": 1001, "status": "error", "message": "cell 1001: NameError"},)
    done = result(cells=cells)
    assert done.cell_reports[-1]["cell"] == 1001
    assert "NameError" in done.output()


@SETTINGS
@given(ANY_TEXT, st.integers(60, 400))
def test_clip_text_is_bounded_writable_and_idempotent(text: str, limit: int) -> None:
    clipped = clip_text(text * 50, limit)
    assert len(clipped) <= limit
    clipped.encode("utf-8")
    assert clip_text(clipped, limit) == clipped
