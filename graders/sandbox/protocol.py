"""Wire format between the grader and the sandboxed worker: plain data, never code.

A *frame* is an 8-byte big-endian length followed by that many bytes. A *message* is one JSON
frame ``{"n": <number of arrays>, "v": <tree>}`` followed by ``n`` frames, each a ``.npy`` file.
JSON carries the structure (tagged so that tuples, dicts with non-string keys, numpy scalars and
pandas objects survive the round trip); arrays travel as ``.npy`` bytes whose header is checked
before ``np.load(..., allow_pickle=False)`` reads them. Only numeric and bool dtypes cross.

This module runs on both sides: in the grader as ``graders.sandbox.protocol`` and in the worker as
the sibling module ``protocol``. It therefore imports only the standard library and numpy (pandas
lazily, when a pandas object is actually met) and must keep working on Python >= 3.9.

Nothing read from the worker is ever unpickled or evaluated: ``decode`` builds values only from
JSON scalars, lists and validated numeric arrays.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "BATCH_ENDS",
    "Budgeted",
    "DEFAULT_MAX_BYTES",
    "FunctionSpec",
    "Unencodable",
    "Unsupported",
    "WireError",
    "clip",
    "decode",
    "encode",
    "read_message",
    "valid_text",
]

FRAME_HEADER = struct.Struct(">Q")
DEFAULT_MAX_BYTES = 64 * 2**20
MAX_DEPTH = 32
MAX_NDIM = 32
MAX_ARRAYS = 4096
MAX_INT_BITS = 4096  # json refuses to parse ints of more than 4300 digits on 3.11+
# Room for an .npy header on top of the array data (a 32-dimensional shape fits easily).
_NPY_HEADER_ROOM = 4096
# Exactly these scalar types (no subclasses) may cross: bool, signed/unsigned ints, floats, complex.
_SCALAR_TYPES = frozenset(np.dtype(code).type for code in "?bhilqpBHILQPefdgFDG")
_LABEL_TYPES = (type(None), bool, int, float, str)
_T = TypeVar("_T")
#: Reply statuses after which the worker sends no more replies to a ``call_many`` request.
BATCH_ENDS = frozenset({"timeout", "internal"})


class WireError(ValueError):
    """A message is malformed, oversized or holds a forbidden type; it was not decoded."""


class Unencodable(TypeError):
    """A value cannot be sent as plain data.

    Parameters
    ----------
    type_name
        The offending object's type, e.g. ``"LyingArray"`` or ``"numpy.ndarray"``.
    summary
        A human description of what was found, e.g. ``"a numpy array of dtype object"``.
    """

    def __init__(self, type_name: str, summary: str) -> None:
        super().__init__(f"{type_name}: {summary}")
        self.type_name = type_name
        self.summary = summary


@dataclass(frozen=True)
class Unsupported:
    """Stands in for a value the worker was asked to send but that is not plain data.

    Parameters
    ----------
    type_name
        The type of the object the student's code produced.
    summary
        What was wrong with it, for the student-facing failure message.
    """

    type_name: str
    summary: str


@dataclass(frozen=True)
class FunctionSpec:
    """A trusted function family the worker turns into a Python callable.

    Parameters
    ----------
    family
        A family name known to ``functions.py``, e.g. ``"quadratic_grad"``.
    params
        Its parameters (plain data: numbers, lists, arrays).
    """

    family: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Budgeted:
    """A value to encode in at most ``max_bytes``, or else to send as ``Unsupported``.

    The worker wraps what the student's code produced in it, so that checking that a value can
    be sent and encoding it are one pass, not two.
    It never crosses the wire itself: the decoder sees the value or the ``Unsupported``.
    """

    value: object
    max_bytes: int


def type_name(value: object) -> str:
    """Return a readable name for the type of ``value``: ``"LyingArray"``, ``"numpy.matrix"``."""
    cls = type(value)
    try:
        module = str(cls.__module__)
        name = str(cls.__qualname__)
    except Exception:  # a metaclass may lie about its attributes
        return "object"
    if module in ("builtins", "__main__", "submission"):
        return name
    return f"{module.split('.')[0]}.{name}"


# --------------------------------------------------------------------------------------------
# Encoding


class _Encoder:
    """Turns a value into a JSON tree plus a list of arrays, refusing anything that is not data.

    Only exact types are accepted (``type(v) is list``, never ``isinstance``): a subclass could
    override ``__iter__`` or ``__array__`` and run code, or lie about what it is.
    """

    def __init__(self, max_bytes: int) -> None:
        self.arrays: list[np.ndarray] = []
        self.max_bytes = max_bytes
        self.size = 0

    def _charge(self, nbytes: int) -> None:
        self.size += nbytes
        if self.size > self.max_bytes:
            raise self._too_large()

    def _too_large(self) -> Unencodable:
        return Unencodable("value", f"too large to send (more than {self.max_bytes} bytes)")

    def _array(self, array: np.ndarray) -> int:
        if len(self.arrays) >= MAX_ARRAYS:
            raise Unencodable("value", f"holds more than {MAX_ARRAYS} arrays")
        self._charge(array.nbytes + 128)
        self.arrays.append(array)
        return len(self.arrays) - 1

    def part(self, value: object, max_bytes: int) -> Any:
        """``value``'s tree if it is plain data within ``max_bytes`` more bytes, else the tree of
        the ``Unsupported`` saying why not."""
        arrays, size, cap = len(self.arrays), self.size, self.max_bytes
        self.max_bytes = min(cap, size + max_bytes)
        try:
            return self.tree(value)
        except Unencodable as exc:
            refused = Unsupported(exc.type_name, exc.summary)
        except RecursionError:
            refused = Unsupported(type_name(value), "nested too deeply to send")
        finally:
            self.max_bytes = cap
        del self.arrays[arrays:]  # what the refused value had queued
        self.size = size
        return self.tree(refused)

    def tree(self, value: Any, depth: int = 0) -> Any:
        # Charges bound the JSON text from above: a float needs at most 24 characters, an int
        # about bits/3.3, a string up to 6 per character when escaped (2 if printable ASCII).
        # The common kinds come first: this runs for every value of every call.
        kind = type(value)
        if kind is float:
            self.size += 26
            if self.size > self.max_bytes:
                raise self._too_large()
            return value
        if kind is str:
            self._charge(_str_charge(value))
            return value
        if value is None or kind is bool:
            self._charge(6)
            return value
        if kind is int:
            if value.bit_length() > MAX_INT_BITS:
                raise Unencodable("int", f"an integer with more than {MAX_INT_BITS} bits")
            self._charge(value.bit_length() // 3 + 3)
            return value
        self._charge(16)
        if depth >= MAX_DEPTH:
            raise Unencodable(kind.__name__, f"nested more than {MAX_DEPTH} levels deep")
        if kind is np.ndarray:
            return {"t": "nd", "i": self._array(self._checked_array(value))}
        if kind is dict:
            return self._dict(value, depth)
        if kind is list:
            return self._items(value, depth)
        if kind is tuple:
            return {"t": "tuple", "v": self._items(value, depth)}
        if kind is Budgeted:
            return self.part(value.value, value.max_bytes)
        if kind is complex:
            return {"t": "complex", "re": value.real, "im": value.imag}
        if isinstance(value, tuple) and isinstance(getattr(kind, "_fields", None), tuple):
            # A namedtuple, e.g. ``Estimate(mu, sigma)``: a correct way to return a pair. It
            # crosses as the plain tuple of its stored items (tuple.__iter__, so an overridden
            # __iter__ cannot change what is sent); the parent never sees the class.
            return {"t": "tuple", "v": self._items(tuple.__iter__(value), depth)}
        if kind in _SCALAR_TYPES:
            return {"t": "scalar", "i": self._array(np.asarray(value))}
        if kind is FunctionSpec:
            return {
                "t": "fn",
                "family": self.tree(value.family),
                "params": self.tree(value.params, depth + 1),
            }
        if kind is Unsupported:
            return {
                "t": "unsupported",
                "type": self.tree(value.type_name),
                "summary": self.tree(value.summary),
            }
        pandas = sys.modules.get("pandas")  # only a value from pandas can be a pandas object
        if pandas is not None and kind in (pandas.DataFrame, pandas.Series):
            return self._pandas(value, pandas)
        raise Unencodable(type_name(value), _describe(value))

    def _items(self, values: Iterable[object], depth: int) -> list[Any]:
        items: list[Any] = []
        append, tree, inner = items.append, self.tree, depth + 1
        for item in values:
            try:
                append(tree(item, inner))
            except Unencodable as exc:
                raise _located(exc, f"[{len(items)}]") from None
        return items

    def _dict(self, value: dict[Any, Any], depth: int) -> dict[str, Any]:
        keys: list[Any] = []
        values: list[Any] = []
        inner = depth + 1
        for key, item in value.items():
            if type(key) is str:
                self._charge(_str_charge(key))
                keys.append(key)
            elif _is_label(key) or (type(key) is tuple and all(map(_is_label, key))):
                keys.append(self.tree(key, inner))
            else:
                raise Unencodable("dict", f"a dict with a key of type {type_name(key)}")
            try:
                values.append(self.tree(item, inner))
            except Unencodable as exc:
                raise _located(exc, f"[{key!r}]") from None
        return {"t": "dict", "k": keys, "v": values}

    @staticmethod
    def _checked_array(array: np.ndarray) -> np.ndarray:
        dtype = array.dtype
        if dtype.type not in _SCALAR_TYPES or dtype.names is not None:
            raise Unencodable("numpy.ndarray", f"a numpy array of dtype {dtype}")
        if array.ndim > MAX_NDIM:
            raise Unencodable("numpy.ndarray", f"a numpy array with {array.ndim} dimensions")
        return array

    def _column(self, series: Any, what: str) -> dict[str, Any]:
        dtype = series.dtype
        if not isinstance(dtype, np.dtype) or dtype.type not in _SCALAR_TYPES:
            raise Unencodable(type_name(series), f"{what} has dtype {dtype} (not numeric)")
        return {"t": "nd", "i": self._array(series.to_numpy())}

    def _pandas(self, value: Any, pandas: Any) -> dict[str, Any]:
        if type(value) is pandas.Series:
            return {
                "t": "series",
                "data": self._column(value, "the Series"),
                "index": self._index(value.index, pandas),
                "name": self._label(value.name),
            }
        columns = [
            self._column(value.iloc[:, j], f"column {value.columns[j]!r}")
            for j in range(value.shape[1])
        ]
        return {
            "t": "df",
            "data": columns,
            "columns": self._index(value.columns, pandas),
            "index": self._index(value.index, pandas),
        }

    def _index(self, index: Any, pandas: Any) -> dict[str, Any]:
        name = self._label(index.name)
        kind = type(index)
        if kind is pandas.RangeIndex:
            return {
                "t": "range",
                "start": int(index.start),
                "stop": int(index.stop),
                "step": int(index.step),
                "name": name,
            }
        if kind is pandas.Index:
            dtype = index.dtype
            if isinstance(dtype, np.dtype) and dtype.type in _SCALAR_TYPES:
                return {
                    "t": "index",
                    "data": {"t": "nd", "i": self._array(index.to_numpy())},
                    "name": name,
                }
            labels = index.tolist()
            if all(_is_label(label) for label in labels):
                self._charge(sum(len(label) for label in labels if type(label) is str))
                return {"t": "labels", "v": labels, "name": name}
        raise Unencodable(type_name(index), f"a pandas index of type {type_name(index)}")

    @staticmethod
    def _label(label: object) -> object:
        if not _is_label(label):
            raise Unencodable(type_name(label), f"a pandas label of type {type_name(label)}")
        return label


def _is_label(value: object) -> bool:
    """True for a scalar that JSON carries exactly: None, bool, int, float, str."""
    return type(value) in _LABEL_TYPES and not (
        type(value) is int and value.bit_length() > MAX_INT_BITS
    )


def _str_charge(text: str) -> int:
    return (2 if text.isascii() and text.isprintable() else 6) * len(text) + 3


def _located(exc: Unencodable, where: str) -> Unencodable:
    """``exc`` with the position of the refused item appended (a size limit is said once)."""
    if exc.type_name == "value":
        return exc
    return Unencodable(exc.type_name, f"{exc.summary} at {where}")


def _describe(value: object) -> str:
    """Describe an object that is not plain data, for the student-facing message."""
    if isinstance(value, np.ndarray):
        return f"an ndarray subclass ({type_name(value)}), not a plain numpy array"
    if callable(value):
        return f"a callable ({type_name(value)}), not data"
    return f"an object of type {type_name(value)}, not plain data"


# Built once: ``json.dumps`` with options builds an encoder per call. Trees are built afresh by
# ``_Encoder`` and depth-limited, so they cannot be circular.
_JSON = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def _frame(payload: bytes) -> bytes:
    return FRAME_HEADER.pack(len(payload)) + payload


def encode(value: object, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Encode ``value`` as one message (a JSON frame followed by one ``.npy`` frame per array).

    Parameters
    ----------
    value
        Plain data: None, bool, int, float, complex, str, list, tuple, dict, numeric or bool
        ndarray (exact type), numpy scalar, pandas DataFrame/Series with numeric columns,
        FunctionSpec or Unsupported.
    max_bytes
        Refuse values whose encoding would exceed roughly this many bytes.

    Returns
    -------
    bytes
        The framed message.

    Raises
    ------
    Unencodable
        If ``value`` holds anything else (subclasses, object arrays, custom classes, ...).
    """
    encoder = _Encoder(max_bytes)
    tree = encoder.tree(value)
    head = _JSON.encode({"n": len(encoder.arrays), "v": tree})
    parts = [_frame(head.encode("utf-8"))]
    for array in encoder.arrays:
        parts.append(_frame(_npy(array)))
    return b"".join(parts)


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


# --------------------------------------------------------------------------------------------
# Decoding


def decode(
    data: bytes,
    *,
    max_array_bytes: int = DEFAULT_MAX_BYTES,
    max_arrays: int = MAX_ARRAYS,
    max_total_bytes: int | None = None,
) -> object:
    """Decode one message produced by ``encode``; ``data`` must hold exactly that message.

    Parameters
    ----------
    data
        The framed message.
    max_array_bytes
        Largest array (and JSON frame) accepted, in bytes.
    max_arrays
        Largest number of arrays accepted in one message.
    max_total_bytes
        Largest message accepted (all frames together); twice ``max_array_bytes`` by default.

    Raises
    ------
    WireError
        If the message is truncated, oversized, not valid JSON, or holds a forbidden dtype.
    """
    view = memoryview(data)
    position = 0

    def read_exact(n: int) -> bytes:
        nonlocal position
        if n > len(view) - position:
            raise WireError(f"truncated message: wanted {n} more bytes")
        chunk = bytes(view[position : position + n])
        position += n
        return chunk

    value = read_message(
        read_exact,
        max_array_bytes=max_array_bytes,
        max_arrays=max_arrays,
        max_total_bytes=max_total_bytes,
    )
    if position != len(view):
        raise WireError(f"{len(view) - position} unexpected bytes after the message")
    return value


def read_message(
    read_exact: Callable[[int], bytes],
    *,
    max_array_bytes: int = DEFAULT_MAX_BYTES,
    max_arrays: int = MAX_ARRAYS,
    max_total_bytes: int | None = None,
) -> object:
    """Read and decode one message, pulling bytes through ``read_exact(n)``.

    Every frame length is checked against its cap (``max_array_bytes``) and against what is
    left of the whole message's cap (``max_total_bytes``, default twice ``max_array_bytes``)
    before a single payload byte is read, so a hostile length (say 2**63) costs nothing.
    """
    budget = [2 * max_array_bytes if max_total_bytes is None else max_total_bytes]

    def read_frame(cap: int) -> bytes:
        frame = _read_frame(read_exact, min(cap, budget[0]))
        budget[0] -= len(frame)
        return frame

    document = _total(_document, read_frame(max_array_bytes), max_arrays)
    arrays = [
        _total(_read_npy, read_frame(max_array_bytes + _NPY_HEADER_ROOM), max_array_bytes)
        for _ in range(document["n"])
    ]
    return _total(_from_tree, document["v"], arrays, 0)


def _total(decoder: Callable[..., _T], *args: Any) -> _T:
    """``decoder(*args)``, with anything it raises turned into a ``WireError``.

    Decoding is total: numpy, pandas and ``complex`` have limits of their own (dimensions past
    ``2**63``, integers too large for C or float, ranges longer than ``sys.maxsize``), and a
    message that trips one is malformed like any other, never an exception in the grader. Only
    decoding is wrapped, never ``read_exact``, whose own exceptions (a deadline, a dead worker)
    must reach the caller as they are.
    """
    try:
        return decoder(*args)
    except WireError:
        raise
    except RecursionError:
        raise WireError("the message is nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 -- whatever numpy or pandas raise on hostile data
        raise WireError(f"the message could not be decoded ({_clipped_error(exc)})") from None


def _clipped_error(exc: Exception) -> str:
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001 -- a library's __str__ on hostile data
        text = type(exc).__name__
    return clip(valid_text(text), 200)


def _document(head: bytes, max_arrays: int) -> dict[str, Any]:
    """The JSON frame parsed and checked as a message, its strings made valid Unicode."""
    try:
        document = json.loads(head.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise WireError(f"the JSON frame is invalid: {_clipped_error(exc)}") from None
    if type(document) is not dict or set(document) != {"n", "v"}:
        raise WireError("the JSON frame is not a message")
    count = document["n"]
    if type(count) is not int or not 0 <= count <= max_arrays:
        raise WireError(f"bad array count {count!r}")
    if _SURROGATE_ESCAPE.search(head) is not None:
        # JSON may spell a lone surrogate (``"\\udc80"``), which no UTF-8 writer accepts: a
        # student's exception message could then stop a results.json from being written. Only
        # frames that spell one pay for the walk.
        document = _valid_strings(document)
    message: dict[str, Any] = document
    return message


# A ``\uD800``-``\uDFFF`` escape: half of a surrogate pair, or a lone surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _valid_strings(node: Any) -> Any:
    """``node`` (parsed JSON) with every string, keys included, passed through ``valid_text``."""
    kind = type(node)
    if kind is str:
        return valid_text(node)
    if kind is list:
        return [_valid_strings(item) for item in node]
    if kind is dict:
        return {valid_text(key): _valid_strings(item) for key, item in node.items()}
    return node


def valid_text(text: str) -> str:
    """``text`` with each surrogate code point replaced by U+FFFD, so that it encodes as UTF-8.

    ``json`` joins an escaped surrogate pair into the character it stands for: what is left
    is lone, and no UTF-8 writer accepts it.
    """
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, with a visible marker saying how much went."""
    if len(text) <= limit:
        return text
    kept = max(limit - 48, 0)
    return f"{text[:kept]}... [truncated: {len(text) - kept} more characters]"


def _read_frame(read_exact: Callable[[int], bytes], cap: int) -> bytes:
    (length,) = FRAME_HEADER.unpack(read_exact(FRAME_HEADER.size))
    if length > cap:
        raise WireError(f"frame of {length} bytes exceeds the cap of {cap} bytes")
    return read_exact(length)


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


def _fields(node: dict[str, Any], *names: str) -> None:
    expected = _FIELD_SETS.get(names)
    if expected is None:  # names are literals of this module: a handful of sets in all
        expected = _FIELD_SETS[names] = frozenset({"t", *names})
    if node.keys() != expected:
        raise WireError(f"node {node.get('t')!r} has fields {sorted(node)}, expected {names}")


_FIELD_SETS: dict[tuple[str, ...], frozenset[str]] = {}
_JSON_LEAVES = frozenset({type(None), bool, int, float, str})


def _from_tree(node: Any, arrays: list[np.ndarray], depth: int) -> object:
    if depth > MAX_DEPTH + 4:  # pandas nodes add a few levels of their own
        raise WireError("the message is nested too deeply")
    kind = type(node)
    if kind in _JSON_LEAVES:
        return node
    if kind is list:
        return _items_from(node, arrays, depth)
    if kind is not dict:
        raise WireError(f"unexpected JSON value of type {kind.__name__}")
    tree: dict[str, Any] = node
    tag = tree.get("t")
    if tag == "nd":
        _fields(tree, "i")
        return _array_at(tree["i"], arrays)
    if tag == "tuple":
        _fields(tree, "v")
        return tuple(_items_from(_list(tree["v"]), arrays, depth))
    if tag == "dict":
        _fields(tree, "k", "v")
        keys = _items_from(_list(tree["k"]), arrays, depth)
        values = _items_from(_list(tree["v"]), arrays, depth)
        if len(keys) != len(values):
            raise WireError("dict keys and values differ in length")
        for key in keys:
            if type(key) is not str and not _is_label(key):
                if not (type(key) is tuple and all(map(_is_label, key))):
                    raise WireError(f"bad dict key of type {type(key).__name__}")
        return dict(zip(keys, values))  # noqa: B905 -- lengths checked above; 3.9 has no strict
    if tag == "complex":
        _fields(tree, "re", "im")
        return complex(_number(tree["re"]), _number(tree["im"]))
    if tag == "scalar":
        _fields(tree, "i")
        array = _array_at(tree["i"], arrays)
        if array.ndim != 0:
            raise WireError("a numpy scalar must be a 0-d array")
        return array[()]
    if tag == "fn":
        _fields(tree, "family", "params")
        params = _from_tree(tree["params"], arrays, depth + 1)
        if type(tree["family"]) is not str or type(params) is not dict:
            raise WireError("bad FunctionSpec")
        return FunctionSpec(tree["family"], params)
    if tag == "unsupported":
        _fields(tree, "type", "summary")
        if type(tree["type"]) is not str or type(tree["summary"]) is not str:
            raise WireError("bad Unsupported")
        return Unsupported(tree["type"], tree["summary"])
    if tag in ("series", "df"):
        return _pandas_from_tree(tree, arrays, depth)
    raise WireError(f"unknown node tag {tag!r}")


def _items_from(nodes: list[Any], arrays: list[np.ndarray], depth: int) -> list[Any]:
    """Decode a JSON list's items; plain JSON scalars (most of them) are taken as they are."""
    leaves, inner = _JSON_LEAVES, depth + 1
    return [item if type(item) in leaves else _from_tree(item, arrays, inner) for item in nodes]


def _list(value: object) -> list[Any]:
    if type(value) is not list:
        raise WireError("expected a JSON list")
    return value


def _number(value: Any) -> float:
    if type(value) not in (int, float):
        raise WireError("expected a JSON number")
    return float(value)


def _array_at(index: object, arrays: list[np.ndarray]) -> np.ndarray:
    if type(index) is not int or not 0 <= index < len(arrays):
        raise WireError(f"bad array reference {index!r}")
    return arrays[index]


def _pandas_from_tree(tree: dict[str, Any], arrays: list[np.ndarray], depth: int) -> object:
    try:
        import pandas
    except ImportError:
        raise WireError("a pandas object arrived but pandas is not installed") from None
    if tree["t"] == "series":
        _fields(tree, "data", "index", "name")
        data = _from_tree(tree["data"], arrays, depth + 1)
        index = _index_from_tree(tree["index"], arrays, pandas)
        if type(data) is not np.ndarray or data.ndim != 1 or len(index) != len(data):
            raise WireError("bad Series")
        return pandas.Series(data, index=index, name=_label_from(tree["name"]), copy=False)
    _fields(tree, "data", "columns", "index")
    columns = _index_from_tree(tree["columns"], arrays, pandas)
    index = _index_from_tree(tree["index"], arrays, pandas)
    data = [_from_tree(column, arrays, depth + 1) for column in _list(tree["data"])]
    if len(data) != len(columns) or any(
        type(column) is not np.ndarray or column.shape != (len(index),) for column in data
    ):
        raise WireError("bad DataFrame")
    frame = pandas.DataFrame(dict(enumerate(data)), index=index)
    frame.columns = columns
    return frame


def _label_from(value: object) -> object:
    if not _is_label(value):
        raise WireError("bad pandas label")
    return value


def _index_from_tree(node: object, arrays: list[np.ndarray], pandas: Any) -> Any:
    if type(node) is not dict:
        raise WireError("bad pandas index")
    tag = node.get("t")
    name = _label_from(node.get("name"))
    if tag == "range":
        _fields(node, "start", "stop", "step", "name")
        bounds = (node["start"], node["stop"], node["step"])
        if not all(type(b) is int and -(2**63) <= b < 2**63 for b in bounds) or bounds[2] == 0:
            raise WireError("bad RangeIndex")  # an int64 range, as pandas sends one
        if len(range(*bounds)) > 2**31:
            raise WireError("RangeIndex too long")
        return pandas.RangeIndex(*bounds, name=name)
    if tag == "index":
        _fields(node, "data", "name")
        data = _from_tree(node["data"], arrays, 0)
        if type(data) is not np.ndarray or data.ndim != 1:
            raise WireError("bad Index")
        return pandas.Index(data, name=name, copy=False)
    if tag == "labels":
        _fields(node, "v", "name")
        labels = _list(node["v"])
        if not all(_is_label(label) for label in labels):
            raise WireError("bad index labels")
        return pandas.Index(labels, name=name)
    raise WireError(f"unknown index tag {tag!r}")
