"""The instructor's cohort summary page: totals, histogram, questions, checks, shared mistakes.

Changes when what an instructor reads about the cohort changes; the numbers themselves come
from :mod:`graders.summary`, the page is the shared templates' (``report/summary.html`` around
``report/_summary.html``, the same partial as the service's class page).
"""

from __future__ import annotations

from urllib.parse import quote

from graders.report.html.templating import environment
from graders.summary import CohortSummary

__all__ = ["render_summary"]


def _feedback_href(student: str) -> str:
    """The student's feedback.html, beside summary.html in the batch's output folder."""
    return f"{quote(student)}/feedback.html"


def render_summary(summary: CohortSummary) -> str:
    """The instructor's cohort summary as one self-contained HTML page."""
    return (
        environment()
        .get_template("report/summary.html")
        .render(cohort=summary, student_href=_feedback_href)
    )
