"""The sources ``grader validate`` grades: the reference inlined into one file, and its mutants.

One reason to change: how a self-contained submission is built from ``reference/`` (the AST
inliner) and how a mutant's edits are applied to it. ``grader validate --assignment SLUG
--print-reference`` shows the built source the edits apply to.

It never imports ``reference`` (the worker cannot, by design): intra-package imports are removed,
and graded functions whose reference returns a NamedTuple are wrapped to return a plain tuple,
since only plain data crosses the sandbox boundary. Everything the trusted side does here is read
files, apply string edits and compile (never run) the results; running happens in the sandbox.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from graders.errors import SpecError
from graders.spec import Assignment
from graders.validate.catalogue import CATALOGUE_NAME, Mutant

__all__ = ["apply_mutant", "build_reference_source", "reference_modules"]


@dataclass(frozen=True)
class _Module:
    name: str
    path: Path
    tree: ast.Module
    defines: frozenset[str]
    needs: tuple[str, ...]


def _reference_dir() -> Path:
    # find_spec locates the package without running it: validate reads its files, never imports.
    spec = importlib.util.find_spec("reference")
    if spec is None or not spec.submodule_search_locations:
        raise SpecError("the reference package cannot be found; is the grader installed?")
    return Path(next(iter(spec.submodule_search_locations)))


def _intra_package(node: ast.stmt) -> str | None:
    """The reference module an import statement takes names from, if it is one of ours."""
    if isinstance(node, ast.ImportFrom):
        if node.level > 0:
            return node.module or ""
        if node.module == "reference" or (node.module or "").startswith("reference."):
            return node.module.removeprefix("reference").removeprefix(".")  # type: ignore[union-attr]
    if isinstance(node, ast.Import) and any(
        a.name == "reference" or a.name.startswith("reference.") for a in node.names
    ):
        return ""
    return None


def _parse_module(path: Path) -> _Module:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    defines: set[str] = set()
    needs: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defines.add(node.name)
        elif isinstance(node, ast.Assign):
            defines.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defines.add(node.target.id)
        source = _intra_package(node)
        if source is not None:
            if not source or not isinstance(node, ast.ImportFrom):
                raise SpecError(
                    f"{path}, line {node.lineno}: only `from reference.<module> import name` "
                    "can be inlined; import names, not modules, from the reference package"
                )
            needs.append(source)
    for inner in ast.walk(tree):
        if isinstance(inner, (ast.Import, ast.ImportFrom)) and inner not in tree.body:
            if _intra_package(inner) is not None:
                raise SpecError(
                    f"{path}, line {inner.lineno}: an import of the reference package inside a "
                    "function cannot be inlined; import at the top of the module"
                )
    return _Module(path.stem, path, tree, frozenset(defines), tuple(needs))


def reference_modules(assignment: Assignment) -> tuple[str, ...]:
    """The reference modules the built source inlines, dependencies first.

    A module is needed if it defines one of the assignment's function names, or if a needed
    module imports from it.

    Raises
    ------
    SpecError
        If no reference module defines a graded function name.
    """
    folder = _reference_dir()
    modules = {
        p.stem: _parse_module(p) for p in sorted(folder.glob("*.py")) if p.stem != "__init__"
    }
    roots: list[str] = []
    for question in assignment.questions:
        if question.kind != "function":
            continue
        owners = [m.name for m in modules.values() if question.name in m.defines]
        if not owners:
            raise SpecError(
                f"{assignment.slug}: no module of {folder} defines `{question.name}`, so the "
                "reference cannot be built"
            )
        roots.extend(o for o in owners if o not in roots)
    ordered: list[str] = []

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in chain:
            raise SpecError(f"reference modules import each other: {' -> '.join(chain)}")
        if name not in modules:
            raise SpecError(f"reference module {name!r} (imported by {chain[-1]}) not found")
        for needed in modules[name].needs:
            visit(needed, (*chain, name))
        ordered.append(name)

    for root in roots:
        visit(root, ())
    return tuple(ordered)


def _module_body(module: _Module, rename: dict[str, str]) -> tuple[str, bool]:
    """The module's source without its intra-package and ``__future__`` imports.

    ``from reference.x import a as b`` becomes ``b = a``, so an alias keeps working; every read
    of a name in ``rename`` becomes a read of its new name (see :func:`_plain_tuple_names`).
    """
    lines = module.path.read_text(encoding="utf-8").splitlines()
    # ast columns count UTF-8 bytes: edit the lines as bytes, rightmost first.
    raw = [line.encode("utf-8") for line in lines]
    reads = sorted(
        (
            (node.lineno - 1, node.col_offset, node.end_col_offset or 0, rename[node.id])
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in rename
        ),
        reverse=True,
    )
    for row, start, end, new in reads:
        raw[row] = raw[row][:start] + new.encode("utf-8") + raw[row][end:]
    lines = [line.decode("utf-8") for line in raw]
    drop: dict[int, str] = {}
    future = False
    for node in module.tree.body:
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if is_future or _intra_package(node) is not None:
            assert isinstance(node, ast.ImportFrom) and node.end_lineno is not None
            future = future or is_future
            aliases = "; ".join(
                f"{a.asname} = {a.name}" for a in node.names if a.asname and a.asname != a.name
            )
            drop[node.lineno - 1] = aliases
            for number in range(node.lineno, node.end_lineno):
                drop[number] = ""
    kept = [drop[i] if i in drop else line for i, line in enumerate(lines)]
    kept = [line for i, line in enumerate(kept) if i not in drop or line]
    return "\n".join(kept).strip("\n") + "\n", future


def _plain_tuple_names(assignment: Assignment, modules: Sequence[_Module]) -> tuple[str, ...]:
    """Graded function names whose reference returns a NamedTuple of the inlined modules.

    Only plain data crosses the sandbox boundary and a tuple subclass is refused there, while
    the questions ask for a tuple (``(mu_hat, sigma_hat)``, ``(point, path)``). These functions
    are wrapped to return a plain tuple; the reference's own callers (``multi_start`` reads
    ``gradient_descent(...).point``) keep calling the original under ``_reference_<name>``.
    """
    named_tuples = {
        node.name
        for module in modules
        for node in module.tree.body
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == "NamedTuple" for b in node.bases)
    }
    returns = {
        node.name: ast.unparse(node.returns).strip("'\"")
        for module in modules
        for node in module.tree.body
        if isinstance(node, ast.FunctionDef) and node.returns is not None
    }
    return tuple(
        q.name
        for q in assignment.questions
        if q.kind == "function" and returns.get(q.name) in named_tuples
    )


def _plain_tuple_adapters(names: Sequence[str]) -> str:
    lines = [
        f"# {'-' * 20} plain tuples: the sandbox returns plain data only {'-' * 20}",
        "",
        "import functools as _functools",
        "",
        "",
        "def _plain_tuple(function, name):",
        "    @_functools.wraps(function)",
        "    def plain(*args, **kwargs):",
        "        return tuple(function(*args, **kwargs))",
        "",
        "    plain.__name__ = plain.__qualname__ = name",
        "    return plain",
        "",
        "",
    ]
    for name in names:
        lines += [f"_reference_{name} = {name}", f"{name} = _plain_tuple({name}, {name!r})"]
    return "\n".join(lines) + "\n"


def build_reference_source(assignment: Assignment, append: str = "") -> str:
    """One self-contained ``.py`` answering every question of ``assignment`` with the reference.

    The needed modules of ``reference/`` (see :func:`reference_modules`) are inlined in
    dependency order, their intra-package imports removed and third-party imports kept; graded
    functions returning a NamedTuple are wrapped to return a plain tuple; then ``append``
    (statements for value questions, from the catalogue) is added.

    Raises
    ------
    SpecError
        If two inlined modules define the same name, or the result does not compile.
    """
    folder = _reference_dir()
    names = reference_modules(assignment)
    modules = [_parse_module(folder / f"{name}.py") for name in names]
    wrapped = _plain_tuple_names(assignment, modules)
    rename = {name: f"_reference_{name}" for name in wrapped}
    parts: list[str] = []
    owner: dict[str, str] = {}
    any_future = False
    for module in modules:
        for defined in sorted(module.defines):
            if defined in owner and not (defined.startswith("__") and defined.endswith("__")):
                raise SpecError(
                    f"reference modules {owner[defined]} and {module.name} both define "
                    f"`{defined}`; inlined together, the second would replace the first"
                )
            owner[defined] = module.name
        body, future = _module_body(module, rename)
        any_future = any_future or future
        parts.append(f"# {'-' * 20} reference/{module.name}.py {'-' * 20}\n\n{body}")
    if wrapped:
        parts.append(_plain_tuple_adapters(wrapped))
    if append.strip():
        parts.append(f"# {'-' * 20} appended by {CATALOGUE_NAME} {'-' * 20}\n\n{append.strip()}\n")
    header = (
        f'"""Reference solution of {assignment.slug}, built by `grader validate`.\n\n'
        f'Inlined from reference/ ({", ".join(names)}); edit those, not this file."""\n'
    )
    if any_future:
        header += "\nfrom __future__ import annotations\n"
    source = header + "\n\n" + "\n\n".join(parts)
    _compile(source, f"the built reference of {assignment.slug}")
    return source


def apply_mutant(source: str, mutant: Mutant, *, where: str = "the built reference") -> str:
    """``source`` with the mutant's edits applied in order.

    Raises
    ------
    SpecError
        If an edit's ``old`` does not occur exactly once (at the time it is applied), or the
        mutated source does not compile; the message names the mutant and the edit.
    """
    for number, edit in enumerate(mutant.edits, start=1):
        count = source.count(edit.old)
        if count != 1:
            found = "does not occur" if count == 0 else f"occurs {count} times"
            raise SpecError(
                f"mutant {mutant.id!r}, edit {number}: old {edit.old!r} {found} in {where}; "
                "it must occur exactly once (quote more of the surrounding line to make it "
                "unique, or update the edit after a change to reference/)"
            )
        source = source.replace(edit.old, edit.new)
    _compile(source, f"mutant {mutant.id!r}")
    return source


def _compile(source: str, what: str) -> None:
    try:
        compile(source, what, "exec", dont_inherit=True)  # parse only; nothing runs here
    except SyntaxError as exc:
        raise SpecError(f"{what} is not valid Python: line {exc.lineno}: {exc.msg}") from None
