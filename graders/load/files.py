"""Reading a submitted file's bytes and decoding them as text, or saying exactly why not.

One reason to change: what a submitted file must be before it is read as text (a regular file,
an accepted suffix, at most :data:`MAX_BYTES`, UTF-8 with an optional BOM), and the advice given
when it is not (a UTF-16 file, a PDF, an archive...).
"""

from __future__ import annotations

import math
import stat
from pathlib import Path

from graders.errors import SubmissionError
from graders.load.notes import _fail

MAX_BYTES = 20_000_000
"""Largest file accepted (20 MB); big notebooks are nearly always big because of outputs."""

ACCEPTED_SUFFIXES = (".py", ".ipynb")


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
