"""Wire format between the grader and the sandboxed worker: plain data, never code.

A *frame* is an 8-byte big-endian length followed by that many bytes. A *message* is one JSON
frame ``{"n": <number of arrays>, "v": <tree>}`` followed by ``n`` frames, each a ``.npy`` file.
JSON carries the structure (tagged so that tuples, dicts with non-string keys, numpy scalars and
pandas objects survive the round trip); arrays travel as ``.npy`` bytes whose header is checked
before they are read. Only numeric and bool dtypes cross.

One reason to change: frames and messages (``encode``, ``decode``, ``read_message``, every
frame's cap). It is the wire format's face on both sides, which is why it re-exports the
vocabulary of ``wire_values`` and the text helpers of ``wire_text``; the tree codec is
``wire_tree``'s and the array bytes ``wire_npy``'s.

This module runs on both sides: in the grader as ``graders.sandbox.protocol`` and in the worker as
the sibling module ``protocol`` (with its ``wire_*`` siblings, see ``scratch.WORKER_FILES``). It
therefore imports only the standard library and numpy (pandas lazily, when a pandas object is
actually met) and must keep working on Python >= 3.9.

Nothing read from the worker is ever unpickled or evaluated: ``decode`` builds values only from
JSON scalars, lists and validated numeric arrays.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING or __package__:  # the grader's copy, graders.sandbox.* (and the type checker's)
    from graders.sandbox.wire_npy import _NPY_HEADER_ROOM, _npy, _read_npy
    from graders.sandbox.wire_text import (
        _SURROGATE_ESCAPE,
        _clipped_error,
        _valid_strings,
        clip,
        valid_text,
    )
    from graders.sandbox.wire_tree import _Encoder, _from_tree
    from graders.sandbox.wire_tree import _snapshot as snapshot
    from graders.sandbox.wire_values import (
        DEFAULT_MAX_BYTES,
        MAX_ARRAYS,
        UNCHANGED,
        Budgeted,
        FunctionSpec,
        Unchanged,
        Unencodable,
        Unsupported,
        WireError,
        type_name,
    )
else:  # the worker's: sibling modules in its private code directory
    from wire_npy import _NPY_HEADER_ROOM, _npy, _read_npy
    from wire_text import _SURROGATE_ESCAPE, _clipped_error, _valid_strings, clip, valid_text
    from wire_tree import _Encoder, _from_tree
    from wire_tree import _snapshot as snapshot
    from wire_values import (
        DEFAULT_MAX_BYTES,
        MAX_ARRAYS,
        UNCHANGED,
        Budgeted,
        FunctionSpec,
        Unchanged,
        Unencodable,
        Unsupported,
        WireError,
        type_name,
    )

__all__ = [
    "BATCH_ENDS",
    "DEFAULT_MAX_BYTES",
    "FRAME_HEADER",
    "UNCHANGED",
    "Budgeted",
    "FunctionSpec",
    "Unchanged",
    "Unencodable",
    "Unsupported",
    "WireError",
    "clip",
    "decode",
    "encode",
    "read_message",
    "snapshot",
    "type_name",
    "valid_text",
]

FRAME_HEADER = struct.Struct(">Q")
_T = TypeVar("_T")
#: Reply statuses after which the worker sends no more replies to a ``call_many`` request.
BATCH_ENDS = frozenset({"timeout", "internal"})


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
        FunctionSpec, Unsupported or Unchanged.
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


def _read_frame(read_exact: Callable[[int], bytes], cap: int) -> bytes:
    (length,) = FRAME_HEADER.unpack(read_exact(FRAME_HEADER.size))
    if length > cap:
        raise WireError(f"frame of {length} bytes exceeds the cap of {cap} bytes")
    return read_exact(length)
