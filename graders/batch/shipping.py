"""Grading tasks for machines that share no filesystem with the batch: bytes instead of paths.

One reason to change: what a grader process on another machine is sent. The assignment's folder
and the instructor's data files become one archive (the *bundle*), installed once per worker
process and checked against its sha256 there; each submission travels as its bytes beside the
task. On the worker, :func:`grade_shipped` writes the bytes to a private folder of its own and
grades them with :func:`~graders.batch.task.grade_task`, exactly as a local grader process would.

Everything shipped is plain data (a frozen dataclass of strings and bytes). Unpacking refuses
anything but regular files and folders inside the bundle's own directory (tarfile's ``data``
filter), so a bundle cannot write elsewhere on a worker.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from graders.batch.task import GradeOutcome, GradeTask, grade_task
from graders.engine import supplied_lab_data
from graders.executors import Executor, TaskOutcome
from graders.results import SubmissionResult
from graders.spec import Assignment

__all__ = [
    "Bundle",
    "ShippedTask",
    "dask_executor",
    "grade_shipped",
    "install_bundle",
    "install_bundles",
    "make_bundle",
    "ship",
]

_BUNDLES_ENV = "GRADER_BUNDLES_DIR"  # where a worker unpacks bundles (default: its temp folder)


@dataclass(frozen=True)
class Bundle:
    """The assignment folder (``assignment/<its name>/``) and data files (``data/``) as one
    archive.

    Attributes
    ----------
    digest
        sha256 of ``archive``: the name it is installed under, checked on every worker.
    archive
        A gzipped tar.
    data
        Whether it holds a ``data/`` folder (the batch's ``--data``).
    """

    digest: str
    archive: bytes
    data: bool


@dataclass(frozen=True)
class ShippedTask:
    """A :class:`GradeTask` with what its paths name: the submission's bytes and the bundle's
    digest. ``task`` keeps the batch's own paths, for the outcome only."""

    task: GradeTask
    content: bytes
    bundle: str
    data: bool


def make_bundle(assignment: Assignment, data_dir: Path | None = None) -> Bundle:
    """Pack the assignment's folder (without sample solutions and mutants) and the optional
    data files of ``data_dir`` the assignment names (the public lab's)."""
    folder = assignment.directory.name
    members = [(f"assignment/{folder}/{name}", path) for name, path in assignment.grading_files()]
    supplied = supplied_lab_data(assignment, data_dir)
    members += [(f"data/{path.name}", path) for path in supplied]
    buffer = io.BytesIO()
    # mtime 0 and sorted names: the same files give the same digest on every run.
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as archive:
        for name, path in members:
            content = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(content), 0o644, 0
            archive.addfile(info, io.BytesIO(content))
    packed = buffer.getvalue()
    return Bundle(hashlib.sha256(packed).hexdigest(), packed, data_dir is not None)


def dask_executor(
    assignments: Sequence[Assignment],
    data_dir: Path | None = None,
    *,
    scheduler: str | None = None,
    workers: int = 2,
) -> Executor[GradeTask, SubmissionResult]:
    """A :class:`~graders.executors.dask.DaskExecutor` grading tasks of ``assignments`` as
    shipped ones: each assignment's bundle installed on every worker once, each submission
    sent as its bytes."""
    from graders.executors.dask import DaskExecutor

    bundles = {str(a.directory): make_bundle(a, data_dir) for a in assignments}
    return DaskExecutor(
        grade_shipped,
        scheduler=scheduler,
        workers=workers,
        prepare=functools.partial(_ship_with, bundles=bundles),
        setup=(install_bundles, tuple(bundles.values())),
    )


def install_bundles(bundles: Sequence[Bundle]) -> None:
    """:func:`install_bundle` for each (a Dask worker's set-up)."""
    for bundle in bundles:
        install_bundle(bundle)


def _ship_with(task: GradeTask, bundles: Mapping[str, Bundle]) -> ShippedTask:
    """``task`` shipped with its assignment's bundle."""
    return ship(task, bundles[task.assignment])


def ship(task: GradeTask, bundle: Bundle) -> ShippedTask:
    """``task`` as bytes: read on the batch's machine, graded wherever it is run."""
    return ShippedTask(task, Path(task.path).read_bytes(), bundle.digest, bundle.data)


def install_bundle(bundle: Bundle) -> Path:
    """Unpack ``bundle`` on this machine (once: an installed one is reused); its folder.

    Raises
    ------
    ValueError
        If the archive's bytes do not have the bundle's digest, or it holds a member that is
        not a plain file or folder inside it.
    """
    if hashlib.sha256(bundle.archive).hexdigest() != bundle.digest:
        raise ValueError(f"the bundle's bytes do not match its sha256 {bundle.digest}")
    target = _bundle_dir(bundle.digest)
    if (target / ".complete").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{bundle.digest[:16]}-", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(bundle.archive), mode="r:gz") as archive:
            _extract(archive, partial)
        (partial / ".complete").write_text(bundle.digest)
        with contextlib.suppress(OSError):  # another process of this machine got there first
            partial.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    if not (target / ".complete").is_file():
        raise ValueError(f"the bundle {bundle.digest[:16]} could not be installed in {target}")
    return target


def grade_shipped(shipped: ShippedTask) -> GradeOutcome:
    """Grade a shipped task in this process: its bytes in a private folder, the bundle's files.

    The outcome carries ``shipped.task``, the batch's own task.
    """
    root = _bundle_dir(shipped.bundle)
    if not (root / ".complete").is_file():
        return TaskOutcome(
            shipped.task, error=f"the assignment bundle {shipped.bundle[:16]} is not installed"
        )
    with tempfile.TemporaryDirectory(prefix="grader-shipped-") as scratch:
        os.chmod(scratch, 0o700)
        path = Path(scratch) / Path(shipped.task.path).name
        path.write_bytes(shipped.content)
        local = replace(
            shipped.task,
            path=str(path),
            assignment=str(root / "assignment" / Path(shipped.task.assignment).name),
            data_dir=str(root / "data") if shipped.data else None,
            hidden=(),  # nothing of the batch's machine is here to hide
        )
        outcome = grade_task(local)
    return replace(outcome, task=shipped.task)


def _extract(archive: tarfile.TarFile, into: Path) -> None:
    """Extract plain files and folders only, each inside ``into`` (tarfile's ``data`` filter;
    on a Python without it, the same rule checked here)."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(into, filter="data")
        return
    for member in archive.getmembers():  # pragma: no cover - Pythons before 3.10.12 only
        inside = (into / member.name).resolve().is_relative_to(into.resolve())
        if not (member.isfile() or member.isdir()) or not inside:
            raise ValueError(f"the bundle holds {member.name!r}, which is not a plain file")
    archive.extractall(into)  # pragma: no cover


def _bundle_dir(digest: str) -> Path:
    """Where the bundle of ``digest`` is installed on this machine."""
    base = os.environ.get(_BUNDLES_ENV) or os.path.join(tempfile.gettempdir(), "mle-grader-bundles")
    return Path(base) / digest
