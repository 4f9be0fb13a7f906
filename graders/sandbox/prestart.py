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
import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from graders.sandbox import isolation, pool

__all__ = ["code_of", "preload_for", "prestart"]

#: Larger files are not read here (the loader says what is wrong with them).
_MAX_BYTES = 16 * 2**20


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


def code_of(path: Path) -> list[str]:
    """The code of a ``.py`` file or a notebook's code cells, read quickly and leniently.

    Only for choosing what to preload, before the loader (nbformat) is even imported: IPython
    lines (``%``, ``!``) are blanked, and a file that cannot be read gives ``[]``. Never raises.
    """
    try:
        raw = path.read_bytes()[: _MAX_BYTES + 1]
        if len(raw) > _MAX_BYTES:
            return []
        text = raw.decode("utf-8", "replace")
        if path.suffix != ".ipynb":
            return [text]
        cells = json.loads(text).get("cells", [])
        sources = []
        for cell in cells if isinstance(cells, list) else []:
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else str(source)
                sources.append(
                    "\n".join(
                        "" if line.lstrip().startswith(("%", "!")) else line
                        for line in source.splitlines()
                    )
                )
        return sources
    except Exception:  # speed only: the loader reports what is wrong with the file
        return []


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
