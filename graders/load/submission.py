"""The entry points: a file (:func:`load_submission`) or a string (:func:`load_source`) to a
:class:`~graders.load.records.Submission`.

One reason to change: how the readers are put together: a ``.py`` file is one cell, a
``.ipynb`` file (or a ``.py`` file holding notebook JSON) is read as a notebook, and either way
the cells are built and the notes rendered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from graders.load.cells import _build
from graders.load.files import _decode, _read_file
from graders.load.notebook import (
    _code_cells,
    _json_type,
    _looks_like_notebook,
    _parse_json,
    _read_notebook,
    _try_json,
)
from graders.load.notes import _fail, _Notes
from graders.load.records import Submission, _RawCell


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
        raw_cells = [_RawCell(1, text, "")]  # a module: its lines are named alone
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
