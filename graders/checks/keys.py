"""Exact identity of the plain values a check sends to the worker.

One reason to change: what counts as *the same value* (dtype, shape, bytes, -0.0, NaN payloads)
for the call batches, the expected-value memo and the mutation watch, which key or compare by it.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from graders.sandbox import protocol


def _exact(value: object) -> Hashable:
    kind = type(value)
    if kind is np.ndarray:
        array: np.ndarray = value  # type: ignore[assignment]
        return ("nd", array.dtype.str, array.shape, array.tobytes())
    if kind is float:
        return ("f", value.hex())  # type: ignore[attr-defined]
    if kind is tuple or kind is list:
        return (kind.__name__, tuple([_exact(item) for item in value]))  # type: ignore[attr-defined]
    if kind is dict:
        return ("d", tuple((_exact(k), _exact(v)) for k, v in value.items()))  # type: ignore[attr-defined]
    if value is None or kind in (bool, int, str):
        return (kind.__name__, value)
    return ("wire", protocol.encode(value))  # numpy scalars, pandas objects, FunctionSpec



_PLAIN_ARGUMENTS = (int, float, bool, str, type(None))
