"""HTML reports: the student's feedback page and the instructor's cohort summary.

Both pages are self-contained so they can be mailed, uploaded to an LMS or opened offline: inline
CSS, plots drawn as inline SVG by hand (no matplotlib, no JavaScript, no fonts, images or
stylesheets fetched from anywhere). They are Jinja2 templates (``graders/report/templates/``,
autoescape on: every text that came from a submission is escaped) whose partials the service's
pages include too, so a file and a page are one design with one stylesheet.

This package is the public face: import from ``graders.report.html``. Its rooms are
:mod:`~graders.report.html.page` (the stylesheet, numbers), :mod:`~graders.report.html.svg`
(charts), :mod:`~graders.report.html.views` (what the templates show, as data),
:mod:`~graders.report.html.templating` (the environment), :mod:`~graders.report.html.feedback`
and :mod:`~graders.report.html.summary` (the two pages).
"""

from graders.report.html.feedback import render_feedback
from graders.report.html.summary import render_summary
from graders.report.html.svg import nice_ticks, render_plot

__all__ = ["nice_ticks", "render_feedback", "render_plot", "render_summary"]
