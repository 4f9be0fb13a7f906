"""The one list of grader files copied into a sandbox, and what those files may import.

Both ways a worker comes to life (a cold session's private copy, the warm zygote's) must hold
exactly ``scratch.WORKER_FILES``; the worker side must import nothing but the standard library,
numpy, pandas and its siblings in that list, so that it runs from the copy alone.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from graders.sandbox import isolation, pool, scratch

SANDBOX = Path(scratch.__file__).resolve().parent
THIRD_PARTY = {"numpy", "pandas"}  # what the worker side may import besides the stdlib


def _snapshot(code_dir: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of ``code_dir`` with its bytes and mode."""
    return {
        path.name: (path.read_bytes(), path.stat().st_mode & 0o777)
        for path in sorted(code_dir.iterdir())
    }


def test_a_cold_session_and_the_zygote_are_given_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cold"
    root.mkdir()
    code_dir, _ = scratch._private_copy(root, (), owner=None)
    cold = _snapshot(code_dir)

    seen: list[dict[str, tuple[bytes, int]]] = []

    def capture(self: pool.Zygote, *args: object) -> object:
        seen.append(_snapshot(self._root / "code"))
        raise pool.ZygoteUnavailable("captured its files; not started")

    monkeypatch.setattr(pool.Zygote, "_start", capture)
    info = isolation.describe_interpreter(sys.executable)
    plan = isolation.Plan("process")
    with pytest.raises(pool.ZygoteUnavailable, match="captured"):
        pool.Zygote(plan, info, preload=())
    assert seen == [cold]
    assert sorted(cold) == sorted(scratch.WORKER_FILES)
    assert {mode for _, mode in cold.values()} == {0o444}


def _runtime_imports(tree: ast.AST) -> set[str]:
    """Top-level names of the modules a file imports when run as a worker-side sibling.

    The bodies of ``if TYPE_CHECKING ...:`` tests are the grader's (or the type checker's)
    view, in which the siblings are ``graders.sandbox.X``; only their ``else`` runs there.
    """
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.add(".")  # relative imports do not work from the copy
            elif node.module is not None:
                found.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@pytest.mark.parametrize("name", scratch.WORKER_FILES)
def test_a_worker_side_module_imports_only_the_stdlib_numpy_and_its_copied_siblings(
    name: str,
) -> None:
    siblings = {Path(file).stem for file in scratch.WORKER_FILES}
    imports = _runtime_imports(ast.parse((SANDBOX / name).read_text(encoding="utf-8")))
    allowed = set(sys.stdlib_module_names) | THIRD_PARTY | siblings | {"__future__"}
    assert imports - allowed == set(), f"{name} imports what is not copied into the sandbox"


def test_no_copied_module_shadows_a_module_the_worker_imports() -> None:
    # The launcher puts the copy first on sys.path: a sibling named like a standard module
    # would be imported in its place.
    stems = {Path(file).stem for file in scratch.WORKER_FILES}
    assert stems & (set(sys.stdlib_module_names) | THIRD_PARTY) == set()


def test_the_worker_side_runs_from_its_copy_alone(tmp_path: Path) -> None:
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    scratch.copy_worker_code(code_dir)
    siblings = [Path(file).stem for file in scratch.WORKER_FILES]
    probe = (
        "import json, sys\n"
        f"for name in {siblings!r}:\n"
        f"    sys.path.insert(0, {str(code_dir)!r})  # the worker and zygote remove it\n"
        "    __import__(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('graders', 'reference'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-s", "-B", "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    # The cold launcher runs with -I -S (no script directory, no site-packages on sys.path).
    launcher = [sys.executable, "-I", "-S", "-B", str(code_dir / "launcher.py"), "{}", "--"]
    done = subprocess.run(
        [*launcher, sys.executable, "-c", "print('launched')"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "launched\n"), done.stderr


def test_the_import_contract_for_the_worker_side_lists_every_copied_module() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    config = tomllib.loads((SANDBOX.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [
        contract
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["name"].startswith("The worker side")
    ]
    copied = {f"graders.sandbox.{Path(file).stem}" for file in scratch.WORKER_FILES}
    assert set(contract["source_modules"]) == copied
