"""The encoded call lists of ``call_many`` requests, remembered for the next submission.

A search replays the same inputs for every submission (``graders.checks.replay``), so every
correct submission sends the same calls, in the same batches: encoding them again is a tenth of
the grader's CPU per submission. A ``call_many`` request is therefore two messages, a header
(``op`` and ``id``) and the list of calls, and the list's bytes are kept here, keyed by what
decides them exactly: each call's fields, its timeout by its bits and its arguments by the
wire's snapshot (``protocol.snapshot``: kinds, dtypes, shapes and bytes of arrays, a zero's
sign). Equal keys, equal bytes; a list holding what the snapshot does not cover (pandas
objects, ``FunctionSpec``) is encoded afresh and not kept.

One reason to change: which encoded call lists are kept and for how long (least recently used
first out, within a byte budget). Only the grader's own requests are kept, never anything the
worker sent; the memo is per process and shared by its sessions (the service's threads too).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from graders.sandbox import protocol

__all__ = ["MAX_BYTES", "SentCalls", "call_key", "sent_calls"]

#: Bytes of encoded call lists a process keeps: a correct notebook's calls are ~0.4 MB.
MAX_BYTES = 16 * 2**20
#: A call request's fields, in the order ``WorkerSession`` builds them.
_CALL_FIELDS = ("op", "name", "args", "kwargs", "timeout", "return_args")


def call_key(call: dict[str, Any]) -> Hashable | None:
    """What decides a call request's encoding, exactly; None where that is not known.

    Its fields by kind and value, the timeout by its bits and the arguments by the wire's
    snapshot. A call with other fields than these, or of other kinds, has no key: a field added
    to call requests later can never be left out of the key. (The snapshot of all six values
    would say the same, but costs 2.4 ms per submission against 1.6 ms: it tags every string.)
    """
    if tuple(call) != _CALL_FIELDS:
        return None
    op, name, timeout, return_args = (call[k] for k in ("op", "name", "timeout", "return_args"))
    if type(op) is not str or type(name) is not str or type(return_args) is not bool:
        return None
    if type(timeout) is not float:
        return None
    args, kwargs = protocol.snapshot(call["args"]), protocol.snapshot(call["kwargs"])
    if args is None or kwargs is None:
        return None
    return (op, name, timeout.hex(), return_args, args, kwargs)


class SentCalls:
    """Encoded call lists by their calls' keys, least recently used evicted past ``max_bytes``.

    Parameters
    ----------
    max_bytes
        Most bytes of encoded lists kept; a single list larger than this is never kept.
    """

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.hits = 0
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def encoded(
        self, calls: Sequence[dict[str, Any]], encode: Callable[[list[dict[str, Any]]], bytes]
    ) -> bytes:
        """``encode(list(calls))``, from the memo when these exact calls were encoded before.

        ``encode`` must depend on nothing but its argument and the message cap this memo is
        for (``sent_calls`` keeps one memo per cap). Its errors (``Unencodable``) propagate and
        nothing is kept.
        """
        key = tuple(call_key(call) for call in calls)
        if None in key:
            return encode(list(calls))
        with self._lock:
            data = self._kept.get(key)
            if data is not None:
                self._kept.move_to_end(key)
                self.hits += 1
                return data
        data = encode(list(calls))
        if len(data) <= self.max_bytes:
            with self._lock:
                if key not in self._kept:
                    self._kept[key] = data
                    self._size += len(data)
                while self._size > self.max_bytes:
                    _, dropped = self._kept.popitem(last=False)
                    self._size -= len(dropped)
        return data

    @property
    def size(self) -> int:
        """Bytes of encoded lists kept now."""
        return self._size


_SENT: dict[int, SentCalls] = {}
_SENT_LOCK = threading.Lock()


def sent_calls(max_message_bytes: int) -> SentCalls:
    """The process's memo for requests encoded under the cap ``max_message_bytes``.

    The cap decides whether a list encodes at all, so lists encoded under different caps are
    kept apart.
    """
    with _SENT_LOCK:
        memo = _SENT.get(max_message_bytes)
        if memo is None:
            memo = _SENT[max_message_bytes] = SentCalls()
        return memo
