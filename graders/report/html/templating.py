"""The Jinja2 environment of the reports' templates (``graders/report/templates/``).

One reason to change: how the templates are found and what they may call. The templates are
shared: the batch files render them here, and the service's own environment loads them too
(:func:`report_loader`, under the ``report/`` prefix) and gets the same filters
(:func:`configure`), so a page and a file are one design. Autoescape is on for every template:
whatever came from a submission is text, never markup.
"""

from __future__ import annotations

import functools

import jinja2
from markupsafe import Markup, escape

from graders import __version__
from graders.report.causes import LIKELY, SAME
from graders.report.html.page import CSS, fmt
from graders.report.html.views import HIDDEN_NOTE, headline, histogram, status_text

__all__ = ["PREFIX", "badge", "configure", "environment", "new_environment", "report_loader"]

#: The prefix of the shared templates' names in every environment: ``report/_feedback.html``.
PREFIX = "report"


def report_loader() -> jinja2.BaseLoader:
    """A loader of the shared templates, named ``report/NAME``."""
    return jinja2.PrefixLoader({PREFIX: jinja2.PackageLoader("graders.report", "templates")})


@functools.lru_cache(maxsize=64)  # a handful of statuses, a badge per check on every page
def badge(status: str) -> Markup:
    """A check's outcome as a coloured label."""
    return Markup(f'<span class="badge {escape(status)}">{escape(status_text(status))}</span>')


def configure(env: jinja2.Environment) -> jinja2.Environment:
    """Give ``env`` the filters and globals the shared templates use; returns it."""
    env.filters["fmt"] = fmt
    env.filters["headline"] = headline
    env.filters["badge"] = badge
    env.globals["same_words"] = SAME  # the reports' words for the checks a cause also fails
    env.globals["likely_words"] = LIKELY
    env.globals["histogram"] = histogram
    env.globals["hidden_note"] = HIDDEN_NOTE
    env.globals["css"] = Markup(CSS)  # noqa: S704 - the package's own stylesheet
    env.globals["version"] = __version__
    return env


def _environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    return configure(
        jinja2.Environment(
            loader=loader,
            autoescape=True,  # every template, whatever its name: student text is escaped
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # templates ship with the package: compiled once per process
        )
    )


@functools.cache
def environment() -> jinja2.Environment:
    """The reports' one environment (cached: ``grader grade`` renders a page per student)."""
    return _environment(report_loader())


def new_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """An environment like :func:`environment`'s whose ``loader`` also finds other templates."""
    return _environment(jinja2.ChoiceLoader([loader, report_loader()]))
