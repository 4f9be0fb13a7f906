"""The private directories a worker is given: its own code, and its scratch with the data files.

One reason to change: what is copied into a sandbox. ``WORKER_FILES`` is the one list of the
grader's files that ever reach a worker, a cold one (``_private_copy``) or the warm zygote's
(``pool.Zygote``), both through ``copy_worker_code``: the worker imports its modules from that
copy and nothing else of the grader exists where it runs. A file missing from the list fails
the worker's start; a file added to it is readable by student code, so keep it to the worker
side (``tests/sandbox/test_worker_files.py`` checks both).

Which data files are copied to the host (``_host_copies``) and whether they can be read
(``_check_readable``) are decided here too, the same way for a session's directories and for a
spare's (``spares.py``) made ahead of its submission; ``_remove_private`` deletes either.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from graders.errors import SandboxError

if TYPE_CHECKING:
    from graders.sandbox.isolation import Plan

__all__ = ["WORKER_FILES", "copy_worker_code"]

#: The grader's modules a worker runs (the worker, the zygote, the launcher and what they
#: import): standard library and numpy only, never ``graders`` itself.
WORKER_FILES = (
    "worker.py",
    "zygote.py",
    "launcher.py",
    "functions.py",
    "protocol.py",
    "wire_values.py",
    "wire_tree.py",
    "wire_npy.py",
    "wire_text.py",
    "rlimits.py",
    "syscalls.py",
    "landlock.py",
    "privileges.py",
    "proctree.py",
    "hostpaths.py",
)


#: Most data files bwrap copies into a cold worker's tmpfs (one descriptor each); with more,
#: they are copied into the host scratch directory instead.
_MAX_BOUND_FILES = 200


def copy_worker_code(code_dir: Path) -> None:
    """Fill the new, empty ``code_dir`` with ``WORKER_FILES``, all read-only (0444, dir 0555)."""
    here = Path(__file__).resolve().parent
    for name in WORKER_FILES:
        shutil.copyfile(here / name, code_dir / name)
        (code_dir / name).chmod(0o444)
    code_dir.chmod(0o555)


def _data_entries(data_files: Sequence[Path]) -> list[tuple[str, Path]]:
    """The data files as (name relative to the scratch directory, host path), in order."""
    entries: list[tuple[str, Path]] = []
    seen: set[str] = set()
    for source in data_files:
        if source.name in seen:
            raise SandboxError(f"two data files are both named {source.name!r}")
        seen.add(source.name)
        if source.is_dir():
            entries += [
                (f"{source.name}/{path.relative_to(source).as_posix()}", path)
                for path in sorted(source.rglob("*"))
                if path.is_file()
            ]
        else:
            entries.append((source.name, source))
    return entries


def _private_copy(
    root: Path, data_files: Sequence[Path], *, owner: int | None
) -> tuple[Path, Path]:
    """Create root/code (the worker's files, read-only) and root/scratch (the data files).

    With ``owner`` (a worker running as another uid) the scratch tree is handed to that uid
    and ``root`` becomes traversable, but still not listable, by it. Pass no ``data_files``
    when the worker gets them another way (bwrap copies them into a private tmpfs).
    """
    code_dir = root / "code"
    scratch = root / "scratch"
    code_dir.mkdir()
    scratch.mkdir()
    copy_worker_code(code_dir)
    for source in data_files:
        target = scratch / source.name
        if target.exists():
            raise SandboxError(f"two data files are both named {source.name!r}")
        try:
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
        except OSError as exc:
            raise SandboxError(f"data file {str(source)!r} could not be copied: {exc}") from exc
    if owner is not None:
        root.chmod(0o711)
        for path in [scratch, *scratch.rglob("*")]:
            os.chown(path, owner, owner, follow_symlinks=False)
    return code_dir, scratch


def _in_tmpfs(plan: Plan, data_files: Sequence[Path]) -> bool:
    """Whether the worker gets the data files copied into its private tmpfs (bwrap), not a
    host copy in its scratch directory."""
    return (
        plan.kind == "bwrap"
        and plan.tmpfs_size
        and len(_data_entries(data_files)) <= _MAX_BOUND_FILES
    )


def _host_copies(plan: Plan, data_files: Sequence[Path]) -> Sequence[Path]:
    """The data files ``_private_copy`` must copy into the host scratch directory."""
    return () if _in_tmpfs(plan, data_files) else data_files


def _check_readable(plan: Plan, data_files: Sequence[Path]) -> None:
    """Raise ``SandboxError`` for a data file the worker's tmpfs copy could not read (a host
    copy has been made already, or failed with its own message)."""
    for _, path in _data_entries(data_files) if _in_tmpfs(plan, data_files) else ():
        if not os.access(path, os.R_OK):
            raise SandboxError(f"data file {str(path)!r} cannot be read")


def _remove_private(root: Path) -> None:
    """Delete a private directory made by ``_private_copy``; never raises."""
    code_dir = root / "code"
    if code_dir.exists():
        code_dir.chmod(0o755)  # read-only dirs cannot be emptied by a non-root grader
    shutil.rmtree(root, ignore_errors=True)
