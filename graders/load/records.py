"""What loading hands the sandbox: a :class:`Submission` of :class:`Cell` records.

One reason to change: what a loaded submission holds (the cells to run, their numbers as the
student counts them, the file's digest and the notes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Cell:
    """One cell the worker runs.

    Attributes
    ----------
    number
        1-based position of the cell among *all* cells of the notebook, as the student counts
        them (markdown and raw cells included); 1 for a ``.py`` file.
    source
        The cell's Python source with IPython magics and shell lines neutralised; it has the
        same number of lines as the original so line numbers in tracebacks stay true.
    """

    number: int
    source: str


@dataclass(frozen=True)
class Submission:
    """A loaded submission, ready for the sandbox.

    Attributes
    ----------
    path
        The file that was loaded (for :func:`load_source`, ``Path(name)``).
    kind
        ``"py"`` or ``"ipynb"``: how the file was read (a ``.py`` file holding notebook JSON
        is read as ``"ipynb"``, with a note).
    cells
        The cells to run, in order. Empty code cells and cells left out because of a cell
        magic are not included; their numbers are simply missing.
    sha256
        Hex digest of the raw file bytes.
    notes
        Human-readable, deterministic remarks about what loading changed or found.
    """

    path: Path
    kind: Literal["py", "ipynb"]
    cells: tuple[Cell, ...]
    sha256: str
    notes: tuple[str, ...] = ()


@dataclass
class _RawCell:
    number: int
    source: str
