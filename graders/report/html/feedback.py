"""The student's feedback page: score, per-question checks, messages, plots, cells and notes.

Changes when what a student reads about their own submission changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from graders.report.causes import LIKELY, SAME, Telling, telling
from graders.report.html.page import badge, fmt, meter, page
from graders.report.html.svg import render_plot
from graders.results import CheckResult, Plot, SubmissionResult, cell_name
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
    title = assignment.title if assignment is not None else result.assignment
    body: list[str] = [
        f"<header><h1>{escape(title)}</h1>",
        f'<p class="sub">Feedback for <b>{escape(result.student)}</b></p>',
    ]
    if result.status == "ungradable":
        body += [
            f'<p class="score">0 / {fmt(result.max_score)}</p></header>',
            '<div class="callout bad"><b>Your submission could not be graded.</b>',
            f"<pre>{escape(result.message)}</pre></div>",
        ]
        body += _cells_and_notes(result)
        return page(f"{title}: {result.student}", body)
    passed = sum(c.full_marks for c in result.checks)
    fraction = result.score / result.max_score if result.max_score else 0.0
    body += [
        f'<p class="score">{fmt(result.score)} / {fmt(result.max_score)}</p>',
        meter(fraction),
        f'<p class="muted">{passed} of {len(result.checks)} checks passed.</p></header>',
    ]
    if result.isolation != "bwrap":
        body.append(
            '<div class="callout">Graded with process-level isolation only (no bubblewrap '
            "namespaces on the grading machine).</div>"
        )
    if result.message:
        body.append(f'<div class="callout"><b>Read this first:</b> {escape(result.message)}</div>')
    body.append(_overview(result, assignment))
    plots_by_question: dict[str, list[Plot]] = {}
    for plot in result.plots:
        plots_by_question.setdefault(plot.question, []).append(plot)
    told = telling(result.checks)
    for question_id in _question_order(result, assignment):
        checks = [c for c in result.checks if c.question == question_id]
        plots = plots_by_question.pop(question_id, [])
        if not checks and not plots:
            continue
        body.append(_question_section(question_id, checks, plots, assignment, told))
    for plots in plots_by_question.values():  # plots of questions without checks
        body += [render_plot(p) for p in plots]
    body += _cells_and_notes(result)
    return page(f"{title}: {result.student}", body)


def _question_order(result: SubmissionResult, assignment: Assignment | None) -> list[str]:
    order = [q.id for q in assignment.questions] if assignment is not None else []
    for check in result.checks:
        if check.question not in order:
            order.append(check.question)
    return order


def _question_title(question_id: str, assignment: Assignment | None) -> tuple[str, str]:
    if assignment is not None:
        for q in assignment.questions:
            if q.id == question_id:
                return q.title, q.signature
    return question_id, ""


def _overview(result: SubmissionResult, assignment: Assignment | None) -> str:
    rows = []
    for question_id in _question_order(result, assignment):
        checks = [c for c in result.checks if c.question == question_id]
        if not checks:
            continue
        title, _ = _question_title(question_id, assignment)
        score = math.fsum(c.score for c in checks)
        top = math.fsum(c.max_score for c in checks)
        ok = sum(c.full_marks for c in checks)
        rows.append(
            f'<tr><td><a href="#q-{escape(question_id)}">{escape(title)}</a></td>'
            f'<td class="num">{ok} / {len(checks)}</td>'
            f'<td class="num">{fmt(score)} / {fmt(top)}</td></tr>'
        )
    return (
        '<h2>Overview</h2><table><thead><tr><th>question</th><th class="num">checks passed'
        '</th><th class="num">points</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
    )


def _question_section(
    question_id: str,
    checks: Sequence[CheckResult],
    plots: Sequence[Plot],
    assignment: Assignment | None,
    told: Telling,
) -> str:
    title, signature = _question_title(question_id, assignment)
    parts = [f'<section id="q-{escape(question_id)}"><h2>{escape(title)}']
    if signature:
        parts.append(f" <code>{escape(signature)}</code>")
    parts.append("</h2>")
    if checks:
        parts.append(
            '<table><thead><tr><th>check</th><th>result</th><th class="num">points</th></tr>'
            "</thead><tbody>"
        )
        for c in checks:
            parts.append(
                f"<tr><td>{escape(c.name)}</td><td>{badge(c.status)}</td>"
                f'<td class="num">{fmt(c.score)} / {fmt(c.max_score)}</td></tr>'
            )
        parts.append("</tbody></table>")
    absent = told.absent.get(question_id)
    if absent is not None:  # one line, not a block per check
        parts.append(f'<p class="callout">{escape(absent.message)}</p>')
    for c in checks:
        if c.status == "passed" or absent is not None:
            continue
        explaining = told.explained_by(c)
        if explaining is not None:  # told once, at its cause's lead
            lead = explaining.lead
            parts.append(
                f'<p class="muted">{escape(c.name)} {badge(c.status)}: the same cause as '
                f'<a href="#c-{escape(lead.check_id)}">{escape(lead.name)}</a>, explained '
                "there.</p>"
            )
            continue
        parts.append(
            f'<div class="check" id="c-{escape(c.check_id)}"><h3>{escape(c.name)} '
            f"{badge(c.status)}</h3>"
        )
        if c.message:
            parts.append(f"<pre>{escape(c.message)}</pre>")
        if c.diagnosis:
            parts.append(
                f'<p class="diagnosis"><b>Likely misconception:</b> {escape(c.diagnosis)}</p>'
            )
        cause = told.led_by(c)
        for words, listed_checks in (
            (SAME, cause.same if cause else ()),
            (LIKELY, cause.likely if cause else ()),
        ):
            if listed_checks:
                links = ", ".join(
                    f'<a href="#q-{escape(x.question)}">{escape(x.name)}</a>' for x in listed_checks
                )
                parts.append(f"<p><b>{escape(words)}:</b> {links}.</p>")
        parts.append("</div>")
    parts += [render_plot(p) for p in plots]
    parts.append("</section>")
    return "".join(parts)


def _cells_and_notes(result: SubmissionResult) -> list[str]:
    parts: list[str] = []
    problems = [c for c in result.cell_reports if c.get("status", "ok") != "ok"]
    if problems:
        parts.append(
            '<h2>Cells that did not run to the end</h2><p class="muted">They were skipped; '
            "later cells still ran.</p><ul>"
        )
        parts += [f"<li><pre>{escape(str(c.get('message', '')))}</pre></li>" for c in problems]
        parts.append("</ul>")
    if result.skipped_cells:
        parts.append(
            '<h2>Cells not run</h2><p class="muted">Grading does not need them; your notebook '
            "itself is unchanged.</p><ul>"
        )
        parts += [
            f"<li>{escape(cell_name(c))}: {escape(str(c['reason']))}</li>"
            for c in result.skipped_cells
        ]
        parts.append("</ul>")
    if result.notes:
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li>{escape(note)}</li>" for note in result.notes]
        parts.append("</ul>")
    return parts
