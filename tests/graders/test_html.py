"""Tests for graders.report.html: self-contained, escaped, parseable pages with SVG plots."""

from __future__ import annotations

import dataclasses
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.gradebook import Gradebook
from graders.report.html import nice_ticks, render_feedback, render_plot, render_summary
from graders.report.html.views import HIDDEN_NOTE, feedback, full_document, result_feedback
from graders.results import CheckResult, Plot, PlotSeries, SubmissionResult
from graders.spec import load_assignment
from graders.summary import summarise

ASSIGNMENT = load_assignment("logistic-regression-from-scratch")
HOSTILE = '<script>alert("x")</script><img src="http://evil.example/x.png">'


class Page(HTMLParser):
    """Collects tags, attributes and text; fails on nothing (html.parser is lenient)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_self_contained(text: str) -> Page:
    page = Page(text)
    assert "script" not in page.tags
    assert "link" not in page.tags and "img" not in page.tags and "iframe" not in page.tags
    for name, value in page.attrs:
        assert not (name in ("src", "href") and value and re.match(r"(?i)\s*(https?:)?//", value))
        assert not name.startswith("on"), name  # no inline event handlers
    return page


def sigmoid_plot(student_y: list[float]) -> Plot:
    xs = [-2.0, -1.0, 0.0, 1.0, 2.0]
    return Plot(
        id="sigmoid",
        question="sigmoid",
        title="Your sigmoid against the reference",
        x_label="x",
        y_label="sigmoid(x)",
        series=(
            PlotSeries(
                "reference", tuple(xs), tuple(1 / (1 + math.exp(-x)) for x in xs), "reference"
            ),
            PlotSeries("your sigmoid", tuple(xs), tuple(student_y), "student"),
        ),
        caption="sigmoid(np.linspace(-2, 2, 5))",
    )


def failing_result(student: str = "ada") -> SubmissionResult:
    return SubmissionResult(
        student=student,
        assignment=ASSIGNMENT.slug,
        status="graded",
        checks=(
            CheckResult(
                check_id="sigmoid_matches_reference",
                question="sigmoid",
                name="sigmoid matches reference",
                status="failed",
                score=0.0,
                max_score=2.0,
                message="`sigmoid` does not agree.\n" + HOSTILE,
                diagnosis="the sign of the exponent is flipped " + HOSTILE,
                behaviour="abc",
            ),
            CheckResult(
                check_id="sigmoid_preserves_shape",
                question="sigmoid",
                name="sigmoid preserves shape",
                status="passed",
                score=1.0,
                max_score=1.0,
                message="",
            ),
        ),
        isolation="process",
        notes=("note " + HOSTILE,),
        cell_reports=({"cell": 3, "status": "error", "message": "cell 3: " + HOSTILE},),
        timings={"total": 1.0},
        sha256="ab" * 32,
        assignment_max_score=ASSIGNMENT.max_score,
        plots=(sigmoid_plot([0.9, 0.7, 0.5, float("nan"), 0.1]),),
        skipped_cells=({"cell": 7, "reason": "it only changes `w` " + HOSTILE},),
    )


def test_feedback_page_is_self_contained_escaped_and_has_the_plot() -> None:
    text = render_feedback(failing_result(), ASSIGNMENT)
    page = assert_self_contained(text)
    assert text.startswith("<!DOCTYPE html>")
    assert "<style>" in text  # inline CSS
    assert page.tags.count("svg") == 1 and "polyline" in page.tags
    body = "".join(page.text)
    assert HOSTILE in body  # shown as text, never as markup
    assert "1 / 22" in body and "The sigmoid function" in body  # score and question title
    assert "Likely misconception" in body
    assert "process-level isolation" in body
    assert "Cells that did not run to the end" in body
    assert "Cells not run" in body and "cell 7: it only changes `w` " + HOSTILE in body


def test_feedback_for_an_ungradable_submission_says_why() -> None:
    result = SubmissionResult.ungradable(
        "bo", ASSIGNMENT.slug, "bo.ipynb is empty (0 bytes)", "", max_score=22.0
    )
    page = assert_self_contained(render_feedback(result, ASSIGNMENT))
    body = "".join(page.text)
    assert "could not be graded" in body and "is empty (0 bytes)" in body


def test_a_nan_leaves_a_gap_and_a_lone_point_is_a_dot() -> None:
    svg = render_plot(sigmoid_plot([0.9, 0.7, 0.5, float("nan"), 0.1]))
    student = [line for line in re.findall(r"<polyline[^>]*>", svg) if "#d9480f" in line]
    assert len(student) == 1 and student[0].count(",") == 3  # 3 points before the gap
    assert svg.count("<circle") == 1  # the single point after it


def test_values_far_outside_the_reference_range_are_clipped_and_said_so() -> None:
    svg = render_plot(sigmoid_plot([0.1, 0.2, 1e300, 0.3, 0.4]))
    assert "far outside the reference" in svg
    for y in re.findall(r'points="([^"]*)"', svg):
        for pair in y.split():
            assert 0 <= float(pair.split(",")[1]) <= 400


def test_nice_ticks_are_round_and_cover_the_range() -> None:
    assert nice_ticks(0.0, 1.0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert nice_ticks(-10.0, 10.0) == pytest.approx([-10.0, -5.0, 0.0, 5.0, 10.0])
    ticks = nice_ticks(-295.3, -27.9)
    assert ticks[0] >= -295.3 and ticks[-1] <= -27.9 and len(ticks) >= 3


def test_summary_page_parses_and_links_every_student(tmp_path: Path) -> None:
    with Gradebook(tmp_path / "g.sqlite") as book:
        for name in ("al", "bo", HOSTILE):
            book.record(failing_result(name))
        book.record(
            SubmissionResult.ungradable("cy", ASSIGNMENT.slug, "not a notebook", "", max_score=22)
        )
        slug = ASSIGNMENT.slug
        summary = summarise(book.submission_rows(slug), book.check_rows(slug), ASSIGNMENT)
    text = render_summary(summary)
    page = assert_self_contained(text)
    body = "".join(page.text)
    assert "Shared mistakes" in body and "Score distribution" in body
    assert "not a notebook" in body
    hrefs = [v for k, v in page.attrs if k == "href"]
    assert "al/feedback.html" in hrefs and "cy/feedback.html" in hrefs
    assert HOSTILE in body
    assert any(h and "%3Cscript%3E" in h for h in hrefs)  # the hostile id is URL-quoted
    # The largest group first: all three failing students share one behaviour.
    assert summary.groups[0].size == 3


def test_long_messages_wrap_and_the_explanation_stays_outside_the_code_block() -> None:
    # A 5,000-character input used to scroll sideways inside <pre> and hide the explanation.
    text = render_feedback(failing_result(), ASSIGNMENT)
    style = text[text.index("<style>") : text.index("</style>")]
    (pre_rule,) = re.findall(r"(?<![\w-])pre \{[^}]*\}", style)
    assert "white-space: pre-wrap" in pre_rule and "overflow-wrap: anywhere" in pre_rule
    blocks = re.findall(r"<pre>(.*?)</pre>", text, flags=re.DOTALL)
    assert blocks and not any("Likely misconception" in block for block in blocks)
    assert "Likely misconception" in text


def _markup_counts(text: str) -> tuple[int, ...]:
    return tuple(text.count(ch) for ch in "<>\"'")


def _defanged(text: str) -> str:
    return "".join("x" if ch in "<>&\"'" else ch for ch in text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(min_size=1, max_size=40))
def test_text_from_a_submission_adds_no_markup_to_either_page(text: str) -> None:
    # Escaped text adds no "<", ">" or quote to a page: every one of them is the renderer's own,
    # so the page of `text` has exactly as many as the page of `text` with them replaced by "x".
    def feedback(value: str) -> str:
        base = failing_result(value)
        check = dataclasses.replace(base.checks[0], message=value, diagnosis=value)
        result = dataclasses.replace(base, checks=(check, *base.checks[1:]), notes=(value,))
        return render_feedback(result, ASSIGNMENT)

    def summary(value: str) -> str:
        submissions = [
            {
                "student": student,
                "score": 1.0,
                "status": status,
                "isolation": "bwrap",
                "seconds": 1.0,
                "overhead_seconds": 0.1,
                "output": value,
            }
            for student, status in ((value, "graded"), ("~z", "graded"), ("~zz", "ungradable"))
        ]
        checks = [
            {
                "student": student,
                "check_id": "sigmoid_matches_reference",
                "question": "sigmoid",
                "status": "failed",
                "score": 0.0,
                "behaviour": behaviour,
                "diagnosis": diagnosis,
                "counterexample": None,
                "message": value,
            }
            for student, behaviour, diagnosis in (
                (value, "b", None),
                ("~z", "b", None),
                ("~zz", "c", value),
            )
        ]
        return render_summary(summarise(submissions, checks, ASSIGNMENT))

    for render in (feedback, summary):
        assert _markup_counts(render(text)) == _markup_counts(render(_defanged(text)))


def test_the_batch_feedback_is_the_documents_feedback_every_check_shown() -> None:
    # grader grade builds the feedback from the result itself (faster); the service from the
    # results document. Both must tell the same: one design, one content.
    for result in (failing_result(), failing_result(HOSTILE)):
        direct = result_feedback(result, ASSIGNMENT)
        assert direct == feedback(full_document(result), ASSIGNMENT, result.plots)
        assert direct.questions[0].plots  # the plot is in its question
    ungradable = SubmissionResult.ungradable("bo", ASSIGNMENT.slug, "empty", "", max_score=22.0)
    assert result_feedback(ungradable, ASSIGNMENT) == feedback(
        full_document(ungradable), ASSIGNMENT
    )
    # Negative control: a document whose check is hidden does not give the same feedback.
    document = full_document(failing_result())
    document["tests"][0]["extra_data"]["message"] = HIDDEN_NOTE
    hidden = feedback(document, ASSIGNMENT, failing_result().plots)
    assert hidden != result_feedback(failing_result(), ASSIGNMENT)
    assert not hidden.questions[0].plots and not hidden.questions[0].checks[0].shown


def test_the_files_use_no_inline_style_so_the_pages_can_share_them() -> None:
    # The service's Content-Security-Policy refuses style attributes; the shared templates and
    # the SVG have none, so the batch file and the page are the same markup.
    text = render_feedback(failing_result(), ASSIGNMENT)
    assert " style=" not in text and 'class="plot"' in text
    assert '<meter class="score"' in text
