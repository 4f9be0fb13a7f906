"""What may cross between the grader and the worker: the value types, the errors, the limits.

One reason to change: the vocabulary of the wire format (which kinds of value exist on it, how
large and deep a message may be), shared by the codec (``wire_tree``, ``wire_npy``) and both
sides' users through ``protocol``, which re-exports the public names.

Worker-side module: copied into the sandbox (``scratch.WORKER_FILES``); standard library and
numpy only, Python >= 3.9.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_ARRAYS",
    "MAX_DEPTH",
    "MAX_INT_BITS",
    "MAX_NDIM",
    "Budgeted",
    "FunctionSpec",
    "UNCHANGED",
    "Unchanged",
    "Unencodable",
    "Unsupported",
    "WireError",
    "type_name",
]

DEFAULT_MAX_BYTES = 64 * 2**20
MAX_DEPTH = 32
MAX_NDIM = 32
MAX_ARRAYS = 4096
MAX_INT_BITS = 4096  # json refuses to parse ints of more than 4300 digits on 3.11+
# Exactly these scalar types (no subclasses) may cross: bool, signed/unsigned ints, floats, complex.
_SCALAR_TYPES = frozenset(np.dtype(code).type for code in "?bhilqpBHILQPefdgFDG")
_LABEL_TYPES = (type(None), bool, int, float, str)


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
class Unchanged:
    """Stands in, in a reply's ``args_after``, for an argument the call left exactly as sent.

    The worker compares each argument with a snapshot taken before the call
    (``protocol.snapshot``); only an argument that changed, or that it cannot snapshot, travels
    back in full. The grader puts back what it sent in its place.
    """


#: The one ``Unchanged`` the worker sends (any instance decodes to it).
UNCHANGED = Unchanged()


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


def _is_label(value: object) -> bool:
    """True for a scalar that JSON carries exactly: None, bool, int, float, str."""
    return type(value) in _LABEL_TYPES and not (
        type(value) is int and value.bit_length() > MAX_INT_BITS
    )
