"""Exact identity of the plain values a check sends to the worker.

One reason to change: what counts as *the same value* for the call batches, the expected-value
memo and the mutation watch, which key or compare by it: the same on the wire (dtype, shape,
bytes, -0.0, an array's NaN payloads), as the wire's ``snapshot`` defines it for both sides.
"""

from __future__ import annotations

from collections.abc import Hashable

from graders.sandbox import protocol


def _exact(value: object) -> Hashable:
    """``value``'s identity as the wire carries it (``protocol.snapshot``, the worker's own
    snapshots of arguments); the encoded message itself for what that does not cover (pandas
    objects, ``FunctionSpec``)."""
    key = protocol.snapshot(value)
    return ("wire", protocol.encode(value)) if key is None else key


_PLAIN_ARGUMENTS = (int, float, bool, str, type(None))
