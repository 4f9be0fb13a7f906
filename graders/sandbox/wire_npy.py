"""The ``.npy`` bytes of one array, both ways: written without numpy's writer, read after checks.

One reason to change: how an array crosses. A header in our own ``.npy`` 1.0 format is parsed
here (and remembered); any other is parsed by numpy's reader; either way the dtype and shape are
checked before a single data byte is read, and nothing is ever unpickled.

Worker-side module: copied into the sandbox (``scratch.WORKER_FILES``); standard library and
numpy only, Python >= 3.9.
"""

from __future__ import annotations

import io
import math
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING or __package__:  # the grader's copy, graders.sandbox.* (and the type checker's)
    from graders.sandbox.wire_values import _SCALAR_TYPES, MAX_NDIM, WireError
else:  # the worker's: a sibling module in its private code directory
    from wire_values import _SCALAR_TYPES, MAX_NDIM, WireError

__all__: list[str] = []  # package-private: used by ``protocol`` only

# Room for an .npy header on top of the array data (a 32-dimensional shape fits easily).
_NPY_HEADER_ROOM = 4096


# The .npy 1.0 header ``write_array`` produces for a numeric array, written and read here
# directly: numpy's own reader parses every header with ``ast.literal_eval``, which was a
# tenth of a call's round trip. Anything else is still read by numpy's reader, then checked.
_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(
    rb"\{'descr': '([<>|][a-z][0-9]{1,2})', 'fortran_order': (False|True), "
    rb"'shape': \(((?:[0-9]{1,19}, )*(?:[0-9]{1,19},?)?)\), \} *\n"
)
_NPY_DIGITS = re.compile(rb"[0-9]+")


def _npy(array: np.ndarray) -> bytes:
    """``array`` as the bytes of an ``.npy`` 1.0 file (C order), as ``write_array`` writes it."""
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    key = (array.dtype.str, array.shape)
    prefix = _NPY_PREFIXES.get(key)
    if prefix is None:
        header = f"{{'descr': '{key[0]}', 'fortran_order': False, 'shape': {key[1]!r}, }}"
        padded = len(header) + 1 + (-(len(_NPY_MAGIC) + 2 + len(header) + 1) % 64)
        head = header.encode("latin-1").ljust(padded - 1) + b"\n"
        prefix = _NPY_MAGIC + len(head).to_bytes(2, "little") + head
        _remember(_NPY_PREFIXES, key, prefix)
    return prefix + array.tobytes()


@dataclass(frozen=True)
class _Layout:
    """What a validated ``.npy`` header says: how to read the data that follows it."""

    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    fortran_order: bool
    offset: int  # where the data starts
    count: int  # items
    nbytes: int


def _npy_layout(frame: bytes) -> _Layout:
    """The checked layout of an ``.npy`` frame's header (dtype, shape), before any data is read.

    Headers in ``_npy``'s own format are parsed here (and remembered: every submission is sent
    the same inputs); numpy's reader parses any other header with ``ast.literal_eval``.
    """
    start = len(_NPY_MAGIC) + 2
    if frame[: len(_NPY_MAGIC)] == _NPY_MAGIC and len(frame) >= start:
        end = start + int.from_bytes(frame[start - 2 : start], "little")
        head = frame[start:end]
        known = _NPY_LAYOUTS.get(head)
        if known is not None:
            return known
        match = _NPY_HEADER.fullmatch(head)
        if match is not None:
            try:
                dtype = np.dtype(match[1].decode("ascii"))
            except TypeError:  # a well-formed but unknown type code, e.g. '<f3'
                raise WireError(f"bad .npy dtype {match[1]!r}") from None
            shape = tuple(int(n) for n in _NPY_DIGITS.findall(match[3]))
            layout = _checked_layout(dtype, shape, match[2] == b"True", end)
            _remember(_NPY_LAYOUTS, head, layout)
            return layout
    stream = io.BytesIO(frame)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise WireError(f"unsupported .npy version {version}")
    except (ValueError, TypeError, SyntaxError, struct.error) as exc:
        raise WireError(f"bad .npy header: {exc}") from None
    return _checked_layout(dtype, shape, fortran_order, stream.tell())


def _checked_layout(dtype: Any, shape: Any, fortran_order: Any, offset: int) -> _Layout:
    """The layout of a parsed header, if its dtype may cross and its shape is sane."""
    if dtype.type not in _SCALAR_TYPES or dtype.names is not None or dtype.hasobject:
        raise WireError(f"forbidden dtype {dtype}")
    if (
        type(shape) is not tuple
        or len(shape) > MAX_NDIM
        or not all(type(n) is int and n >= 0 for n in shape)
    ):
        raise WireError(f"bad shape {shape!r}")
    count = math.prod(shape)
    return _Layout(dtype, shape, bool(fortran_order), offset, count, count * dtype.itemsize)


# The same few dtypes and shapes cross again and again (every submission gets the same inputs):
# headers are formatted and parsed once each. A layout is a pure function of the header's bytes,
# so headers sent by hostile code can only fill the table, which then starts over.
_NPY_PREFIXES: dict[tuple[str, tuple[int, ...]], bytes] = {}
_NPY_LAYOUTS: dict[bytes, _Layout] = {}
_MAX_HEADERS = 1024


def _remember(table: dict[Any, Any], key: Any, value: Any) -> None:
    if len(table) >= _MAX_HEADERS:
        table.clear()
    table[key] = value


def _read_npy(frame: bytes, max_array_bytes: int) -> np.ndarray:
    """Validate an ``.npy`` header (dtype, shape, size) and only then load the array."""
    layout = _npy_layout(frame)
    if layout.nbytes > max_array_bytes:
        raise WireError(
            f"array of {layout.nbytes} bytes exceeds the cap of {max_array_bytes} bytes"
        )
    if len(frame) - layout.offset != layout.nbytes:
        raise WireError(
            f"array data is {len(frame) - layout.offset} bytes, expected {layout.nbytes}"
        )
    flat = np.frombuffer(frame, dtype=layout.dtype, count=layout.count, offset=layout.offset)
    shape = layout.shape
    array: np.ndarray = flat.reshape(shape[::-1]).T if layout.fortran_order else flat.reshape(shape)
    owned: np.ndarray = array.copy(order="K")  # writable, owning its memory, like np.load's
    return owned
