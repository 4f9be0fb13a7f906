"""Tests for graders.batch and ``grader grade``: discovery, resume, outputs, kill and re-run."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from graders.batch import (
    GradeTask,
    discover,
    file_digest,
    grade_cohort,
    grade_task,
)
from graders.cli import main
from graders.executors import InlineExecutor, LocalPool, TaskOutcome
from graders.spec import Assignment, load_assignment
from tests.graders.grading import writes

TINY_SPEC = """\
slug = "tiny-sigmoid"
title = "Tiny sigmoid"

[limits]
cell_timeout = 5.0
call_timeout = 5.0

[[questions]]
id = "sigmoid"
title = "The sigmoid function"
name = "sigmoid"
signature = "sigmoid(x)"
checks = [
  { id = "sigmoid_matches_reference", points = 2, rtol = 1e-6, atol = 1e-12, max_examples = 5 },
  { id = "sigmoid_preserves_shape", points = 1 },
]
"""
CORRECT = (
    "import numpy as np\n\n\ndef sigmoid(x):\n"
    "    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))\n"
)
FLIPPED = (
    "import numpy as np\n\n\ndef sigmoid(x):\n"
    "    return 1 / (1 + np.exp(np.asarray(x, dtype=float)))  # sign flipped\n"
)
NOTEBOOK = json.dumps(
    {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": CORRECT,
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
)


@pytest.fixture
def tiny(tmp_path: Path) -> Assignment:
    folder = tmp_path / "tiny-sigmoid"
    folder.mkdir()
    (folder / "assignment.toml").write_text(TINY_SPEC, encoding="utf-8")
    return load_assignment(folder)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_cohort(root: Path) -> None:
    """Three students with the same wrong sigmoid, two right, two ungradable, one folder."""
    for i, name in enumerate(("al", "bo", "cy")):
        write(root / f"{name}.py", FLIPPED + f"# student {i}\n")
    write(root / "di.py", CORRECT)
    write(root / "eve" / "lab.ipynb", NOTEBOOK)  # folder per student: id "eve"
    write(root / "fay.ipynb", "")  # empty: ungradable
    (root / "gus.py").symlink_to(root / "nowhere.py")  # unreadable: ungradable, not skipped
    write(root / "di.expected.toml", "status = 'graded'\n")  # never a submission


class Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


# --------------------------------------------------------------------------- discovery


def test_discover_gives_every_submission_a_unique_deterministic_id(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for name in (
        "ada.py",
        "bo.ipynb",
        "Dup.py",
        "dup.ipynb",  # same id as Dup.py, case-insensitively
        "grades.csv.py",  # would clash with OUT/grades.csv
        "cy.ipynb.txt",  # a browser-mangled notebook: included (ungradable, with advice)
        "eve/lab.ipynb",
        "eve/.ipynb_checkpoints/lab-checkpoint.ipynb",
        "fay/report.pdf",  # a student folder with no notebook: included, never silently lost
        "gus/a.py",
        "gus/b.py",  # two scripts, no notebook: which is meant? ungradable
        "hal/lab.ipynb",
        "hal/helpers.py",  # a notebook and a script: the notebook is graded
        "notes.txt",
        ".hidden.py",
        "__MACOSX/._ada.py",
        "ada.expected.toml",
        "out/ada/results.json",
        "out/stale.py",
    ):
        write(root / name, "x = 1\n")
    found = discover(root, exclude=[root / "out"])
    ids = {f.student: f.relative for f in found.files}
    assert ids == {
        "ada": "ada.py",
        "bo": "bo.ipynb",
        "Dup.py": "Dup.py",
        "dup.ipynb": "dup.ipynb",
        "grades.csv.py": "grades.csv.py",
        "cy.ipynb": "cy.ipynb.txt",
        "eve": "eve/lab.ipynb",
        "fay": "fay/report.pdf",
        "gus": "gus/a.py",
        "hal": "hal/lab.ipynb",
    }
    assert found.ignored == ("notes.txt",)
    crowded = {f.student: (f.others, f.several) for f in found.files if f.others}
    assert crowded == {"gus": (("gus/b.py",), True), "hal": (("hal/helpers.py",), False)}
    strict = discover(root, exclude=[root / "out"], several="ungradable")
    assert {f.student: f.several for f in strict.files if f.others} == {"gus": True, "hal": True}
    assert [f.student for f in found.files] == sorted(ids)
    # The rule depends on the files only: the same cohort gives the same ids again.
    assert discover(root, exclude=[root / "out"]) == found


def test_file_digest_is_empty_for_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    assert file_digest(tmp_path / "gone.py") == ""
    path = write(tmp_path / "a.py", "x = 1\n")
    assert len(file_digest(path)) == 64


# --------------------------------------------------------------------------- a whole batch


@pytest.mark.slow
def test_grade_writes_every_output_and_regrades_only_what_changed(
    tiny: Assignment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, out = tmp_path / "cohort", tmp_path / "out"
    make_cohort(root)
    report = grade_cohort(root, tiny, out, jobs=1)
    assert (report.found, report.graded, report.skipped) == (7, 7, 0)
    assert report.internal_errors == ()

    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert set(rows) == {"al", "bo", "cy", "di", "eve", "fay", "gus"}
    assert list(rows["al"]) == [
        "student",
        "sigmoid",
        "total",
        "max_score",
        "status",
        "percentage",
        "isolation",
        "graded_at",
    ]
    assert (rows["di"]["total"], rows["eve"]["total"], rows["al"]["total"]) == ("3", "3", "1")
    assert rows["fay"]["status"] == rows["gus"]["status"] == "ungradable"

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    biggest = summary["groups"][0]
    assert (biggest["size"], biggest["check_id"]) == (3, "sigmoid_matches_reference")
    assert biggest["students"] == ["al", "bo", "cy"]
    assert biggest["message"]
    assert {u["student"] for u in summary["ungradable"]} == {"fay", "gus"}
    assert sum(b["count"] for b in summary["histogram"]) == 7
    assert "svg" in Page((out / "summary.html").read_text(encoding="utf-8")).tags

    for student in rows:
        page = Page((out / student / "feedback.html").read_text(encoding="utf-8"))
        assert "script" not in page.tags
        json.loads((out / student / "results.json").read_text(encoding="utf-8"))

    # results.json is exactly `grader check --format json`, timings aside.
    capsys.readouterr()
    main(["check", str(root / "al.py"), "--assignment", str(tiny.directory), "--format", "json"])
    checked = json.loads(capsys.readouterr().out)
    batch = json.loads((out / "al" / "results.json").read_text(encoding="utf-8"))
    for data in (checked, batch):
        data["extra_data"].pop("timings")
    assert batch == checked

    # Unchanged: nothing is graded again; a lost feedback page is re-rendered, not regraded.
    (out / "bo" / "feedback.html").unlink()
    again = grade_cohort(root, tiny, out, jobs=1)
    assert (again.graded, again.skipped) == (0, 7)
    assert (out / "bo" / "feedback.html").is_file()
    assert set(writes(out).values()) == {1}

    # A changed submission is regraded, and only it.
    write(root / "al.py", CORRECT)
    third = grade_cohort(root, tiny, out, jobs=1)
    assert (third.graded, third.skipped) == (1, 6)
    counts = writes(out)
    assert counts.pop("al") == 2 and set(counts.values()) == {1}
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert rows["al"]["total"] == "3"


class FailingOnce(InlineExecutor):
    """An executor whose grader fails on one student (as a crashed grader process would)."""

    def __init__(self, student: str) -> None:
        self.student = student

    def run(self, tasks: Iterable[GradeTask]) -> Iterator[TaskOutcome]:
        for task in tasks:
            if task.student == self.student:
                yield TaskOutcome(task, error="Traceback ...\nRuntimeError: grader bug")
            else:
                yield grade_task(task)


@pytest.mark.slow
def test_an_internal_error_is_reported_not_recorded_and_retried(
    tiny: Assignment, tmp_path: Path
) -> None:
    root, out = tmp_path / "cohort", tmp_path / "out"
    write(root / "al.py", CORRECT)
    write(root / "bo.py", FLIPPED)
    report = grade_cohort(root, tiny, out, executor=FailingOnce("bo"))
    assert [s for s, _ in report.internal_errors] == ["bo"]
    assert set(writes(out)) == {"al"}
    assert json.loads((out / "summary.json").read_text())["internal_errors"][0]["student"] == "bo"
    retry = grade_cohort(root, tiny, out, jobs=1)
    assert (retry.graded, retry.skipped, retry.internal_errors) == (1, 1, ())
    assert writes(out) == {"al": 1, "bo": 1}


def test_grade_command_rejects_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code = main(
        ["grade", str(tmp_path / "empty"), "--assignment", "mle", "--out", str(tmp_path / "o")]
    )
    assert code == 2


# --------------------------------------------------------------------------- the local pool


def echo_pid(task: GradeTask) -> TaskOutcome:
    """A stand-in for grade_task: says which process ran the task (no sandbox needed)."""
    return TaskOutcome(task, error=f"pid {os.getpid()}")


def crash_once(task: GradeTask) -> TaskOutcome:
    """Kills its grader process on the first attempt at each task (a marker file remembers)."""
    marker = Path(task.path + ".tried")
    if task.student.startswith("crash") and not marker.exists():
        marker.touch()
        os._exit(9)
    if task.student == "always":
        os._exit(9)
    return echo_pid(task)


def tasks(tmp_path: Path, *students: str) -> list[GradeTask]:
    return [GradeTask(s, str(tmp_path / s), f"{s}.py", "unused") for s in students]


@pytest.mark.slow
def test_the_pool_spreads_tasks_over_long_lived_processes(tmp_path: Path) -> None:
    with LocalPool(2, work=echo_pid) as pool:
        outcomes = list(pool.run(tasks(tmp_path, *(f"s{i}" for i in range(8)))))
    assert sorted(o.task.student for o in outcomes) == [f"s{i}" for i in range(8)]
    pids = {o.error for o in outcomes}
    assert len(pids) == 2 and f"pid {os.getpid()}" not in pids  # two reused workers, not us


@pytest.mark.slow
def test_the_pool_replaces_a_dead_process_and_retries_its_task_once(tmp_path: Path) -> None:
    with LocalPool(2, work=crash_once) as pool:
        outcomes = {o.task.student: o for o in pool.run(tasks(tmp_path, "a", "crash", "always"))}
    assert set(outcomes) == {"a", "crash", "always"}
    assert (outcomes["crash"].error or "").startswith("pid ")  # the retry succeeded
    died = outcomes["always"].error or ""
    assert "died (exit code 9), 2 times" in died and outcomes["always"].result is None


# --------------------------------------------------------------------------- kill and resume


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
def test_a_batch_killed_with_sigkill_resumes_grading_each_submission_exactly_once(
    tiny: Assignment, tmp_path: Path
) -> None:
    root, out = tmp_path / "cohort", tmp_path / "out"
    n = 12
    for i in range(n):
        write(root / f"s{i:02d}.py", (FLIPPED if i % 3 == 0 else CORRECT) + f"# {i}\n")
    command = [
        sys.executable,
        "-c",
        "import sys; from graders.cli import main; sys.exit(main())",
        "grade",
        str(root),
        "--assignment",
        str(tiny.directory),
        "--out",
        str(out),
        "--jobs",
        "2",
    ]
    grader = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    helpers: set[int] = set()
    recorded = 0
    deadline = time.monotonic() + 120
    try:
        while recorded < 3 and time.monotonic() < deadline and grader.poll() is None:
            helpers |= _descendants(grader.pid)
            if (out / "gradebook.sqlite").exists():
                db = sqlite3.connect(out / "gradebook.sqlite", timeout=30)
                try:
                    recorded = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
                except sqlite3.OperationalError:  # the schema is being created
                    recorded = 0
                finally:
                    db.close()
            time.sleep(0.05)
        helpers |= _descendants(grader.pid)
        assert grader.poll() is None, "the batch finished before it could be killed"
        os.kill(grader.pid, signal.SIGKILL)
        grader.wait(timeout=30)
    finally:
        if grader.poll() is None:
            grader.kill()
    assert 3 <= recorded < n
    # No grader process or sandbox outlives the killed batch.
    give_up = time.monotonic() + 30
    while any(_alive(p) for p in helpers) and time.monotonic() < give_up:
        time.sleep(0.1)
    assert not [p for p in helpers if _alive(p)]

    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    counts = writes(out)
    assert sorted(counts) == [f"s{i:02d}" for i in range(n)]
    assert set(counts.values()) == {1}, counts  # graded exactly once, nothing lost
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert len(rows) == n
    assert {r["total"] for r in rows if r["student"] in ("s00", "s03")} == {"1"}


def test_run_all_cells_in_a_batch_runs_every_cell_and_regrades(tmp_path: Path) -> None:
    mle = load_assignment("mle")
    root, out = tmp_path / "cohort", tmp_path / "out"
    root.mkdir()
    (root / "ada.ipynb").write_bytes((mle.directory / "examples" / "partial.ipynb").read_bytes())

    def skipped() -> list[int]:
        document = json.loads((out / "ada" / "results.json").read_text(encoding="utf-8"))
        return [cell["cell"] for cell in document["extra_data"]["skipped_cells"]]

    first = grade_cohort(root, mle, out, jobs=1, plots=False)
    assert first.graded == 1 and skipped() == [6, 9, 12, 15, 16]
    again = grade_cohort(root, replace(mle, run_all_cells=True), out, jobs=1, plots=False)
    assert again.graded == 1 and skipped() == []  # another way of running it: graded again
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert rows["ada"]["total"] == "6"


def test_a_folder_with_a_notebook_and_a_script_is_one_student_graded_on_the_notebook(
    tiny: Assignment, tmp_path: Path
) -> None:
    root, out = tmp_path / "cohort", tmp_path / "out"
    write(root / "carol" / "notebook.ipynb", NOTEBOOK)
    write(root / "carol" / "solution.py", FLIPPED)
    write(root / "dan" / "a.py", CORRECT)
    write(root / "dan" / "b.py", CORRECT)
    report = grade_cohort(root, tiny, out, jobs=1, plots=False)
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert set(rows) == {"carol", "dan"}  # one row each, as a roster expects
    assert rows["carol"]["total"] == "3" and rows["carol"]["status"] == "graded"
    carol = json.loads((out / "carol" / "results.json").read_text(encoding="utf-8"))
    assert (
        "your folder also holds 'solution.py', which was not graded: one file per student is "
        "graded, and a notebook is preferred ('notebook.ipynb')"
    ) in carol["extra_data"]["notes"]
    assert rows["dan"]["status"] == "ungradable"
    dan = json.loads((out / "dan" / "results.json").read_text(encoding="utf-8"))
    assert dan["output"].startswith(
        "several submissions in one folder ('a.py', 'b.py'): the grader grades one file per "
        "student and cannot tell which is meant."
    )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["several_files"] == [
        {"student": "carol", "graded": "carol/notebook.ipynb", "not_graded": ["carol/solution.py"]},
        {"student": "dan", "graded": None, "not_graded": ["dan/a.py", "dan/b.py"]},
    ]
    assert "2 student folder(s) held several submission files" in (out / "summary.html").read_text(
        encoding="utf-8"
    )
    assert report.graded == 2
    # Deleting the extra file is a change: carol is graded again, now without the note.
    (root / "carol" / "solution.py").unlink()
    again = grade_cohort(root, tiny, out, jobs=1, plots=False, several="ungradable")
    carol = json.loads((out / "carol" / "results.json").read_text(encoding="utf-8"))
    assert not any("also holds" in n for n in carol["extra_data"]["notes"])
    assert again.graded == 1  # dan's folder is as it was: unchanged
    assert grade_cohort(root, tiny, out, jobs=1, plots=False).graded == 0


def test_an_interrupted_run_says_what_each_next_command_does() -> None:
    from graders.commands.grade import interrupted_message

    book = Path("out/gradebook.sqlite")
    saved = "grader: interrupted; every finished submission is saved in out/gradebook.sqlite."
    assert interrupted_message(book, force=False) == (
        f"{saved} Run the same command again to grade only what is left."
    )
    assert interrupted_message(book, force=True) == (
        f"{saved} To grade only what is left, run the command again without --force; with "
        "--force it regrades every submission from the start, also those finished now."
    )
