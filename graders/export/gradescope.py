"""An assignment as a Gradescope autograder zip, in Gradescope's documented layout.

One reason to change: what goes into the zip. Gradescope unpacks the zip into
``/autograder/source``, runs ``setup.sh`` there once (as root, on Ubuntu) and ``run_autograder``
for each submission, which must leave ``/autograder/results/results.json``. The zip holds::

    setup.sh             installs bubblewrap (apt) and the grader from the bundled wheel
    run_autograder       grades submission/'s one notebook or module (graders.export.autograde)
    grader/<wheel>       this grader, built from its source tree (or the wheel given)
    assignment/<slug>/   the spec, template and data files (no sample solutions, no mutants)
    data/                the public lab's optional data files, when given
    secret.txt           the course secret of the hidden searches
    autograder.json      slug, grader version, the secret's fingerprint, every file's sha256

``setup.sh`` keeps the grader, the assignment and the secret readable by root alone, apart from the
interpreter the student's code runs with.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from graders import __version__
from graders.export.autograde import MANIFEST
from graders.hidden import CourseSecret
from graders.spec import Assignment

__all__ = ["Autograder", "ExportError", "build_autograder", "source_tree"]

_STAMP = (1980, 1, 1, 0, 0, 0)  # zip entries carry no build time: the same inputs, the same zip
#: What a wheel is built from (pyproject's listed packages and the readme it names).
_TREE = ("pyproject.toml", "README.md", "graders", "reference", "assignments")


class ExportError(Exception):
    """The zip cannot be built (no source tree to build the wheel from, the build failed)."""


@dataclass(frozen=True)
class Autograder:
    """A built autograder zip.

    Attributes
    ----------
    path
        The zip.
    size
        Its size in bytes.
    files
        The entries, in the zip's order.
    wheel
        The bundled wheel's file name.
    """

    path: Path
    size: int
    files: tuple[str, ...]
    wheel: str


def build_autograder(
    assignment: Assignment,
    out: Path,
    *,
    secret: CourseSecret,
    wheel: Path | None = None,
    data_dir: Path | None = None,
) -> Autograder:
    """Write the Gradescope autograder zip of ``assignment`` to ``out``.

    Parameters
    ----------
    assignment
        The assignment, loaded from its folder.
    out
        The zip to write (replaced atomically).
    secret
        The course secret the hidden searches are seeded with (kept in the zip).
    wheel
        A built wheel of this grader; default: build one from the source tree.
    data_dir
        A folder holding the assignment's optional data files (the public lab's), if any.

    Raises
    ------
    ExportError
        When no wheel is given and none can be built.
    """
    with tempfile.TemporaryDirectory(prefix="grader-export-") as scratch:
        built = wheel if wheel is not None else _build_wheel(Path(scratch))
        entries: list[tuple[str, bytes, int]] = [
            ("setup.sh", _script("setup.sh"), 0o755),
            ("run_autograder", _script("run_autograder"), 0o755),
            (f"grader/{built.name}", built.read_bytes(), 0o644),
        ]
        entries += [
            (f"assignment/{assignment.slug}/{name}", path.read_bytes(), 0o644)
            for name, path in assignment.grading_files()
        ]
        if data_dir is not None:
            entries += [
                (f"data/{name}", (data_dir / name).read_bytes(), 0o644)
                for name in assignment.optional_data
                if (data_dir / name).is_file()
            ]
        entries.append(("secret.txt", secret.to_text().encode(), 0o600))
        manifest = {
            "assignment": assignment.slug,
            "title": assignment.title,
            "grader_version": __version__,
            "secret_fingerprint": secret.fingerprint,
            "wheel": built.name,
            "files": {name: hashlib.sha256(data).hexdigest() for name, data, _ in entries},
        }
        entries.append((MANIFEST, json.dumps(manifest, indent=1).encode(), 0o644))
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data, mode in entries:
                info = zipfile.ZipInfo(name, date_time=_STAMP)
                info.external_attr = (0o100000 | mode) << 16  # a regular file with its mode
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
        partial.replace(out)
    return Autograder(out, out.stat().st_size, tuple(n for n, _, _ in entries), built.name)


def source_tree() -> Path | None:
    """The grader's source tree (an editable install or a checkout), if this is one."""
    root = Path(__file__).resolve().parents[2]
    project = root / "pyproject.toml"
    if project.is_file() and 'name = "mle-grader"' in project.read_text(encoding="utf-8"):
        return root
    return None


def _build_wheel(scratch: Path) -> Path:
    """A wheel of this grader, built by pip from a copy of its source tree.

    The copy keeps pip's build folders out of the checkout and leaves what is not the package
    (the virtual environment, caches, outputs) out of the wheel.
    """
    root = source_tree()
    if root is None:
        raise ExportError(
            "this grader was not installed from its source tree, so it cannot build its own "
            "wheel: pass --wheel with a built wheel of mle-grader"
        )
    tree = scratch / "tree"
    for name in _TREE:
        source = root / name
        if source.is_dir():
            shutil.copytree(
                source, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        elif source.is_file():
            tree.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(scratch)]
    command.append(str(tree))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = sorted(scratch.glob("mle_grader-*.whl"))
    if done.returncode != 0 or not wheels:
        raise ExportError(f"building the grader's wheel failed: {done.stderr.strip()[-2000:]}")
    return wheels[0]


def _script(name: str) -> bytes:
    """One of the zip's shell scripts, shipped beside this module."""
    return importlib.resources.files("graders.export").joinpath(name).read_bytes()
