"""The speed layer's expected-value memo: what a reference returns, computed once per process.

One reason to change: which reference results may be remembered and reused across submissions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import numpy as np

from graders.checks.keys import _PLAIN_ARGUMENTS, _exact

if TYPE_CHECKING:
    from graders.checks.base import Args


# What module-level references return on the inputs tried, kept for the life of the process:
# every submission is checked on the same inputs, so a batch computes each expected value once
# rather than once per student. Only small plain inputs and array or number results are kept,
# the arrays read-only so that no caller can change what the next submission is compared with.
_EXPECTED: dict[Hashable, Any] = {}
_MAX_EXPECTED = 20_000
_MAX_EXPECTED_INPUT_BYTES = 1 << 16


def expected_value(reference: Callable[..., Any], args: Args) -> Any:
    """``reference(*args)``, remembered per process when it is safe to reuse (see above)."""
    if not _memoisable(reference, args):
        return reference(*args)
    key = (reference, _exact(args))
    known = _EXPECTED.get(key, _EXPECTED)
    if known is not _EXPECTED:
        return known
    value = reference(*args)
    if len(_EXPECTED) < _MAX_EXPECTED and _is_frozen_result(value):
        _EXPECTED[key] = value
    return value


def _memoisable(reference: Callable[..., Any], args: Args) -> bool:
    """A module-level function (one object per process, so a safe key) of small plain data."""
    module = sys.modules.get(getattr(reference, "__module__", None) or "")
    if getattr(module, getattr(reference, "__name__", ""), None) is not reference:
        return False  # a lambda or closure: the same code may compute something else
    size = 0
    for arg in args:
        if type(arg) is np.ndarray:
            size += arg.nbytes
        elif type(arg) not in _PLAIN_ARGUMENTS:
            return False
    return size <= _MAX_EXPECTED_INPUT_BYTES


def _is_frozen_result(value: Any) -> bool:
    """True for a number, or an array (then made read-only), or a tuple of those."""
    if type(value) is tuple:
        return all(type(item) is not tuple and _is_frozen_result(item) for item in value)
    if type(value) is np.ndarray:
        if value.dtype.hasobject:
            return False
        value.flags.writeable = False
        return True
    return type(value) in (float, int, bool) or isinstance(value, np.generic)


