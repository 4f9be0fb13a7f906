"""The pictures of a feedback page, as data: :class:`Plot` and its :class:`PlotSeries`.

One reason to change: what a feedback plot holds. Plots are feedback only (gathered by
``graders.checks.plots``, drawn by ``graders.report.html``): never part of the score nor of the
Gradescope JSON, only of the gradebook's lossless record.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from graders.results.bounds import _bad, _text, _tuple

SeriesRole = Literal["student", "reference", "guide"]

_ROLES = frozenset(get_args(SeriesRole))
#: Most points one plotted series may hold (a feedback page stays small).
MAX_PLOT_POINTS = 2000


@dataclass(frozen=True)
class PlotSeries:
    """One line of a plot: the student's values, the reference's, or a guide (the diagonal).

    Attributes
    ----------
    label
        Legend text.
    x, y
        Coordinates, equally long; ``nan`` in ``y`` leaves a gap (a value that was not finite).
    role
        ``"student"``, ``"reference"`` or ``"guide"``: decides the style, not the meaning.
    """

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    role: SeriesRole

    def __post_init__(self) -> None:
        _text("label", self.label)
        if self.role not in _ROLES:
            raise ValueError(_bad("role", self.role, f"one of {sorted(_ROLES)}"))
        x = tuple(float(v) for v in _tuple("x", self.x))
        y = tuple(float(v) for v in _tuple("y", self.y))
        if len(x) != len(y):
            raise ValueError(f"x and y must be equally long, got {len(x)} and {len(y)}")
        if len(x) > MAX_PLOT_POINTS:
            raise ValueError(f"a series holds at most {MAX_PLOT_POINTS} points, got {len(x)}")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    def to_plain(self) -> dict[str, Any]:
        """JSON-ready dict (non-finite values become ``None``)."""
        return {
            "label": self.label,
            "role": self.role,
            "x": [v if math.isfinite(v) else None for v in self.x],
            "y": [v if math.isfinite(v) else None for v in self.y],
        }

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> PlotSeries:
        """Inverse of :meth:`to_plain` (``None`` becomes ``nan``)."""
        return cls(
            label=data["label"],
            x=tuple(math.nan if v is None else float(v) for v in data["x"]),
            y=tuple(math.nan if v is None else float(v) for v in data["y"]),
            role=data["role"],
        )


@dataclass(frozen=True)
class Plot:
    """A picture for the student's feedback: their function against the reference.

    Plots are gathered while the student's worker is open (``graders.checks.plots``) and drawn by
    ``graders.report.html``. They are feedback only: never part of the score, and not in the
    Gradescope JSON.

    Attributes
    ----------
    id
        Stable name, e.g. ``"sigmoid"`` or ``"roc_curve"``.
    question
        Id of the question the plot illustrates.
    title, x_label, y_label
        Texts drawn on the plot.
    series
        The lines, drawn in order (the student's last, on top).
    caption
        One or two sentences under the plot saying what was called and how to read it.
    """

    id: str
    question: str
    title: str
    x_label: str
    y_label: str
    series: tuple[PlotSeries, ...]
    caption: str = ""

    def __post_init__(self) -> None:
        for name in ("id", "question", "title", "x_label", "y_label", "caption"):
            _text(name, getattr(self, name))
        series = _tuple("series", self.series)
        for i, line in enumerate(series):
            if not isinstance(line, PlotSeries):
                raise TypeError(_bad(f"series[{i}]", line, "a PlotSeries"))
        object.__setattr__(self, "series", series)

    def to_plain(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "question": self.question,
            "title": self.title,
            "x_label": self.x_label,
            "y_label": self.y_label,
            "caption": self.caption,
            "series": [line.to_plain() for line in self.series],
        }

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> Plot:
        """Inverse of :meth:`to_plain`."""
        return cls(
            id=data["id"],
            question=data["question"],
            title=data["title"],
            x_label=data["x_label"],
            y_label=data["y_label"],
            caption=data.get("caption", ""),
            series=tuple(PlotSeries.from_plain(line) for line in data["series"]),
        )
