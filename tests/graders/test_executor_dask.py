"""The Dask executor behind the executor interface: outcomes stream back once per task, a
failing or worker-killing task is that task's error, and a batch grades as on LocalPool."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import os
import shutil
import signal
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

import dask  # noqa: E402

from graders.batch import GradeTask, grade_cohort, grade_task  # noqa: E402
from graders.batch.shipping import (  # noqa: E402
    Bundle,
    dask_executor,
    grade_shipped,
    install_bundle,
    make_bundle,
    ship,
)
from graders.executors.dask import DaskExecutor  # noqa: E402
from graders.spec import Assignment  # noqa: E402
from tests.graders import dask_work  # noqa: E402
from tests.graders.grading import writes  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executor() -> Iterator[DaskExecutor[int, int]]:
    # One failure is enough to give up on a task that kills its worker (the default is 3).
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        ex: DaskExecutor[int, int] = DaskExecutor(dask_work.square, workers=2)
        yield ex
        ex.close()


def test_every_task_comes_back_exactly_once(executor: DaskExecutor[int, int]) -> None:
    tasks = list(range(40))  # more than the tasks kept in flight: pulled as slots free up
    outcomes = list(executor.run(tasks))
    assert sorted(o.task for o in outcomes) == tasks
    assert {o.task: o.result for o in outcomes} == {t: t * t for t in tasks}
    assert executor.jobs == 2


def test_a_failing_or_worker_killing_task_is_its_own_error(
    executor: DaskExecutor[int, int],
) -> None:
    outcomes = {o.task: o for o in executor.run([3, -1, 4, 5])}
    assert set(outcomes) == {3, -1, 4, 5}
    assert outcomes[-1].result is None and "the grader failed on this task" in str(
        outcomes[-1].error
    )
    assert [outcomes[t].result for t in (3, 4, 5)] == [9, 16, 25]
    # Alone, so that no innocent task queued on the dying worker shares its fate (with one
    # allowed failure, Dask also gives up on those: a batch uses Dask's default of 3).
    (killer,) = executor.run([-2])
    assert killer.result is None and "KilledWorker" in str(killer.error)
    # The cluster is still usable afterwards: a new worker replaced the killed one.
    assert [o.result for o in executor.run([6])] == [36]


def test_a_batch_on_dask_grades_as_on_the_local_pool(tmp_path: Path) -> None:
    from graders.hidden import CourseSecret
    from graders.spec import load_assignment

    mle = load_assignment("mle")
    root = tmp_path / "cohort"
    root.mkdir()
    for name in ("template.ipynb", "partial.ipynb", "likelihood_not_log.ipynb"):
        (root / name).write_bytes((mle.directory / "examples" / name).read_bytes())
    secret = CourseSecret.generate()  # one course: the same hidden inputs on both
    local = grade_cohort(root, mle, tmp_path / "local", jobs=1, plots=False, secret=secret)
    on_dask = grade_cohort(
        root,
        mle,
        tmp_path / "dask",
        plots=False,
        executor=DaskExecutor(grade_task, workers=1),
        secret=secret,
    )
    assert (local.graded, on_dask.graded) == (3, 3)
    assert grades(tmp_path / "dask") == grades(tmp_path / "local")


def grades(out: Path) -> list[dict[str, str]]:
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    return [{k: v for k, v in r.items() if k != "graded_at"} for r in rows]


def copied_assignment(tmp_path: Path, slug: str) -> Assignment:
    """A copy of a bundled assignment, which a test may delete once its bundle is made."""
    from graders.spec import load_assignment

    folder = tmp_path / "assignments" / slug
    shutil.copytree(load_assignment(slug).directory, folder)
    return load_assignment(folder)


def test_shipped_tasks_grade_without_the_batchs_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process: the bundle installed, the assignment folder and the submission's path
    gone, and the shipped task grades as the local one does."""
    monkeypatch.setenv("GRADER_BUNDLES_DIR", str(tmp_path / "bundles"))
    mle = copied_assignment(tmp_path, "mle")
    sample = tmp_path / "cohort" / "partial.ipynb"
    sample.parent.mkdir()
    shutil.copy2(mle.directory / "examples" / "partial.ipynb", sample)
    task = GradeTask("partial", str(sample), "partial.ipynb", str(mle.directory), plots=False)
    local = grade_task(task)
    bundle = make_bundle(mle)
    shipped = ship(task, bundle)
    assert not grade_shipped(shipped).result  # not installed yet: the task's error
    install_bundle(bundle)
    shutil.rmtree(mle.directory)
    sample.unlink()
    outcome = grade_shipped(shipped)
    assert outcome.task == task and outcome.error is None and outcome.result is not None
    assert local.result is not None
    assert outcome.result.score == local.result.score
    assert [c.status for c in outcome.result.checks] == [c.status for c in local.result.checks]
    assert outcome.result.sha256 == local.result.sha256
    with pytest.raises(ValueError, match="do not match its sha256"):
        install_bundle(dataclasses.replace(bundle, archive=bundle.archive + b"x"))


def test_a_bundle_never_leaves_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_BUNDLES_DIR", str(tmp_path / "bundles"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"hi"))
    packed = buffer.getvalue()
    hostile = Bundle(hashlib.sha256(packed).hexdigest(), packed, False)
    with pytest.raises(Exception, match="escaped|outside|not a plain"):
        install_bundle(hostile)
    assert not (tmp_path / "escaped.txt").exists()
    assert not list((tmp_path / "bundles").glob("*/.complete"))


def test_a_batch_on_dask_ships_its_files_and_survives_a_killed_worker(tmp_path: Path) -> None:
    """``dask_executor``: the assignment deleted once bundled (only the workers' copies are
    left), a worker process killed while the batch runs, every submission recorded once, the
    grades those of the local pool."""
    from graders.hidden import CourseSecret

    mle = copied_assignment(tmp_path, "mle")
    root = tmp_path / "cohort"
    root.mkdir()
    samples = sorted((mle.directory / "examples").glob("*.ipynb"))[:3]
    samples += sorted((mle.directory / "examples").glob("*.py"))[:3]
    for index, sample in enumerate(samples * 2):  # 12 submissions
        (root / f"s{index:02d}{sample.suffix}").write_bytes(sample.read_bytes())
    secret = CourseSecret.generate()
    grade_cohort(root, mle, tmp_path / "local", jobs=1, plots=False, secret=secret)
    with dask.config.set({"distributed.scheduler.allowed-failures": 3}):
        executor = dask_executor([mle], workers=2)
    shutil.rmtree(mle.directory)  # the workers grade from their installed bundle alone
    client = executor._client  # the test's own view of the cluster
    victim = sorted(client.run(os.getpid).values())[0]
    killed, stop = threading.Event(), threading.Event()

    def kill_when_started() -> None:  # as soon as the cluster has begun grading
        while not stop.is_set():
            if any(client.processing().values()):
                os.kill(victim, signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.05)

    threading.Thread(target=kill_when_started, daemon=True).start()
    on_dask = grade_cohort(
        root, mle, tmp_path / "dask", plots=False, executor=executor, secret=secret
    )
    stop.set()
    assert killed.is_set()  # a worker did die while the batch ran
    assert on_dask.graded == 12 and on_dask.internal_errors == ()
    assert writes(tmp_path / "dask") == {f"s{i:02d}": 1 for i in range(12)}
    assert grades(tmp_path / "dask") == grades(tmp_path / "local")
