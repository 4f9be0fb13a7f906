"""What a submission has begun, read from its source: template stubs, whose functions it defines.

Work in progress is the normal case: a notebook checked as the student goes still holds the
template's stubs (``raise NotImplementedError``, or a body of ``pass`` in the public labs).
Such a function is *not attempted yet*: grading it would only print tracebacks for code nobody
wrote, and a ``pass`` stub would even earn the points of checks that ``None`` happens to satisfy
("does not mutate its inputs"). And a file graded against the wrong assignment misses most
graded names while defining another assignment's.

Changes when the rule for "not begun" changes. Only source is read (``ast``; nothing runs), so
it is safe on hostile code and total: source that does not parse says nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Sequence

__all__ = ["defined_functions", "stub_reason", "stub_reasons"]


def stub_reasons(cells: Iterable[str], names: Collection[str]) -> dict[str, str]:
    """Which of ``names`` are still stubs, and why: the cells are read once for all of them.

    The final top-level binding of a name across ``cells`` (in order; the later one wins, as
    when the notebook runs top to bottom) must be a ``def`` whose body is only a docstring,
    ``pass``, ``...`` or ``raise NotImplementedError``. Any other binding after it (an
    assignment, an import, a ``def`` inside ``if``) means it is not a stub.

    Examples
    --------
    >>> stub_reasons(["def f(x):\\n    raise NotImplementedError('f')", "def g():\\n    pass",
    ...               "def g():\\n    return 1"], ["f", "g"])
    {'f': 'its body still raises `NotImplementedError`'}
    """
    wanted = set(names)
    last: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | None] = {}
    for source in cells:
        tree = _parse(source)
        for statement in tree.body if tree is not None else ():
            for name in _bound(statement) & wanted:  # rebound by anything but its own def
                last[name] = None
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if statement.name in wanted:
                    last[statement.name] = statement
    found = {name: _stub(node.body) for name, node in last.items() if node is not None}
    return {name: reason for name, reason in found.items() if reason is not None}


def stub_reason(cells: Iterable[str], name: str) -> str | None:
    """Why the final definition of ``name`` is still a stub (see :func:`stub_reasons`), or None.

    Examples
    --------
    >>> stub_reason(["def f(x):\\n    pass", "def f(x):\\n    return x"], "f") is None
    True
    """
    return stub_reasons(cells, (name,)).get(name)


def defined_functions(cells: Iterable[str]) -> frozenset[str]:
    """Names of the functions the cells define at the top level (by ``def``)."""
    names: set[str] = set()
    for source in cells:
        tree = _parse(source)
        for statement in tree.body if tree is not None else ():
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(statement.name)
    return frozenset(names)


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _bound(statement: ast.stmt) -> set[str]:
    """Every name a top-level statement may bind, nested functions and classes included."""
    names: set[str] = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


def _stub(body: Sequence[ast.stmt]) -> str | None:
    """The stub's kind when ``body`` does nothing but stand in for code."""
    raises = False
    for statement in body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            if isinstance(statement.value.value, str) or statement.value.value is Ellipsis:
                continue  # a docstring, or `...`
        if isinstance(statement, ast.Raise) and _is_not_implemented(statement.exc):
            raises = True
            continue
        return None
    return (
        "its body still raises `NotImplementedError`"
        if raises
        else "its body is still a placeholder (only `pass`, `...` or a docstring)"
    )


def _is_not_implemented(exc: ast.expr | None) -> bool:
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
