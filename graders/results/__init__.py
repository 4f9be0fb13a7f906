"""One immutable record per graded submission, and its JSON (Gradescope ``results.json``).

The JSON follows Gradescope's schema (``score``, ``max_score``, ``output``, ``tests[]``) with our
own fields under ``extra_data``. It is deterministic: identical results give byte-identical JSON,
except for the values under ``extra_data.timings``, so a regrade can be diffed against the last.

This package's public face (it sits at the bottom of the layers: it imports nothing of the
grader); its rooms, each with one reason to change:

- :mod:`~graders.results.records`: :class:`SubmissionResult` and :class:`CheckResult`, what a
  result holds, with its Gradescope JSON and its gradebook record.
- :mod:`~graders.results.plots`: :class:`Plot` and :class:`PlotSeries`, the feedback pictures.
- :mod:`~graders.results.bounds`: what every field must be and how large a result may grow
  (:func:`clip_text`, the ``MAX_*`` limits).
"""

from __future__ import annotations

from graders.results.bounds import (
    MAX_CELL_REPORTS,
    MAX_NOTES,
    MAX_RESULT_BYTES,
    MAX_TEXT_CHARS,
    SCORE_DECIMALS,
    clip_text,
    round_points,
)
from graders.results.plots import MAX_PLOT_POINTS, Plot, PlotSeries, SeriesRole
from graders.results.records import (
    CheckResult,
    Status,
    SubmissionResult,
    SubmissionStatus,
    cell_name,
    skipped_cells_line,
)

__all__ = [
    "MAX_CELL_REPORTS",
    "MAX_NOTES",
    "MAX_PLOT_POINTS",
    "MAX_RESULT_BYTES",
    "MAX_TEXT_CHARS",
    "SCORE_DECIMALS",
    "CheckResult",
    "Plot",
    "PlotSeries",
    "SeriesRole",
    "Status",
    "SubmissionResult",
    "SubmissionStatus",
    "clip_text",
    "cell_name",
    "round_points",
    "skipped_cells_line",
]
