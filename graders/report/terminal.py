"""The student's report in a terminal: a Rich table of checks, then every failure explained."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from graders.report.causes import LIKELY, SAME, Cause, listed, telling
from graders.results import CheckResult, SubmissionResult, cell_name

_SKIPPED_SHOWN = 3  # skipped cells named in the terminal's one line; the files list them all
_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "yellow", "missing": "dim"}

WEAK_ISOLATION = (
    "Warning: this submission ran with process-level isolation only (no bubblewrap namespaces "
    "available on this machine); student code could read files the grader's user can read."
)


ISOLATION_NOTE = "isolation:"
"""How the sandbox's note on a weaker layer begins (``graders.sandbox.isolation.Plan.note``)."""


def render(result: SubmissionResult, console: Console) -> None:
    """Print ``result`` to ``console``: summary table, failures, cell problems, notes."""
    console.print(Text(f"{result.assignment} — {result.student}", style="bold"))
    if result.status == "ungradable":
        console.print(Panel(result.message, title="Ungradable submission", border_style="red"))
        return
    if result.message:  # said first: it changes how everything below reads
        console.print(Panel(result.message, title="Read this first", border_style="yellow"))
    table = Table(show_lines=False)
    table.add_column("question")
    table.add_column("check")
    table.add_column("status")
    table.add_column("points", justify="right")
    for check in result.checks:
        table.add_row(
            check.question,
            check.check_id,
            Text(check.status, style=_STYLE.get(check.status, "")),
            f"{check.score:g} / {check.max_score:g}",
        )
    console.print(table)
    console.print(Text(f"Score: {result.score:g} / {result.max_score:g}", style="bold"))
    told = telling(result.checks)
    for check in result.checks:
        absent = told.absent.get(check.question)
        if absent is not None:  # one line per question, at its first check
            if check is absent.checks[0]:
                console.print(Text(f"- {absent.line}", style="yellow"))
        elif check.status != "passed" and told.explained_by(check) is None:
            console.print(_failure_panel(check, told.led_by(check)))
    problems = [c for c in result.cell_reports if c.get("status") != "ok"]
    if problems:
        body = "\n".join(str(c.get("message", "")) for c in problems)
        console.print(Panel(body, title="Cells that did not run to the end", border_style="yellow"))
    if result.skipped_cells:  # one dim line: it explains, it is not a problem
        skipped = result.skipped_cells
        shown = "; ".join(cell_name(c) for c in skipped[:_SKIPPED_SHOWN])
        hidden = len(skipped) - _SKIPPED_SHOWN
        more = f"; and {hidden} more" if hidden > 0 else ""
        noun = "1 cell" if len(skipped) == 1 else f"{len(skipped)} cells"
        line = f"note: {noun} not run, grading does not need them: {shown}{more}"
        line += " (--run-all-cells runs every cell)"
        console.print(Text(line, style="dim"))
    layer = [n for n in result.notes if n.startswith(ISOLATION_NOTE)]
    for note in result.notes:
        if note not in layer:
            console.print(Text(f"note: {note}", style="dim"))
    if result.isolation != "bwrap":  # one warning: the layer's own words when it gave them
        warning = f"Warning: {layer[0]}" if layer else WEAK_ISOLATION
        console.print(Text(warning, style="yellow"))


def _failure_panel(check: CheckResult, cause: Cause | None = None) -> Panel:
    parts: list[Text] = [Text(check.message)]
    if check.diagnosis:
        parts.append(Text(f"Likely misconception — {check.diagnosis}", style="magenta"))
    if cause is not None and cause.same:
        parts.append(Text(f"{SAME}: {listed(cause.same)}.", style="bold"))
    if cause is not None and cause.likely:
        parts.append(Text(f"{LIKELY}: {listed(cause.likely)}.", style="bold"))
    title = f"{check.check_id}: {check.status} ({check.score:g} / {check.max_score:g})"
    return Panel(Group(*parts), title=title, border_style=_STYLE.get(check.status, "red"))
