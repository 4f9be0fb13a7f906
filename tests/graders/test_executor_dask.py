"""The Dask executor behind the executor interface: outcomes stream back once per task, a
failing or worker-killing task is that task's error, and a batch grades as on LocalPool."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

import dask  # noqa: E402

from graders.batch import grade_cohort, grade_task  # noqa: E402
from graders.executors.dask import DaskExecutor  # noqa: E402
from tests.graders import dask_work  # noqa: E402

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
    outcomes = {o.task: o for o in executor.run([3, -1, 4, -2, 5])}
    assert set(outcomes) == {3, -1, 4, -2, 5}
    assert outcomes[-1].result is None and "the grader failed on this task" in str(
        outcomes[-1].error
    )
    assert outcomes[-2].result is None and "KilledWorker" in str(outcomes[-2].error)
    assert [outcomes[t].result for t in (3, 4, 5)] == [9, 16, 25]
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

    def grades(out: Path) -> list[dict[str, str]]:
        rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
        return [{k: v for k, v in r.items() if k != "graded_at"} for r in rows]

    assert grades(tmp_path / "dask") == grades(tmp_path / "local")
