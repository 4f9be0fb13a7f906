"""Re-validating what a worker answers: every reply is checked before the grader reads it.

One reason to change: the shape the grader accepts a reply in. ``_checked_reply`` re-checks a
decoded reply with exact types (the exact key set, the matching id, a finite duration) and
clips its message; ``_array_safe`` turns a returned value numpy cannot read as an array (a
ragged list) into ``Unsupported``. Both are total: anything off is a ``WireError`` or an
``Unsupported``, never another exception in the grader.
"""

from __future__ import annotations

from typing import Any

from graders.sandbox import protocol

__all__ = ["MAX_MESSAGE_CHARS"]

_REPLY_KEYS = frozenset({"id", "status", "value", "message", "args_after", "seconds"})
_REPLY_STATUSES = frozenset({"ok", "error", "timeout", "missing", "internal"})
#: Longest message kept from one reply (characters); the rest is cut with a visible marker.
MAX_MESSAGE_CHARS = 8_000  # under results.MAX_TEXT_CHARS: room for what a check adds
# No worker runs for a day: a longer duration is forged (inf and NaN are refused too).
_MAX_SECONDS = 86_400.0


def _checked_reply(reply: object, expected_id: int) -> dict[str, Any]:
    """Re-validate a decoded reply's shape; anything off is a protocol violation.

    Exact types first, so that no comparison below runs a value's own ``__eq__`` or hash (a
    numpy array as the id or the status would raise instead of comparing). The message is the
    only free text: it is clipped here, at the boundary (the decoder made it valid Unicode).
    """
    if type(reply) is not dict or reply.keys() != _REPLY_KEYS:
        raise protocol.WireError("a reply must be a dict with the reply fields")
    if type(reply["id"]) is not int or reply["id"] != expected_id:
        raise protocol.WireError(f"the reply does not answer request {expected_id}")
    if type(reply["status"]) is not str or reply["status"] not in _REPLY_STATUSES:
        raise protocol.WireError("bad reply status")
    if type(reply["message"]) is not str:
        raise protocol.WireError("bad reply message")
    seconds = reply["seconds"]
    if type(seconds) is not float or not 0 <= seconds <= _MAX_SECONDS:  # False for NaN
        raise protocol.WireError("bad reply seconds (a duration must be finite and >= 0)")
    if reply["args_after"] is not None and type(reply["args_after"]) is not list:
        raise protocol.WireError("bad reply args_after")
    reply["message"] = protocol.clip(reply["message"], MAX_MESSAGE_CHARS)
    return reply


class _Ragged(Exception):
    """A list whose items have different shapes."""


def _array_safe(value: object) -> object:
    """``value``, or ``Unsupported`` if it holds a ragged list numpy cannot make an array of.

    Checks read returned sequences as arrays (``np.asarray``, ``np.ndim``), and numpy raises
    for a ragged one (``[[1.0], [1.0, 2.0]]``): that honest but odd value is refused here,
    once, as plain data that is not numeric data, and the check fails with a message. The
    value itself may be a record whose items differ in kind, ``(point, path)`` or
    ``[weights, iterates]``, which the checks take apart first; each of its items must be
    readable as an array, and a list of items of one rank must agree on their shape.
    """
    try:
        # Decoded values hold exact lists, tuples and dicts only: isinstance narrows, no more.
        if isinstance(value, (list, tuple)):
            shapes = {_shape(item) for item in value}
            if type(value) is list and len(shapes) > 1 and len({len(s) for s in shapes}) == 1:
                raise _Ragged
        elif isinstance(value, dict):
            for item in value.values():
                _shape(item)
        else:
            _shape(value)
    except _Ragged:
        what = "a list" if type(value) is list else f"a {protocol.type_name(value)} holding a list"
        return protocol.Unsupported(
            protocol.type_name(value),
            f"{what} whose items have different lengths or shapes (a ragged list), which "
            "cannot be read as an array",
        )
    except RecursionError:  # not from the decoder, which bounds the depth
        return protocol.Unsupported(protocol.type_name(value), "nested too deeply")
    return value


def _shape(value: object) -> tuple[int, ...]:
    """The array shape numpy would give ``value``; ``_Ragged`` where numpy would raise."""
    shape = getattr(value, "shape", None)  # arrays, numpy scalars, pandas (decoded: trusted)
    if type(shape) is tuple:
        return shape
    if isinstance(value, (list, tuple)):
        shapes = {_shape(item) for item in value}
        if len(shapes) > 1:
            raise _Ragged
        return (len(value), *(shapes.pop() if shapes else ()))
    return ()
