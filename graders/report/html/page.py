"""What every report page shares: its stylesheet, the words for outcomes, numbers as written.

Changes when the look of every page changes (``templates/report.css``), not when one page's
content does. The pages themselves are Jinja2 templates (:mod:`graders.report.html.templating`).
"""

from __future__ import annotations

import math
from importlib import resources

from graders.results import round_points

__all__ = ["CSS", "STATUS_TEXT", "fmt"]

#: The one stylesheet of the batch files and the service's pages.
CSS = (resources.files("graders.report") / "templates" / "report.css").read_text(encoding="utf-8")

STATUS_TEXT = {
    "passed": "passed",
    "failed": "failed",
    "error": "error",
    "timeout": "timed out",
    "missing": "missing",
}


def fmt(value: float | None) -> str:
    """A score or point value as people write it: 4 decimals at most, no ``-0``.

    None, or a value that is not finite, is an en dash.

    >>> fmt(2.50000001), fmt(-0.0), fmt(None)
    ('2.5', '0', '–')
    """
    if value is None or not math.isfinite(value):
        return "–"
    return f"{round_points(value):g}"
