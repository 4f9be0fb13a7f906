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
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import stat
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import nbformat
import nbformat.reader
import nbformat.validator

from graders.errors import SubmissionError
from graders.magics import (
    DISPLAY_CELLS,
    SHELL_CELLS,
    Action,
    MagicLine,
    Neutralised,
    neutralise_magics,
)

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

MAX_BYTES = 20_000_000
"""Largest file accepted (20 MB); big notebooks are nearly always big because of outputs."""

ACCEPTED_SUFFIXES = (".py", ".ipynb")

_MAX_LISTED = 8  # locations listed in one note before "and N more"
_MAX_PROBLEMS = 8  # schema problems listed in one note


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


# --------------------------------------------------------------------------------------------
# Reading bytes


def _fail(name: str, message: str) -> SubmissionError:
    return SubmissionError(f"'{name}' {message}")


def _sniff(raw: bytes) -> str:
    """A hint about what a non-text file really is, from its first bytes."""
    signatures = (
        (b"%PDF-", "it looks like a PDF document"),
        (b"PK\x03\x04", "it looks like a ZIP archive (a .docx, .xlsx or zipped folder?)"),
        (b"\xd0\xcf\x11\xe0", "it looks like an old Microsoft Office document"),
        (b"\x89PNG", "it looks like a PNG image"),
        (b"\xff\xd8\xff", "it looks like a JPEG image"),
        (b"\x1f\x8b", "it looks like a gzip archive"),
    )
    for magic, hint in signatures:
        if raw.startswith(magic):
            return f"; {hint}"
    return ""


def _decode(raw: bytes, name: str) -> str:
    """Decode UTF-8 (a BOM is fine) or explain exactly why the bytes are not text."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(
            name,
            "is saved as UTF-16 text; save it as UTF-8 (the Jupyter and editor default) "
            "and submit again",
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise _fail(
            name,
            f"is not a text file: it contains a NUL byte at offset {nul}{_sniff(raw)}. "
            "Submit the .py or .ipynb file itself",
        )
    bom = b"\xef\xbb\xbf"
    skip = len(bom) if raw.startswith(bom) else 0
    try:
        text = raw[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        line = raw.count(b"\n", 0, offset) + 1
        raise _fail(
            name,
            f"is not valid UTF-8 text: byte 0x{raw[offset]:02X} at offset {offset} (line {line}) "
            f"cannot be decoded{_sniff(raw)}. It was probably saved in another encoding "
            "(such as Latin-1 or Windows-1252); save it as UTF-8 and submit again",
        ) from None
    return text


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_file(path: Path) -> bytes:
    name = path.name or str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise _fail(name, "does not exist (no such file)") from None
    except OSError as exc:
        raise _fail(name, f"could not be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail(name, "is a directory; submit a single .py or .ipynb file")
    if not stat.S_ISREG(st.st_mode):
        raise _fail(name, "is not a regular file; submit a single .py or .ipynb file")
    suffix = path.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise _fail(name, _suffix_problem(path))
    if st.st_size > MAX_BYTES:
        raise _too_big(name, st.st_size, suffix)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)  # bounded even if the file grows after stat()
    except OSError as exc:
        raise _fail(name, f"could not be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise _too_big(name, len(raw), suffix)
    return raw


def _suffix_problem(path: Path) -> str:
    shown = path.suffix or "no extension"
    hint = "Submit the notebook or script itself, not an export, a document or an archive."
    if path.suffix and path.stem.lower().endswith(ACCEPTED_SUFFIXES):
        # e.g. "hw.ipynb.txt", as some browsers save a notebook
        hint = f"Rename it to '{path.stem}' and submit again."
    return (
        f"has an unsupported file type ({shown}); the grader accepts .py scripts and .ipynb "
        f"notebooks. {hint}"
    )


def _too_big(name: str, size: int, suffix: str) -> SubmissionError:
    advice = (
        " Clear the notebook's outputs (Kernel > Restart & Clear Output), save, and submit again."
        if suffix == ".ipynb"
        else ""
    )
    shown = math.ceil(size / 1e5) / 10  # rounded up, so a file just over the cap reads as over
    return _fail(name, f"is {shown:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit.{advice}")


# --------------------------------------------------------------------------------------------
# Notebooks


@dataclass
class _RawCell:
    number: int
    source: str


@dataclass
class _Notes:
    """Collects what loading found, then renders it as deterministic sentences."""

    kind: Literal["py", "ipynb"]
    general: list[str] = field(default_factory=list)
    skipped_cells: list[str] = field(default_factory=list)
    magic: list[tuple[int, MagicLine]] = field(default_factory=list)

    def where(self, cell: int, line: int | None = None) -> str:
        if self.kind == "py":
            return f"line {line}" if line is not None else "the file"
        return f"cell {cell}" if line is None else f"cell {cell}, line {line}"

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


@contextmanager
def _quiet_nbformat() -> Iterator[None]:
    """Silence nbformat's warnings and its error log: we report problems as notes instead."""
    from traitlets.log import get_logger  # nbformat logs through traitlets' logger

    logger = get_logger()
    target = logger.logger if isinstance(logger, logging.LoggerAdapter) else logger
    drop_all = logging.Filter("\0")  # matches no logger name, so it drops every record
    target.addFilter(drop_all)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        target.removeFilter(drop_all)


def _describe_path(path: Sequence[object]) -> str:
    parts = list(path)
    if len(parts) >= 2 and parts[0] == "cells" and isinstance(parts[1], int):
        rest = ".".join(str(p) for p in parts[2:])
        return f"cell {parts[1] + 1}" + (f" ({rest})" if rest else "")
    return "notebook" + (" (" + ".".join(str(p) for p in parts) + ")" if parts else "")


def _validation_errors(instance: Any, **kwargs: Any) -> list[tuple[list[object], str]]:
    """(path, message) for each way ``instance`` departs from the schema (at most 50)."""
    with _quiet_nbformat():
        found = nbformat.validator.iter_validate(instance, **kwargs)  # type: ignore[no-untyped-call]
        errors = list(itertools.islice(found, 50))
    return [
        (
            list(getattr(error, "relative_path", None) or ()),
            str(getattr(error, "message", error)).splitlines()[0],
        )
        for error in errors
    ]


def _schema_problems(nb: Mapping[str, Any]) -> list[str]:
    """Every way ``nb`` departs from the Jupyter schema, as short sentences (in schema order)."""
    problems: list[str] = []

    def add(path: Sequence[object], message: str) -> None:
        problem = f"{_describe_path(path)}: {_shorten(message, 120)}"
        if problem not in problems:
            problems.append(problem)

    cells = nb.get("cells")
    minor = nb.get("nbformat_minor")
    try:
        for path, message in _validation_errors(nb):
            index = path[1] if len(path) >= 2 and path[0] == "cells" else None
            cell = cells[index] if isinstance(cells, list) and isinstance(index, int) else None
            kind = cell.get("cell_type") if isinstance(cell, Mapping) else None
            if kind not in ("code", "markdown", "raw") or not isinstance(minor, int):
                add(path, message)
                continue
            # The notebook-level error names one defect per cell; list all of that cell's.
            for sub_path, sub_message in _validation_errors(
                cell, ref=f"{kind}_cell", version=4, version_minor=minor
            ):
                add(["cells", index, *sub_path], sub_message)
    except Exception as exc:  # nbformat can trip on odd values (e.g. a string minor version)
        add([], f"could not be checked against the Jupyter format ({type(exc).__name__})")
    return problems


def _version(data: Mapping[str, Any], name: str) -> int:
    major = data.get("nbformat")
    if major is None:
        raise _fail(
            name,
            "is not a Jupyter notebook: the JSON object has no 'nbformat' field. Open it in "
            "Jupyter, save it, and submit again",
        )
    if isinstance(major, bool) or not isinstance(major, int) or major not in (1, 2, 3, 4):
        raise _fail(
            name,
            f"uses notebook format version {major!r}, which this grader cannot read (it reads "
            "versions 1 to 4). Save it with Jupyter Notebook or JupyterLab and submit again",
        )
    return major


def _read_notebook(text: str, data: Mapping[str, Any], name: str, notes: _Notes) -> list[Any]:
    """Read, upgrade and validate a parsed notebook; return its list of cells (format 4)."""
    major = _version(data, name)
    if major == 4 and not isinstance(data.get("cells"), list):
        raise _fail(name, "is not a valid notebook: it has no list of 'cells'")
    nb: Any
    try:
        with _quiet_nbformat():
            nb = nbformat.reader.reads(text)  # type: ignore[no-untyped-call]
            if major != 4:
                nb = nbformat.convert(nb, 4)  # type: ignore[no-untyped-call]
    except Exception as exc:  # nbformat raises many types on malformed structure
        if major != 4:
            raise _fail(
                name,
                f"is a notebook in the old format {major} that could not be converted "
                f"({type(exc).__name__}: {_shorten(str(exc), 120)}). Open it in Jupyter, save "
                "it, and submit again",
            ) from None
        # nbformat gives up on small defects (e.g. a cell without metadata); the cells
        # themselves are usually fine, so read them straight from the JSON.
        nb = data
        notes.general.append(
            "nbformat could not read the notebook "
            f"({type(exc).__name__}: {_shorten(str(exc), 120)}); its cells were read directly"
        )
    if major != 4:
        notes.general.append(f"the notebook was converted from format {major} to format 4")
    minor = data.get("nbformat_minor")
    known_minor = int(nbformat.v4.nbformat_minor)
    if major == 4 and isinstance(minor, int) and minor > known_minor:
        notes.general.append(
            f"the notebook uses format 4.{minor}, newer than this grader knows "
            f"(4.{known_minor}); it was read anyway"
        )
    problems = _schema_problems(nb)
    if problems:
        extra = len(problems) - _MAX_PROBLEMS
        listed = "; ".join(problems[:_MAX_PROBLEMS]) + (f"; and {extra} more" if extra > 0 else "")
        notes.general.append(
            "the notebook does not fully follow the Jupyter format, but its code cells could "
            f"be read: {listed}"
        )
    language = _kernel_language(nb)
    if language is not None and language.lower() not in ("python", "python3", "ipython"):
        notes.general.append(
            f"the notebook's kernel language is {language!r}; its code cells were run as Python"
        )
    cells = nb.get("cells") if isinstance(nb, Mapping) else None
    if not isinstance(cells, list):
        raise _fail(name, "is not a valid notebook: it has no list of 'cells'")
    return cells


def _kernel_language(nb: Any) -> str | None:
    metadata = nb.get("metadata") if isinstance(nb, Mapping) else None
    if not isinstance(metadata, Mapping):
        return None
    for key, field_name in (("kernelspec", "language"), ("language_info", "name")):
        section = metadata.get(key)
        if isinstance(section, Mapping) and isinstance(section.get(field_name), str):
            return str(section[field_name])
    return None


def _code_cells(cells: Sequence[Any], notes: _Notes) -> list[_RawCell]:
    """The code cells, numbered by their position among all cells; unusable ones noted."""
    found: list[_RawCell] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, Mapping) or cell.get("cell_type") != "code":
            continue  # markdown, raw and unreadable cells are not run, but they are counted
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            notes.skipped_cells.append(
                f"cell {number} was not run: its source is not text (found {type(source).__name__})"
            )
            continue
        found.append(_RawCell(number, source))
    return found


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:  # before ValueError: it is one
        hint = (
            " The file does not start with '{', so it is not a notebook at all; if it is a "
            "Python script, rename it to .py."
            if not text.lstrip().startswith("{")
            else " The file may be truncated or edited by hand; open it in Jupyter, save it, "
            "and submit again."
        )
        raise _fail(
            name,
            f"is not a valid notebook: JSON error at line {exc.lineno} column {exc.colno} "
            f"({exc.msg}).{hint}",
        ) from None
    except RecursionError:
        raise _fail(name, "is not a valid notebook: its JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise _fail(name, f"is not a valid notebook: {_shorten(str(exc), 120)}") from None


def _looks_like_notebook(data: object) -> bool:
    if not isinstance(data, dict) or "nbformat" not in data:
        return False
    return "cells" in data or "worksheets" in data


# --------------------------------------------------------------------------------------------
# Putting it together


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
    return _RawCell(cell.number, cleaned)


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
        raw = _sanitise(_RawCell(raw.number, source), notes)
        result = neutralise_magics(raw.source)
        if result.cell_magic is not None:
            magic = f"%%{result.cell_magic}"
            subject = "the file" if notes.kind == "py" else f"cell {raw.number}"
            notes.skipped_cells.append(
                f"{subject} was not run because it starts with {magic}: "
                f"{_cell_magic_reason(result.cell_magic)}"
            )
            continue
        notes.magic.extend((raw.number, m) for m in result.magic_lines)
        has_code = has_code or result.has_code
        cells.append(Cell(raw.number, result.source))
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


def _load_text(text: str, *, path: Path, sha256: str, kind: Literal["py", "ipynb"]) -> Submission:
    name = path.name or str(path)
    if not text.strip():
        raise _fail(name, "is empty, so there is nothing to grade")
    notes = _Notes(kind=kind)
    if kind == "py":
        if _looks_like_notebook(_try_json(text)):
            kind = "ipynb"
            notes = _Notes(kind=kind)
            notes.general.append(
                f"'{name}' holds a Jupyter notebook (JSON), not a Python script; it was read as "
                "a notebook (rename it to .ipynb next time)"
            )
    if kind == "py":
        raw_cells = [_RawCell(1, text)]
        cells = _build(raw_cells, total_code_cells=1, name=name, notes=notes)
        return Submission(path, "py", cells, sha256, notes.render())
    data = _parse_json(text, name)
    if not isinstance(data, dict):
        raise _fail(
            name,
            f"is not a Jupyter notebook: the file holds a JSON {_json_type(data)}, but a notebook "
            "is a JSON object with 'cells' and 'nbformat'",
        )
    all_cells = _read_notebook(text, data, name, notes)
    total = sum(1 for c in all_cells if isinstance(c, Mapping) and c.get("cell_type") == "code")
    code = _code_cells(all_cells, notes)
    cells = _build(code, total_code_cells=total, name=name, notes=notes)
    return Submission(path, "ipynb", cells, sha256, notes.render())


def _try_json(text: str) -> object:
    """The parsed JSON if ``text`` is a JSON object mentioning notebook keys, else ``None``."""
    if not text.lstrip().startswith("{") or '"nbformat"' not in text:
        return None  # cheap test first: almost every .py stops here
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def load_submission(path: Path | str) -> Submission:
    """Load a student's ``.py`` script or ``.ipynb`` notebook.

    Parameters
    ----------
    path
        The submitted file.

    Returns
    -------
    Submission
        The cells to run (magics neutralised, numbers as the student sees them), the SHA-256
        of the raw bytes, and notes on anything loading changed or found.

    Raises
    ------
    SubmissionError
        With a message a student can act on, whenever there is nothing that can be graded:
        a missing file, a directory, an unsupported extension, a file over :data:`MAX_BYTES`,
        an empty or binary file, text that is not UTF-8, a notebook that is not valid JSON or
        of an unknown format, or one with no runnable code cell. A ``.py`` file with a syntax
        error loads: syntax errors are reported per cell by the worker.
    """
    path = Path(path)
    raw = _read_file(path)
    name = path.name
    if not raw:
        raise _fail(name, "is empty (0 bytes), so there is nothing to grade")
    text = _decode(raw, name)
    kind: Literal["py", "ipynb"] = "ipynb" if path.suffix.lower() == ".ipynb" else "py"
    return _load_text(text, path=path, sha256=hashlib.sha256(raw).hexdigest(), kind=kind)


def load_source(source: str, *, name: str = "<string>") -> Submission:
    """Load Python source given as a string, as if it were a ``.py`` file (for tests).

    Parameters
    ----------
    source
        The script's text.
    name
        What to call it in messages; also the :attr:`Submission.path`.

    Returns
    -------
    Submission
        As :func:`load_submission`; ``sha256`` is the digest of ``source`` encoded as UTF-8.

    Raises
    ------
    SubmissionError
        If the source is empty, contains a NUL character, or has no Python code to run.
    """
    raw = source.encode("utf-8", "surrogatepass")
    if source.startswith("\ufeff"):
        source = source[1:]
    nul = source.find("\0")
    if nul >= 0:
        raise _fail(name, f"is not text: it contains a NUL character at offset {nul}")
    return _load_text(source, path=Path(name), sha256=hashlib.sha256(raw).hexdigest(), kind="py")
