"""The feedback's plots (the student's function against the reference) for the web pages.

One reason to change: how a plot is put in a page. The SVG is the reports' own
(:func:`graders.report.html.svg.render_plot`, every text in it escaped); its two inline ``style``
attributes become classes of the pages' stylesheet, because the pages' Content-Security-Policy
refuses inline styles. A plot is shown only with its question's feedback: to a student, when
every check of that question is visible now.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from markupsafe import Markup

from graders.report.html.svg import render_plot
from graders.results import Plot

__all__ = ["page_plots"]

_INLINE = (
    (re.compile(r' style="max-width:\d+px"'), ' class="plot"'),
    (re.compile(r' style="font-weight:600"'), ' class="plot-title"'),
)


def _svg(plot: Plot) -> Markup | None:
    text = render_plot(plot)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    if " style=" in text:  # a style this module does not know: leave the plot out
        return None
    return Markup(text)  # noqa: S704 - render_plot escapes every text it writes


def page_plots(plots: Iterable[Plot], shown: Mapping[str, bool]) -> dict[str, list[Markup]]:
    """The plots of the questions ``shown`` says may be shown, per question id, as SVG."""
    by_question: dict[str, list[Markup]] = {}
    for plot in plots:
        if not shown.get(plot.question, False):
            continue
        svg = _svg(plot)
        if svg is not None:
            by_question.setdefault(plot.question, []).append(svg)
    return by_question
