"""The student's report as Markdown (for an LMS comment or a feedback file)."""

from __future__ import annotations

import re

from graders.report.causes import LIKELY, SAME, Telling, listed, telling
from graders.results import CheckResult, SubmissionResult, cell_name


def render(result: SubmissionResult) -> str:
    """Return the Markdown report of ``result``."""
    lines = [f"# {result.assignment}: {result.student}", ""]
    if result.status == "ungradable":
        return "\n".join([*lines, "**Ungradable submission.**", "", result.message, ""])
    if result.message:
        lines += [f"> {result.message}", ""]
    lines += [f"**Score: {result.score:g} / {result.max_score:g}**", ""]
    lines += ["| question | check | status | points |", "|---|---|---|---|"]
    for c in result.checks:
        lines.append(
            f"| {c.question} | `{c.check_id}` | {c.status} | {c.score:g} / {c.max_score:g} |"
        )
    told = telling(result.checks)
    if told.absent:
        lines += ["", "## Not attempted yet or not defined", ""]
        lines += [f"- {question.line}" for question in told.absent.values()]
    for c in result.checks:
        if c.status == "passed" or c.question in told.absent or told.explained_by(c):
            continue
        lines += ["", f"## `{c.check_id}` — {c.status}", "", *explanation(c, told)]
    problems = [c for c in result.cell_reports if c.get("status") != "ok"]
    if problems:
        lines += ["", "## Cells that did not run to the end", ""]
        lines += [f"- {c.get('message', '')}" for c in problems]
    if result.skipped_cells:
        lines += ["", "## Cells not run", ""]
        lines += ["Grading does not need them; your notebook itself is unchanged.", ""]
        lines += [f"- {cell_name(c)}: {c['reason']}" for c in result.skipped_cells]
    if result.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in result.notes]
    if result.isolation != "bwrap":
        lines += ["", "> Graded with process-level isolation only."]
    return "\n".join(lines) + "\n"


def explanation(check: CheckResult, told: Telling) -> list[str]:
    """A failing check's explanation in Markdown lines: its message (fenced), the likely
    misconception, and the other checks its cause explains (the report and the feedback
    notebook both write it so)."""
    lines = fenced(check.message)
    if check.diagnosis:
        lines += ["", f"*Likely misconception:* {check.diagnosis}"]
    cause = told.led_by(check)
    if cause is not None and cause.same:
        lines += ["", f"**{SAME}:** {listed(cause.same)}."]
    if cause is not None and cause.likely:
        lines += ["", f"**{LIKELY}:** {listed(cause.likely)}."]
    return lines


def fenced(text: str) -> list[str]:
    """``text`` as a fenced block no line of it can close (a longer fence than any inside)."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return [f"{fence}text", text, fence]
