"""From raw cells to the cells the worker runs: newlines, invalid characters and IPython magics.

One reason to change: what is done to a cell's source before it runs. Sources are normalised,
characters no Python source may hold are replaced, IPython-only lines are neutralised by
:mod:`graders.magics` (cells starting with a cell magic are left out), and a submission with
nothing left to run is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from graders.load.notes import _cell_magic_reason, _fail, _Notes
from graders.load.records import Cell, _RawCell
from graders.magics import neutralise_magics


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _sanitise(cell: _RawCell, notes: _Notes) -> _RawCell:
    """Replace characters no Python source may hold (NUL, lone surrogates) and say so."""
    bad = [ch for ch in cell.source if ch == "\0" or "\ud800" <= ch <= "\udfff"]
    if not bad:
        return cell
    cleaned = "".join(
        "\ufffd" if ch == "\0" or "\ud800" <= ch <= "\udfff" else ch for ch in cell.source
    )
    notes.general.append(
        f"{notes.where(cell.number)}: {len(bad)} invalid character(s) (NUL or broken Unicode) "
        "were replaced by \ufffd"
    )
    return _RawCell(cell.number, cleaned, cell.label)


def _build(
    raw_cells: Sequence[_RawCell], *, total_code_cells: int, name: str, notes: _Notes
) -> tuple[Cell, ...]:
    """Neutralise magics, drop what cannot run, and refuse a submission with nothing to run."""
    if total_code_cells == 0:
        raise _fail(name, "has no code cells, so there is nothing to grade")
    cells: list[Cell] = []
    has_code = False
    nonempty = 0
    for raw in raw_cells:
        source = _normalise_newlines(raw.source)
        if not source.strip():
            continue
        nonempty += 1
        raw = _sanitise(_RawCell(raw.number, source, raw.label), notes)
        result = neutralise_magics(raw.source)
        if result.cell_magic is not None:
            magic = f"%%{result.cell_magic}"
            subject = notes.short(raw.number)  # its first line is the magic named below
            notes.skipped_cells.append(
                f"{subject} was not run because it starts with {magic}: "
                f"{_cell_magic_reason(result.cell_magic)}"
            )
            continue
        notes.magic.extend((raw.number, m) for m in result.magic_lines)
        has_code = has_code or result.has_code
        cells.append(Cell(raw.number, result.source, raw.label))
    if nonempty == 0 and not notes.skipped_cells:
        if notes.kind == "py":
            raise _fail(name, "is empty, so there is nothing to grade")
        raise _fail(
            name, f"has {total_code_cells} code cell(s), all empty, so there is nothing to grade"
        )
    if not cells:
        reasons = "; ".join(notes.skipped_cells)
        raise _fail(name, f"has no code that can be run as Python: {reasons}")
    if not has_code:
        raise _fail(
            name,
            "has no Python code to run: it holds only comments and IPython magic or shell "
            "lines, which the grader does not run",
        )
    return tuple(cells)
