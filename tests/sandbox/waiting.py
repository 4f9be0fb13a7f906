"""Waiting on processes in the sandbox tests: behaviour only, never a timed assertion."""

from __future__ import annotations

import os
import time
from collections.abc import Callable


def wait_for(predicate: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Whether ``predicate`` became true within ``seconds`` (polled every 20 ms)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def gone(pids: list[int]) -> bool:
    """Whether none of ``pids`` is a live process any more."""
    return not [pid for pid in pids if os.path.exists(f"/proc/{pid}")]
