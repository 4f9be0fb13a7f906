"""Start the zygote before it is asked for, with only the imports one submission needs.

A one-off ``grader check`` is cold: its own imports (Hypothesis, the checks, nbformat) and the
zygote's (numpy, pandas, ...) each take most of a second. Started from here as soon as the
submission is loaded, the zygote imports in its own process while the grader imports in this
one; the session started later finds it running (:func:`graders.sandbox.pool.zygote_for` keys
zygotes by interpreter, layer and preload list, and is thread-safe).

What one submission needs is what its cells import: :func:`preload_for` keeps the modules of
:data:`~graders.sandbox.pool.PRELOAD` that the cells name in an ``import``. Preloading is
speed only: a module not preloaded is imported by the student's own cell, as in Jupyter.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterable, Sequence

from graders.sandbox import isolation, pool

__all__ = ["preload_for", "prestart"]


def preload_for(sources: Iterable[str], candidates: Sequence[str] | None = None) -> tuple[str, ...]:
    """The modules of ``candidates`` (default :data:`pool.PRELOAD`) that ``sources`` import.

    A candidate is kept when an ``import`` statement names it, a submodule of it, or a package
    it belongs to (``import sklearn`` keeps ``sklearn.linear_model``: the student may reach it
    as an attribute). Source that does not parse names nothing. Order follows ``candidates``.

    Examples
    --------
    >>> preload_for(["import numpy as np", "from sklearn.metrics import roc_auc_score"])
    ('numpy', 'sklearn.metrics')
    """
    candidates = pool.PRELOAD if candidates is None else candidates
    imported: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module)
    return tuple(
        module
        for module in candidates
        if any(_related(module, name) for name in imported)
    )


def _related(module: str, name: str) -> bool:
    return name == module or name.startswith(module + ".") or module.startswith(name + ".")


def prestart(
    python: str, layer: str, preload: Sequence[str], *, timeout: float = 60.0
) -> threading.Thread:
    """Start the zygote for ``python``, ``layer`` (as ``SandboxConfig.isolation``) and
    ``preload`` in a background thread, and return the thread.

    Never raises: a zygote that cannot start is remembered by the pool, and the session then
    starts its worker cold, exactly as without a prestart.
    """

    def start() -> None:
        try:
            info = isolation.describe_interpreter(python)
            plan = isolation.plan_isolation(layer, info.python)
            pool.zygote_for(plan, info, preload=tuple(preload), timeout=timeout)
        except Exception:  # the session tries again and reports what went wrong
            return

    thread = threading.Thread(target=start, name="grader-prestart", daemon=True)
    thread.start()
    return thread
