"""The instructor's cohort summary page: totals, histogram, questions, checks, shared mistakes.

Changes when what an instructor reads about the cohort changes; the numbers themselves come
from :mod:`graders.summary`.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from graders.report.html.page import badge, fmt, page
from graders.report.html.svg import histogram_svg
from graders.summary import CohortSummary, Group

__all__ = ["render_summary"]


def _link(student: str) -> str:
    return f'<a href="{escape(quote(student))}/feedback.html">{escape(student)}</a>'


def _headline(status: str, message: str) -> str:
    """The line of a message that says what went wrong.

    A failed check leads with its verdict; an error leads with "Calling f(...) failed." and
    names the student's exception on the next line.
    """
    lines = [line for line in message.splitlines() if line.strip()]
    if not lines:
        return ""
    if status in ("error", "timeout") and len(lines) > 1 and lines[0].startswith("Calling "):
        return lines[1]
    return lines[0]


def _group_card(group: Group) -> str:
    first_line = _headline(group.status, group.message)
    students = ", ".join(_link(s) for s in group.students)
    parts = [
        '<div class="group">',
        f'<p><span class="size">{group.size}</span> submission{"s" if group.size != 1 else ""} '
        f"{badge(group.status)} <code>{escape(group.question)}</code> "
        f'<span class="muted">(fails {escape(", ".join(group.checks or (group.check_id,)))})'
        "</span></p>",
    ]
    if group.diagnosis:
        parts.append(f'<p class="diagnosis"><b>Diagnosis:</b> {escape(group.diagnosis)}</p>')
    elif first_line:
        parts.append(f"<p>{escape(first_line)}</p>")
    parts += [
        f"<details><summary>Representative message (from {escape(group.students[0])})</summary>",
        f"<pre>{escape(group.message)}</pre></details>",
        f"<details><summary>The {group.size} submission{'s' if group.size != 1 else ''}"
        f"</summary><p>{students}</p></details>",
        "</div>",
    ]
    return "".join(parts)


def render_summary(summary: CohortSummary) -> str:
    """The instructor's cohort summary as one self-contained HTML page."""
    mean = "–" if summary.mean is None else fmt(summary.mean)
    median = "–" if summary.median is None else fmt(summary.median)
    isolation = ", ".join(f"{k}: {v}" for k, v in summary.isolation.items()) or "–"
    body = [
        f"<header><h1>{escape(summary.title)}</h1>",
        f'<p class="sub">Cohort summary · <code>{escape(summary.assignment)}</code></p></header>',
        '<div class="stats">',
        f"<div><b>{summary.submissions}</b>submissions</div>",
        f"<div><b>{summary.graded}</b>graded</div>",
        f"<div><b>{len(summary.ungradable)}</b>ungradable</div>",
        f"<div><b>{mean}</b>mean / {fmt(summary.max_score)}</div>",
        f"<div><b>{median}</b>median</div>",
        "</div>",
        f'<p class="muted">Isolation used: {escape(isolation)}.</p>',
    ]
    if summary.internal_errors:
        body.append(
            f'<div class="callout bad"><b>{len(summary.internal_errors)} submission(s) could '
            "not be graded because of an internal error of the grader</b> (not the students' "
            "fault). Run the same command again to retry them.<ul>"
            + "".join(
                f"<li>{escape(s)}: <code>{escape(e.splitlines()[-1] if e else '')}</code></li>"
                for s, e in summary.internal_errors
            )
            + "</ul></div>"
        )
    if summary.several_files:
        body.append(
            f'<div class="callout"><b>{len(summary.several_files)} student folder(s) held '
            "several submission files.</b> One file per student is graded: the notebook, when "
            "there is exactly one (<code>--several-files ungradable</code> refuses them all)."
            "<ul>"
            + "".join(
                f"<li>{escape(f.student)}: "
                + (
                    f"graded <code>{escape(f.graded)}</code>; not graded: "
                    if f.graded is not None
                    else "ungradable (several submissions): "
                )
                + ", ".join(f"<code>{escape(o)}</code>" for o in f.not_graded)
                + "</li>"
                for f in summary.several_files
            )
            + "</ul></div>"
        )
    body.append("<h2>Score distribution</h2>")
    body.append(histogram_svg(summary.histogram, summary.max_score))
    body.append(
        '<h2>Questions</h2><table><thead><tr><th>question</th><th class="num">attempted</th>'
        '<th class="num">mean</th><th class="num">full marks</th></tr></thead><tbody>'
    )
    for q in summary.questions:
        body.append(
            f'<tr><td>{escape(q.title)} <span class="muted">({escape(q.question)})</span></td>'
            f'<td class="num">{q.attempted}</td>'
            f'<td class="num">{fmt(q.mean)} / {fmt(q.max_score)}</td>'
            f'<td class="num">{q.full_marks}</td></tr>'
        )
    body.append("</tbody></table>")
    body.append(
        '<h2>Checks</h2><p class="muted">Failure rate: the share of the submissions checked '
        'that did not pass.</p><table><thead><tr><th>check</th><th class="num">checked</th>'
        '<th class="num">failed</th><th class="num">error</th><th class="num">timeout</th>'
        '<th class="num">missing</th><th>failure rate</th></tr></thead><tbody>'
    )
    for c in summary.checks:
        rate = c.failure_rate
        body.append(
            f'<tr><td><code>{escape(c.check_id)}</code></td><td class="num">{c.checked}</td>'
            f'<td class="num">{c.failed}</td><td class="num">{c.error}</td>'
            f'<td class="num">{c.timeout}</td><td class="num">{c.missing}</td>'
            f'<td><span class="bar" style="width:{rate * 8:.2f}rem"></span> {rate:.0%}</td></tr>'
        )
    body.append("</tbody></table>")
    shared = [g for g in summary.groups if g.size > 1]
    unique = [g for g in summary.groups if g.size == 1]
    body.append(
        '<h2>Shared mistakes</h2><p class="muted">Submissions that fail a function for the same '
        "cause (one diagnosed misconception, or identical behaviour: the same wrong outputs on the "
        "same inputs), largest group first: address each misconception once, for the whole "
        "group.</p>"
    )
    if summary.not_attempted:
        started = ", ".join(
            f"<code>{escape(n.question)}</code> {n.size}" for n in summary.not_attempted
        )
        body.append(
            f'<p class="muted">Not attempted yet (not defined, or the template\'s stub), by '
            f"question: {started}. Not counted as mistakes.</p>"
        )
    if not shared:
        body.append("<p>No two submissions fail a check in the same way.</p>")
    body += [_group_card(g) for g in shared]
    if unique:
        body.append(
            f"<details><summary>{len(unique)} failure(s) seen in one submission only</summary>"
            "<table><thead><tr><th>student</th><th>check</th><th>outcome</th></tr></thead><tbody>"
        )
        for g in unique:
            first = g.diagnosis or _headline(g.status, g.message)
            body.append(
                f"<tr><td>{_link(g.students[0])}</td><td><code>{escape(g.check_id)}</code><br>"
                f"{badge(g.status)}</td><td>{escape(first)}</td></tr>"
            )
        body.append("</tbody></table></details>")
    if summary.ungradable:
        body.append(
            "<h2>Ungradable submissions</h2><table><thead><tr><th>student</th><th>why</th>"
            "</tr></thead><tbody>"
        )
        body += [
            f"<tr><td>{_link(s)}</td><td><pre>{escape(m)}</pre></td></tr>"
            for s, m in summary.ungradable
        ]
        body.append("</tbody></table>")
    body.append(
        "<h2>Every submission</h2><table><thead><tr><th>student</th>"
        '<th class="num">score</th><th>status</th></tr></thead><tbody>'
    )
    body += [
        f'<tr><td>{_link(s)}</td><td class="num">{fmt(v)} / {fmt(summary.max_score)}</td>'
        f"<td>{escape(status)}</td></tr>"
        for s, v, status in summary.scores
    ]
    body.append("</tbody></table>")
    t = summary.timings
    body.append(
        f'<p class="muted">Grading time per submission: median {t.get("median_seconds", 0):.2f} s, '
        f"of which grader overhead {t.get('median_overhead_seconds', 0):.3f} s (the rest ran the "
        "students' own cells and functions).</p>"
    )
    return page(f"{summary.title}: cohort summary", body)
