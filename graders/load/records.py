"""What loading hands the sandbox: a :class:`Submission` of :class:`Cell` records.

One reason to change: what a loaded submission holds (the cells to run, their numbers as the
student counts them, the file's digest and the notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    label
        How messages name the cell so a student finds it in Jupyter, which shows no cell
        numbers: its position among *code* cells and its first line,
        ``"code cell 9 (`def sigmoid(x):`)"``; ``""`` for a ``.py`` file (its lines are named
        alone); ``None`` (cells made in code) names it ``"cell 9"``.
    """

    number: int
    source: str
    label: str | None = field(default=None, compare=False)  # derived, for messages only

    @property
    def name(self) -> str:
        """The cell as a sentence's subject: its label, ``"the file"`` or ``"cell 9"``."""
        if self.label is None:
            return f"cell {self.number}"
        return self.label or "the file"

    @property
    def frame_label(self) -> str:
        """What the worker names this cell's traceback frames by (``""``: the line alone)."""
        return self.label if self.label is not None else f"cell {self.number}"


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
    label: str | None = None


_FIRST_LINE = 40  # characters of a cell's first line quoted in its label


def code_cell_label(position: int, source: str) -> str:
    """``"code cell 9 (`def sigmoid(x):`)"``: how messages name the ``position``-th code cell.

    The first line of code (else the first comment) is quoted, cut at 40 characters with
    backticks replaced, because it is how a student recognises a cell; after *Restart & Run
    All* the position is also Jupyter's ``In [9]`` when every code cell ran once.
    """
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    # A code line tells cells apart better than a comment such as "# Demo", which many share.
    first = next((line for line in lines if not line.startswith("#")), lines[0] if lines else "")
    if not first:
        return f"code cell {position}"
    first = "".join(ch if ch.isprintable() else "\ufffd" for ch in first)  # NUL, surrogates...
    if len(first) > _FIRST_LINE:
        first = first[: _FIRST_LINE - 3].rstrip() + "..."
    return f"code cell {position} (`{first.replace('`', chr(39))}`)"
