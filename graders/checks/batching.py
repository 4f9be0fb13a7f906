"""The speed layer's call batching: the student calls a search will make, sent in batches.

One reason to change: how calls are discovered, grouped into round trips of the worker and
answered from their outcomes (a pure speed-up: verdicts and messages are those of single calls).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from graders.checks.keys import _exact
from graders.checks.watch import _watch
from graders.sandbox import CallOutcome, PlannedCall, WorkerSession, protocol

if TYPE_CHECKING:  # the check API imports this module; these names are for annotations only
    from graders.checks.base import Args, CheckContext

# ------------------------------------------------------------------ calls made in batches
#
# A check's property makes one call or a few per input, and a search tries dozens of inputs:
# one round trip each would make the pipe, not the checking, the cost of grading. When the
# inputs are known in advance (the regression set, and the inputs a passing search generates),
# the property is first run in *discovery* mode: each student call it needs and that has no
# outcome yet stops it with ``_Pending``; the calls found for a window of inputs go to the worker
# in one ``call_many``, and discovery repeats until every property in the window ran through.
# Then the search runs as it always did, its calls answered from those outcomes (skipping the
# inputs discovery already saw pass on exactly those outcomes). The student's functions are
# called in the order the search would call them, with the same arguments (a repeated call once),
# and each outcome is the one a single call gives. Windows start at one input and grow only while
# calls are fast; the first failure ends the batching, so a wrong function costs at most the
# rest of the window its first failing input falls in.

_MAX_BATCH = 64  # calls per round trip
_MAX_ROUNDS = 4  # discovery rounds per window: properties make at most a few calls per input
_FAST_CALL = 0.02  # seconds a call may take on average for the window to keep growing


class _Pending(BaseException):
    """Discovery reached a student call whose outcome is not known yet (never escapes)."""

    def __init__(self, key: Hashable, call: PlannedCall) -> None:
        super().__init__(call.name)
        self.key = key
        self.call = call


@dataclass
class _Prefetched:
    """Outcomes fetched in batches for one search, keyed by the exact call (``_call_key``)."""

    session: WorkerSession
    outcomes: dict[Hashable, CallOutcome] = field(default_factory=dict)
    discovering: bool = False


_PREFETCHED: ContextVar[_Prefetched | None] = ContextVar("prefetched", default=None)


def _call_key(call: PlannedCall) -> Hashable:
    """Equal exactly when the calls send the same bytes (dtype, shape, data, -0.0, NaN payload)."""
    return (call.name, call.return_args, _exact(call.args), _exact(call.kwargs))


def _copied(value: Any) -> Any:
    """A copy a property may modify without changing the stored outcome."""
    kind = type(value)
    if kind is np.ndarray:
        return value.copy()
    if kind is tuple or kind is list:
        return kind(_copied(item) for item in value)
    if value is None or kind in (bool, int, float, str):
        return value
    return copy.deepcopy(value)


def _reusable(outcome: CallOutcome) -> bool:
    """False for a value refused only because a batch gives each call a share of the cap."""
    values = [outcome.value, *(outcome.args_after or ())]
    return not any(isinstance(v, protocol.Unsupported) and v.type_name == "value" for v in values)


def _prefetch(ctx: CheckContext, prop: Callable[[Args], None], inputs: Sequence[Args]) -> int:
    """Fetch, in batches, the outcomes ``prop`` will need on ``inputs`` (see above).

    Returns
    -------
    int
        How many leading inputs ``prop`` already ran through, passing, on fetched outcomes:
        run again on the same outcomes, it would only pass again.
    """
    batch = _PREFETCHED.get()
    if batch is None:
        return 0
    position, size = 0, 1
    while position < len(inputs):
        window = inputs[position : position + size]
        calls = seconds = 0.0
        for _ in range(_MAX_ROUNDS):
            wanted: dict[Hashable, PlannedCall] = {}
            batch.discovering = True
            try:
                for args in window:
                    try:
                        prop(args)
                    except _Pending as pending:
                        wanted.setdefault(pending.key, pending.call)
                    except Exception:  # this input fails: the search stops here or before
                        return position
            finally:
                batch.discovering = False
            if not wanted:
                break  # every input of the window ran through and passed
            planned = list(wanted.values())[:_MAX_BATCH]
            outcomes = ctx.session.call_many(planned)
            for key, call, outcome in zip(wanted, planned, outcomes, strict=False):  # a prefix
                _watch(ctx.session, call, outcome)
                if _reusable(outcome):
                    batch.outcomes[key] = outcome
            if len(outcomes) < min(len(wanted), _MAX_BATCH) or any(
                o.status in ("timeout", "crashed") for o in outcomes
            ):
                return position  # the batch ended early: the search meets that outcome
            calls += len(outcomes)
            seconds += sum(o.seconds for o in outcomes)
        else:
            return position  # a property making many calls per input: leave it to the search
        position += len(window)
        fast = calls == 0 or seconds / calls < _FAST_CALL
        size = min(size * 4, _MAX_BATCH) if fast else 1
    return position


