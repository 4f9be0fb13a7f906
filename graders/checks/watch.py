"""Every call of the student watched for arguments changed in place.

One reason to change: how an in-place change of an argument is detected and remembered, so that
the mutation check (``graders.checks.base.assert_inputs_unchanged``) fails on any such call.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np

from graders.checks.keys import _PLAIN_ARGUMENTS, _exact
from graders.compare import Mismatch, as_plain_array
from graders.sandbox import CallOutcome, PlannedCall, protocol

# ------------------------------------------------------------------ every call watched
#
# A function that changes its arguments in place must not escape by behaving on the one call a
# mutation check makes (recognised by its input, its place in the order, or how it travels).
# Every call asks for the arguments back and is compared with what was sent (the worker compares
# first, and reports an argument left exactly as sent ``Unchanged``); the first call of
# each function that changed one is remembered for the session, and the mutation check fails on
# it as on its own call. Only the mutation check's own call must come back with its arguments:
# when that report is missing the check fails (closed), never passes.


@dataclass(frozen=True)
class _Mutation:
    """The first call of a function that changed an argument (``position`` counts from 0)."""

    position: int
    call: PlannedCall
    shown: bool  # False: a hidden-search call, whose input must not be shown


_MUTATIONS: weakref.WeakKeyDictionary[object, dict[str, _Mutation]] = weakref.WeakKeyDictionary()
_IN_HIDDEN: ContextVar[bool] = ContextVar("in_hidden_search", default=False)


def _watch(session: object, call: PlannedCall, outcome: CallOutcome) -> None:
    """Remember ``call`` if its outcome shows an argument changed (the first such per name)."""
    after = outcome.args_after
    if after is None or len(after) != len(call.args):
        return
    position = _changed(call.args, after)
    if position is None:
        return
    try:
        seen = _MUTATIONS.setdefault(session, {})
    except TypeError:  # a stand-in session that cannot be weakly referenced
        return
    seen.setdefault(call.name, _Mutation(position, call, shown=not _IN_HIDDEN.get()))


def _changed(before: Sequence[Any], after: Sequence[Any]) -> int | None:
    """The first position whose argument came back different; a value too large for its share
    of a batch's reply (``Unsupported``) is no evidence either way."""
    for position, (sent, back) in enumerate(zip(before, after, strict=False)):
        if back is sent or _over_budget(back):  # the worker found it unchanged (``Unchanged``)
            continue
        if not _identical(sent, back):
            return position
    return None


def _over_budget(value: object) -> bool:
    return isinstance(value, protocol.Unsupported) and value.type_name == "value"


def _identical(before: Any, after: Any) -> bool:
    if type(before) in _PLAIN_ARGUMENTS:  # immutable: compared bit for bit (NaN equals NaN)
        return type(after) is type(before) and _exact(before) == _exact(after)
    if isinstance(before, np.ndarray):
        if (  # the common case, cheaply: every call is compared (see ``_watch``)
            type(after) is np.ndarray
            and after.dtype == before.dtype
            and after.shape == before.shape
            and after.tobytes() == before.tobytes()
        ):
            return True
        checked = as_plain_array(after)
        if isinstance(checked, Mismatch):
            return False
        return before.shape == checked.shape and bool(
            np.array_equal(before, checked, equal_nan=True)
        )
    equals = getattr(before, "equals", None)  # pandas DataFrame / Series
    if callable(equals):
        return bool(equals(after))
    return bool(before == after)
