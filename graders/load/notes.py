"""What loading tells the student: the notes on what it changed, and the form of an ungradable
reason.

One reason to change: the wording of loading's findings. Notes are collected while loading and
rendered as deterministic sentences (grouped by what was done to IPython-only lines); a
submission that cannot be graded raises a :class:`~graders.errors.SubmissionError` that starts
with the file's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from graders.errors import SubmissionError
from graders.magics import DISPLAY_CELLS, SHELL_CELLS, Action, MagicLine

_MAX_LISTED = 8  # locations listed in one note before "and N more"


def _fail(name: str, message: str) -> SubmissionError:
    return SubmissionError(f"'{name}' {message}")


@dataclass
class _Notes:
    """Collects what loading found, then renders it as deterministic sentences."""

    kind: Literal["py", "ipynb"]
    general: list[str] = field(default_factory=list)
    skipped_cells: list[str] = field(default_factory=list)
    magic: list[tuple[int, MagicLine]] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)  # cell number -> its code cell label
    positions: dict[int, int] = field(default_factory=dict)  # cell number -> among code cells

    def where(self, cell: int, line: int | None = None) -> str:
        """The cell by its label (``"code cell 3 (`x = 1`)"``); with a line, which the note
        quotes itself, by its position alone (``"code cell 3, line 2"``)."""
        if self.kind == "py":
            return f"line {line}" if line is not None else "the file"
        if line is not None:
            return f"{self.short(cell)}, line {line}"
        return self.labels.get(cell, f"cell {cell}")

    def short(self, cell: int) -> str:
        """``"code cell 3"``, or ``"the file"`` for a ``.py`` file."""
        if self.kind == "py":
            return "the file"
        position = self.positions.get(cell)
        return f"cell {cell}" if position is None else f"code cell {position}"

    def render(self) -> tuple[str, ...]:
        out = list(self.general)
        groups: tuple[tuple[Action, str], ...] = (
            (
                "skipped",
                "IPython magic, shell or help lines were not run (the grader never runs "
                "shell commands)",
            ),
            ("unwrapped", "%time was dropped and the statement after it run once as plain Python"),
            (
                "shell_assign",
                "shell commands were not run; the name they were assigned to was "
                "set to an empty list []",
            ),
            ("magic_assign", "magics were not run; the name they were assigned to was set to None"),
            (
                "cell_header",
                "the cell magic line was dropped and the rest of the cell run as plain Python",
            ),
        )
        for action, sentence in groups:
            items = [
                f"{self.where(cell, m.line)} `{_shorten(m.text)}`"
                for cell, m in self.magic
                if m.action == action
            ]
            if items:
                out.append(f"{sentence}: {_listing(items)}")
        out.extend(self.skipped_cells)
        return tuple(out)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _listing(items: Sequence[str]) -> str:
    shown = "; ".join(items[:_MAX_LISTED])
    extra = len(items) - _MAX_LISTED
    return shown + (f"; and {extra} more" if extra > 0 else "")


def _cell_magic_reason(name: str) -> str:
    if name in SHELL_CELLS:
        return "shell commands and scripts are never run by the grader"
    if name == "writefile":
        return "%%writefile cells are not run, so the file was not written"
    if name == "timeit":
        return "timing cells are not run (in Jupyter, names assigned in %%timeit are not kept)"
    if name in DISPLAY_CELLS:
        return "it only displays content"
    return "the grader runs only Python and does not know this cell magic"
