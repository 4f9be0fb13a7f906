"""Turn a student's ``.py`` file or ``.ipynb`` notebook into a :class:`Submission`.

Loading never runs anything. It reads the file, rejects what cannot be graded with a
:class:`~graders.errors.SubmissionError` whose message a student can act on, and hands the
sandbox a list of Python cells:

- ``.py``: the whole file is one cell, number 1.
- ``.ipynb``: read with nbformat, upgraded to format 4, checked against the Jupyter schema.
  Schema problems that leave the code cells readable become notes, not failures. Code cells
  keep their position among *all* cells (markdown and raw cells count), so "cell 7" is the
  seventh cell the student sees.

IPython-only syntax is neutralised by :mod:`graders.magics` before anything runs.

This package's public face; its rooms, each with one reason to change:

- :mod:`~graders.load.submission`: :func:`load_submission` and :func:`load_source`, which reader
  a file goes to.
- :mod:`~graders.load.files`: a file's bytes to text (:data:`MAX_BYTES`,
  :data:`ACCEPTED_SUFFIXES`, encodings).
- :mod:`~graders.load.notebook`: the Jupyter format (nbformat, versions, schema, code cells).
- :mod:`~graders.load.cells`: a cell's source made runnable (magics neutralised, nothing to run
  refused).
- :mod:`~graders.load.notes`: the wording of notes and of ungradable reasons.
- :mod:`~graders.load.records`: :class:`Submission` and :class:`Cell`.
"""

from __future__ import annotations

from graders.load.files import ACCEPTED_SUFFIXES, MAX_BYTES
from graders.load.records import Cell, Submission
from graders.load.submission import load_source, load_submission
from graders.magics import MagicLine, Neutralised, neutralise_magics

__all__ = [
    "ACCEPTED_SUFFIXES",
    "MAX_BYTES",
    "Cell",
    "MagicLine",
    "Neutralised",
    "Submission",
    "load_source",
    "load_submission",
    "neutralise_magics",
]
