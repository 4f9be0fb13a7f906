"""The student's feedback page: score, per-question checks, messages, plots, cells and notes.

Changes when what a student reads about their own submission changes: the page is the shared
templates' (``report/feedback.html`` around ``report/_feedback.html``, the same partial as the
service's attempt page), fed by :func:`graders.report.html.views.result_feedback`.
"""

from __future__ import annotations

from graders.report.html.templating import environment
from graders.report.html.views import result_feedback
from graders.results import SubmissionResult
from graders.spec import Assignment

__all__ = ["render_feedback"]


def render_feedback(result: SubmissionResult, assignment: Assignment | None = None) -> str:
    """The student's report as one self-contained HTML page.

    Parameters
    ----------
    result
        The graded (or ungradable) submission, with its plots.
    assignment
        Gives question titles and signatures; without it, question ids are shown.
    """
    return (
        environment()
        .get_template("report/feedback.html")
        .render(
            title=assignment.title if assignment is not None else result.assignment,
            student=result.student,
            feedback=result_feedback(result, assignment),
        )
    )
