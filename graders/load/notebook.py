"""Reading a Jupyter notebook: its JSON, its format version and schema, and its code cells.

One reason to change: the Jupyter format and nbformat. A notebook is read with nbformat, upgraded
to format 4 and checked against the schema; problems that leave the code cells readable become
notes, not failures. Code cells keep their position among *all* cells (markdown and raw cells
count) as their number, and messages name them by their position among code cells and their first
line (:func:`~graders.load.records.code_cell_label`), since Jupyter shows no cell numbers.
"""

from __future__ import annotations

import itertools
import json
import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import nbformat
import nbformat.reader
import nbformat.validator

from graders.load.notes import _fail, _Notes, _shorten
from graders.load.records import _RawCell, code_cell_label

_MAX_PROBLEMS = 8  # schema problems listed in one note


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
    position = 0  # among code cells
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, Mapping) or cell.get("cell_type") != "code":
            continue  # markdown, raw and unreadable cells are not run, but they are counted
        position += 1
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            notes.skipped_cells.append(
                f"code cell {position} was not run: its source is not text "
                f"(found {type(source).__name__})"
            )
            continue
        label = code_cell_label(position, source)
        notes.labels[number] = label
        notes.positions[number] = position
        found.append(_RawCell(number, source, label))
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
