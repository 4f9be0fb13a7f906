"""The speed layer's Hypothesis patch: no literals from the grading process in the inputs.

One reason to change: how Hypothesis's pool of "local" constants is pinned during a search (it
depends on Hypothesis internals, so a Hypothesis upgrade is what changes it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Hypothesis mixes number literals found in "local" modules (any imported module outside
# site-packages and the standard library: here graders/ and reference/ themselves, and whatever
# else the grading process happened to import) into the inputs it generates. Which of those are
# loaded differs between `grader check`, a batch and a test run, and grows when a module is
# imported lazily, so the generated inputs -- and with them verdicts and counterexamples -- would
# depend on the grading process instead of the submission. During a search the local pool is
# pinned to empty; Hypothesis's own built-in edge cases (0, -0.0, tiny and huge values, ...)
# are still drawn.
_pin_lock = threading.Lock()
_pin_depth = 0
_unpinned: list[Callable[[], Any]] = []


def _hypothesis_providers() -> Any:
    """Hypothesis's provider module if it has the local-constants feature (6.131+), else None."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a different Hypothesis layout: nothing to pin
        return None
    if not callable(getattr(providers, "_get_local_constants", None)):
        return None  # pragma: no cover - older Hypothesis without the feature
    return providers


@contextmanager
def without_local_constants() -> Iterator[None]:
    """Within the block, Hypothesis draws no literals from modules loaded in this process.

    Re-entrant and thread-safe: the first entry swaps the pool out, the last exit restores it.
    The cache of permitted constants is emptied on both edges, as Hypothesis itself does when
    its pool changes.
    """
    global _pin_depth
    providers = _hypothesis_providers()
    if providers is None:  # pragma: no cover
        yield
        return
    empty = providers.Constants()
    with _pin_lock:
        if _pin_depth == 0:
            _unpinned.append(providers._get_local_constants)
            setattr(providers, "_get_local_constants", lambda: empty)  # noqa: B010
            providers.CONSTANTS_CACHE.cache.clear()
        _pin_depth += 1
    try:
        yield
    finally:
        with _pin_lock:
            _pin_depth -= 1
            if _pin_depth == 0:
                setattr(providers, "_get_local_constants", _unpinned.pop())  # noqa: B010
                providers.CONSTANTS_CACHE.cache.clear()


