"""Benchmark ``grader grade`` on a deterministic synthetic cohort.

    python benchmarks/cohort.py                     # 200 notebooks, --jobs 2, median of 3 runs
    python benchmarks/cohort.py --n 50 --runs 1     # quicker
    python benchmarks/cohort.py --sizes 50,100,200  # is the grader's memory flat in the size?
    python benchmarks/cohort.py --profile           # cProfile of grading one submission
    python benchmarks/cohort.py --baseline df0e9bd  # interleaved with a git revision: ratios
    python benchmarks/cohort.py --baseline df0e9bd --side-by-side  # ... run at the same time
    python benchmarks/cohort.py --max-examples 10   # every search capped: what it would save
    python benchmarks/cohort.py --all-cells         # interleaved with --run-all-cells: slicing
    python benchmarks/cohort.py --executor dask --workers 1,2   # LocalPool against Dask

The cohort is built from the logistic-regression-from-scratch samples (``examples/``): correct
and alternative-correct solutions, buggy ones, slow-training notebooks (a training cell of a few
seconds; one in fifty runs into the 10 s cell budget), malformed files, and a few hostile ones
(an endless loop, a memory hog, an output flood, code that attacks the grader). Every file differs
(a comment or notebook metadata carries the student number), so each is graded on its own.

Each run grades the whole cohort from scratch with the real command line, in a subprocess, and
reports: wall time; submissions per second; the median per-submission grader overhead (wall time
minus the time inside the student's own cells and functions, from the timings in the
gradebook); and the peak resident memory of the grader's processes (the main process and its
grader pool, summed, sampled from /proc; the sandboxed student processes are reported apart).
It also reports the machine's busy CPU time during the run (``/proc/stat``; on an otherwise idle
machine, the grader's and every process it started) and the CPU time the hypervisor stole: on a
shared virtual machine the wall time of the same code drifts by ±15% from run to run, and a run
that met much steal is suspect.

With ``--baseline REF`` the same cohort is also graded by the grader as it was at git revision
REF (checked out in a temporary worktree, run with this interpreter and its installed
dependencies), alternating baseline and current run by run (ABBA), and the medians of the
paired ratios current / baseline are printed: on a shared or virtual machine whose speed drifts
from minute to minute, only runs made side by side compare. With ``--side-by-side`` each pair
runs at the same time, each with half the jobs: on a machine whose speed changes within a run,
the only pairing that is sure to meet one speed.

With ``--max-examples N`` the cohort is graded against a temporary copy of the assignment whose
every check declares ``max_examples = N`` (or less): the speed that weaker Hypothesis searches
would buy, and the check verdicts they give on the same cohort (counted by status, to set beside
a run without the cap). It measures a trade-off; it does not recommend one.

With ``--executor dask --workers 1,2`` the cohort is graded, for each number of worker
processes W, by ``grader grade --jobs W`` on LocalPool and by ``grader grade --executor dask
--jobs W`` (a LocalCluster of W single-threaded worker processes, the files shipped as bytes),
alternating run by run (ABBA); it prints both wall times and throughputs, Dask's overhead per
submission (the wall-time difference times W over the submissions: what each submission costs a
worker slot beyond LocalPool, the cluster's start amortised in it), and the gradebook writer's
cost per submission, the one serial part, which bounds the throughput however many workers run.

Every run prints how many cells cell slicing left out (``extra_data.skipped_cells`` of each
result). With ``--all-cells`` each run is paired with one of ``grader grade --run-all-cells``
(ABBA order): the student time (cells and calls) and wall time slicing saved, measured side by
side, and whether the two gave the same grades.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import os
import pstats
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from machine import machine_cpu  # a sibling: these scripts run from benchmarks/

if TYPE_CHECKING:
    from graders.results import SubmissionResult
    from graders.spec import Assignment

ROOT = Path(__file__).resolve().parent.parent
SLUG = "logistic-regression-from-scratch"
EXAMPLES = ROOT / "assignments" / SLUG / "examples"

# (category, share of the cohort, variants); a variant is an example file name or a generator.
CORRECT = ("solution.ipynb",)
ALTERNATIVE = ("alt_expit_history.py", "loops.py", "magics_and_missing_file.ipynb")
BUGGY = (
    "descent_sign.py",
    "mean_gradient.py",
    "missing_transpose.py",
    "naive_loglik.py",
    "overflow_sigmoid.py",
    "inplace_update.py",
    "eq_none.py",
    "column_weights.ipynb",
    "partial.ipynb",
    "template.ipynb",
)
SHARES = {
    "correct": 0.30,
    "alternative": 0.15,
    "buggy": 0.40,
    "slow": 0.07,
    "malformed": 0.05,
    "hostile": 0.03,
}


# --------------------------------------------------------------------------- the cohort


def _notebook(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def _tagged_notebook(nb: dict[str, object], student: int) -> bytes:
    """The notebook with the student number in its metadata: a new file, the same behaviour."""
    copy = json.loads(json.dumps(nb))
    copy.setdefault("metadata", {})["student"] = student
    return json.dumps(copy, indent=1).encode()


def _example(name: str, student: int) -> tuple[str, bytes]:
    if name.endswith(".ipynb"):
        return ".ipynb", _tagged_notebook(_notebook(name), student)
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    return ".py", f"{text}\n# student {student}\n".encode()


def _slow(student: int) -> tuple[str, bytes]:
    """long_training.ipynb with a shorter training cell (a few s); 1 in 50 keeps 2 x 50,000."""
    nb = _notebook("long_training.ipynb")
    if student % 50 != 0:
        for cell in nb["cells"]:
            source = "".join(cell["source"])
            if "50_000" in source:
                cell["source"] = source.replace("50_000", "500")
    return ".ipynb", _tagged_notebook(nb, student)


def _solution_source() -> str:
    cells = _notebook("solution.ipynb")["cells"]
    return "\n\n".join(
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "code" and "def " in "".join(c["source"])
    )


def _malformed(student: int) -> tuple[str, bytes]:
    kind = student % 5
    if kind == 0:
        return ".ipynb", b""  # empty
    if kind == 1:
        raw = (EXAMPLES / "solution.ipynb").read_bytes()
        return ".ipynb", raw[: len(raw) // 2]  # truncated upload
    if kind == 2:
        return ".ipynb", random.Random(student).randbytes(4096)  # binary garbage
    if kind == 3:
        return ".ipynb", json.dumps({"student": student, "answer": 42}).encode()  # not a notebook
    return ".py", f"# student {student}\ndef sigmoid(x)\n    return 1 / (1 + np.exp(-x))\n".encode()


_HOSTILE = (
    # An endless loop after correct functions: the cell is stopped at its budget.
    "{solution}\n\nwhile True:\n    pass\n",
    # A memory hog: the worker's address-space limit stops it.
    "{solution}\n\nhog = bytearray(16 * 2**30)\n",
    # An output flood: kept up to the output cap.
    "{solution}\n\nfor _ in range(200_000):\n    print('spam ' * 40)\n",
    # Attacks on the grader: patch numpy's comparison, read the references, kill the parent.
    "{solution}\n\nimport os, numpy\nnumpy.allclose = lambda *a, **k: True\n"
    "for p in ('/work', '/etc/shadow', '../reference/logistic.py'):\n"
    "    try:\n        open(p).read()\n    except Exception:\n        pass\n"
    "try:\n    os.kill(os.getppid(), 9)\nexcept Exception:\n    pass\n",
)


def _hostile(student: int) -> tuple[str, bytes]:
    template = _HOSTILE[student % len(_HOSTILE)]
    source = "import numpy as np\n\n" + template.format(solution=_solution_source())
    return ".py", f"# student {student}\n{source}".encode()


def build_cohort(n: int, dest: Path, seed: int = 2024) -> dict[str, int]:
    """Write ``n`` submissions into ``dest``; return how many of each category."""
    counts = {k: int(round(share * n)) for k, share in SHARES.items()}
    counts["correct"] += n - sum(counts.values())
    plan = [category for category, count in counts.items() for _ in range(count)]
    random.Random(seed).shuffle(plan)
    dest.mkdir(parents=True, exist_ok=True)
    makers: dict[str, Callable[[int], tuple[str, bytes]]] = {
        "correct": lambda i: _example(CORRECT[i % len(CORRECT)], i),
        "alternative": lambda i: _example(ALTERNATIVE[i % len(ALTERNATIVE)], i),
        "buggy": lambda i: _example(BUGGY[i % len(BUGGY)], i),
        "slow": _slow,
        "malformed": _malformed,
        "hostile": _hostile,
    }
    for student, category in enumerate(plan):
        suffix, data = makers[category](student)
        (dest / f"student{student:04d}{suffix}").write_bytes(data)
    return counts


# --------------------------------------------------------------------------- measuring


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def _is_sandbox(cmdline: str) -> bool:
    return "bwrap" in cmdline.split(" ", 1)[0] or "worker.py" in cmdline or "zygote.py" in cmdline


class MemorySampler:
    """Samples, every 0.1 s, the summed RSS of the grader's processes and of the sandboxes."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.grader_peak_kb = 0
        self.largest_grader_kb = 0
        self.sandbox_peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            grader = [self.pid]
            sandbox: list[int] = []
            for pid in _descendants(self.pid):
                (sandbox if _is_sandbox(_cmdline(pid)) else grader).append(pid)
            sizes = [_rss_kb(p) for p in grader]
            self.grader_peak_kb = max(self.grader_peak_kb, sum(sizes))
            self.largest_grader_kb = max(self.largest_grader_kb, max(sizes, default=0))
            self.sandbox_peak_kb = max(self.sandbox_peak_kb, sum(_rss_kb(p) for p in sandbox))
            self._stop.wait(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class Run:
    n: int
    wall: float
    per_second: float
    median_overhead: float
    median_total: float
    student_share: float
    grader_peak_mb: float
    largest_grader_mb: float
    sandbox_peak_mb: float
    breakdown: dict[str, float]
    statuses: dict[str, int]
    verdicts: dict[str, int]  # check rows by status (passed, failed, error, ...)
    cells_skipped: int = 0  # cells slicing left out, over the cohort
    sliced: int = 0  # submissions with at least one cell left out
    student_seconds: float = 0.0  # in the students' cells and functions, over the cohort
    grades: tuple[tuple[str, float], ...] = ()  # (student, score), to compare two runs
    cpu_seconds: float | None = None  # the machine's busy CPU time during the run (Linux)
    steal_seconds: float | None = None  # time the hypervisor gave away, machine-wide (Linux)


def _grader_command() -> list[str]:
    script = Path(sys.executable).parent / "grader"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from graders.cli import main; sys.exit(main())"]


def grade_once(
    cohort: Path,
    out: Path,
    jobs: int,
    source: Path | None = None,
    assignment: str = SLUG,
    extra: tuple[str, ...] = (),
) -> Run:
    """Grade ``cohort`` into ``out`` with ``grader grade`` in a subprocess and measure it.

    ``source``: a checkout whose ``graders`` and ``reference`` packages to run instead of the
    installed ones (a baseline revision). ``assignment``: a slug or an assignment directory.
    """
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    command = [
        *_grader_command(),
        "grade",
        str(cohort),
        "--assignment",
        assignment,
        "--out",
        str(out),
        "--jobs",
        str(jobs),
        *extra,
    ]
    log = out.with_suffix(".log")
    before = machine_cpu()
    started = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
        sampler = MemorySampler(process.pid)
        code = process.wait()
        sampler.stop()
    wall = time.perf_counter() - started
    after = machine_cpu()
    cpu, steal = (
        (None, None)
        if before is None or after is None
        else (
            after[0] - before[0],
            after[1] - before[1],
        )
    )
    if code not in (0, 3):
        raise SystemExit(f"grader grade exited {code}; see {log}")
    db = sqlite3.connect(out / "gradebook.sqlite")
    rows = db.execute(
        "SELECT status, seconds, cells_seconds, student_seconds, overhead_seconds, timings_json, "
        "result_json, student, score FROM submissions ORDER BY student"
    ).fetchall()
    verdicts = dict(db.execute("SELECT status, COUNT(*) FROM checks GROUP BY status").fetchall())
    db.close()
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row[0]] = statuses.get(row[0], 0) + 1
    graded = [r for r in rows if r[0] == "graded"]
    timings = [json.loads(r[5]) for r in graded]

    def median_of(key: Callable[[dict[str, float]], float]) -> float:
        return statistics.median(key(t) for t in timings) if timings else 0.0

    total = sum(r[1] for r in rows)
    student = sum(r[2] + r[3] for r in rows)
    skipped = [len(json.loads(r[6])["extra_data"].get("skipped_cells", [])) for r in rows]
    return Run(
        n=len(rows),
        wall=wall,
        per_second=len(rows) / wall,
        median_overhead=statistics.median(r[4] for r in graded) if graded else 0.0,
        median_total=statistics.median(r[1] for r in graded) if graded else 0.0,
        student_share=student / total if total else 0.0,
        grader_peak_mb=sampler.grader_peak_kb / 1024,
        largest_grader_mb=sampler.largest_grader_kb / 1024,
        sandbox_peak_mb=sampler.sandbox_peak_kb / 1024,
        breakdown={
            "worker start": median_of(lambda t: t.get("startup", 0.0)),
            "cells (student)": median_of(lambda t: t.get("cells", 0.0)),
            "checks": median_of(lambda t: t.get("checks", 0.0)),
            "  of which in student functions": median_of(lambda t: t.get("student_calls", 0.0)),
            "plots": median_of(lambda t: t.get("plots", 0.0)),
        },
        statuses=statuses,
        verdicts=verdicts,
        cells_skipped=sum(skipped),
        sliced=sum(1 for n in skipped if n),
        student_seconds=student,
        grades=tuple((r[7], r[8]) for r in rows),
        cpu_seconds=cpu,
        steal_seconds=steal,
    )


def _report(runs: list[Run], jobs: int) -> None:
    print(
        f"\n{'run':>4} {'wall s':>8} {'subm/s':>7} {'overhead ms':>12} {'grader MB':>10} "
        f"{'sandbox MB':>11} {'CPU s':>7} {'steal s':>8}"
    )
    for i, r in enumerate(runs, 1):
        cpu = "n/a" if r.cpu_seconds is None else f"{r.cpu_seconds:.1f}"
        steal = "n/a" if r.steal_seconds is None else f"{r.steal_seconds:.1f}"
        print(
            f"{i:>4} {r.wall:8.1f} {r.per_second:7.2f} {r.median_overhead * 1000:12.0f} "
            f"{r.grader_peak_mb:10.0f} {r.sandbox_peak_mb:11.0f} {cpu:>7} {steal:>8}"
        )
    mid = sorted(runs, key=lambda r: r.wall)[len(runs) // 2]
    print(
        f"\nmedian of {len(runs)} run(s), {mid.n} submissions, --jobs {jobs}, "
        f"{os.cpu_count()} CPUs:"
    )
    print(f"  total wall time                    {statistics.median(r.wall for r in runs):8.1f} s")
    print(
        f"  submissions per second             {statistics.median(r.per_second for r in runs):8.2f}"
    )
    overhead = statistics.median(r.median_overhead for r in runs) * 1000
    print(f"  median grader overhead/submission  {overhead:8.0f} ms")
    cpus = [r.cpu_seconds for r in runs if r.cpu_seconds is not None]
    if cpus:
        busy = statistics.median(cpus)
        per = busy / mid.n * 1000
        print(f"  machine CPU busy during the run    {busy:8.1f} s ({per:.0f} ms/subm)")
    print(f"  median wall time/submission        {mid.median_total * 1000:8.0f} ms")
    print(f"  share of time in student code      {mid.student_share:8.0%}")
    grader_mb = statistics.median(r.grader_peak_mb for r in runs)
    largest_mb = statistics.median(r.largest_grader_mb for r in runs)
    sandbox_mb = statistics.median(r.sandbox_peak_mb for r in runs)
    print(
        f"  peak RSS, grader processes summed  {grader_mb:8.0f} MB"
        f" (largest single process {largest_mb:.0f} MB)"
    )
    print(f"  peak RSS, sandboxed student code   {sandbox_mb:8.0f} MB")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  getrusage(CHILDREN).ru_maxrss      {children:8.0f} MB (largest reaped process)")
    print(f"  statuses                           {mid.statuses}")
    print(f"  check verdicts                     {dict(sorted(mid.verdicts.items()))}")
    print(
        f"  cells left out by slicing          {mid.cells_skipped:8d} "
        f"(in {mid.sliced} of {mid.n} submissions)"
    )
    print("  median per-submission phases (graded submissions, ms):")
    for name, seconds in mid.breakdown.items():
        print(f"    {name:<34} {seconds * 1000:6.0f}")


def _baseline_checkout(revision: str, work: Path) -> Path:
    """A detached worktree of ``revision`` under ``work`` (removed again by ``_drop_checkout``)."""
    folder = work / "baseline"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--quiet", "--detach", str(folder), revision],
        check=True,
    )
    return folder


def _drop_checkout(folder: Path) -> None:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False
    )


def compare_with_baseline(
    cohort: Path, work: Path, jobs: int, runs: int, revision: str, assignment: str = SLUG
) -> tuple[list[Run], list[Run]]:
    """Grade ``cohort`` ``runs`` times with the baseline and with this tree, in ABBA order."""
    checkout = _baseline_checkout(revision, work)
    baseline: list[Run] = []
    current: list[Run] = []
    try:
        for i in range(runs):
            order = [("baseline", checkout), ("current", None)]
            for label, source in order if i % 2 == 0 else order[::-1]:
                run = grade_once(
                    cohort, work / f"out-{label}-{i}", jobs, source, assignment=assignment
                )
                (baseline if source is not None else current).append(run)
                print(f"  run {i + 1} {label:>8}: {run.wall:.1f} s", flush=True)
    finally:
        _drop_checkout(checkout)
    return baseline, current


def compare_side_by_side(
    cohort: Path, work: Path, jobs: int, runs: int, revision: str, assignment: str = SLUG
) -> tuple[list[Run], list[Run]]:
    """Grade ``cohort`` ``runs`` times with the baseline and with this tree at the same time,
    each with half the jobs (at least one): both meet the same machine speed.

    On a virtual machine whose speed changes by half within minutes, two runs made one after
    the other can each meet another speed; two made at once cannot. The two compete for the
    CPUs alike, and the one that finishes last has them alone for its tail, which brings the
    ratio towards 1: a difference seen here is, if anything, larger. The machine's CPU time
    is shared by the two and is not reported.
    """
    checkout = _baseline_checkout(revision, work)
    half = max(jobs // 2, 1)
    baseline: list[Run] = []
    current: list[Run] = []
    try:
        for i in range(runs):
            sides = [("baseline", checkout), ("current", None)]
            with ThreadPoolExecutor(2) as pool:  # the order of starting alternates, ABBA
                started = {
                    label: pool.submit(
                        grade_once, cohort, work / f"out-{label}-{i}", half, source, assignment
                    )
                    for label, source in (sides if i % 2 == 0 else sides[::-1])
                }
                done = {label: future.result() for label, future in started.items()}
            for label, runs_of in (("baseline", baseline), ("current", current)):
                run = dataclasses.replace(done[label], cpu_seconds=None, steal_seconds=None)
                runs_of.append(run)
                print(f"  run {i + 1} {label:>8}: {run.wall:.1f} s (side by side)", flush=True)
    finally:
        _drop_checkout(checkout)
    return baseline, current


def _report_ratios(baseline: list[Run], current: list[Run], revision: str) -> None:
    def ratio(measure: Callable[[Run], float]) -> str:
        paired = zip(baseline, current, strict=True)
        pairs = [measure(c) / measure(b) for b, c in paired if measure(b)]
        return f"{statistics.median(pairs):.2f}" if pairs else "n/a"

    print(f"\ncurrent / baseline ({revision}), median of {len(current)} paired ratios:")
    print(f"  total wall time                    {ratio(lambda r: r.wall):>8}")
    print(f"  machine CPU busy during the run    {ratio(lambda r: r.cpu_seconds or 0.0):>8}")
    print(f"  median grader overhead/submission  {ratio(lambda r: r.median_overhead):>8}")
    print(f"  median checks phase                {ratio(lambda r: r.breakdown['checks']):>8}")
    print(f"  median worker start                {ratio(lambda r: r.breakdown['worker start']):>8}")
    print(f"  peak RSS, grader processes summed  {ratio(lambda r: r.grader_peak_mb):>8}")


def compare_all_cells(
    cohort: Path, work: Path, jobs: int, runs: int, assignment: str = SLUG
) -> tuple[list[Run], list[Run]]:
    """Grade ``cohort`` ``runs`` times sliced and with ``--run-all-cells``, in ABBA order."""
    sliced: list[Run] = []
    full: list[Run] = []
    for i in range(runs):
        order = [("all cells", ("--run-all-cells",)), ("sliced", ())]
        for label, extra in order if i % 2 == 0 else order[::-1]:
            out = work / f"out-{label.replace(' ', '-')}-{i}"
            run = grade_once(cohort, out, jobs, assignment=assignment, extra=extra)
            (full if extra else sliced).append(run)
            print(f"  run {i + 1} {label:>9}: {run.wall:.1f} s", flush=True)
    return sliced, full


def _report_slicing(sliced: list[Run], full: list[Run]) -> None:
    pairs = list(zip(sliced, full, strict=True))
    saved = statistics.median(f.student_seconds - s.student_seconds for s, f in pairs)
    wall = statistics.median(f.wall - s.wall for s, f in pairs)
    ratio = statistics.median(s.wall / f.wall for s, f in pairs if f.wall)
    same = all(s.grades == f.grades for s, f in pairs)
    print(f"\nsliced against --run-all-cells, median of {len(pairs)} paired runs:")
    print(f"  cells left out by slicing          {sliced[0].cells_skipped:8d}")
    print(f"  student time saved (cells, calls)  {saved:8.1f} s")
    print(f"  wall time saved                    {wall:8.1f} s (sliced / all: {ratio:.2f})")
    print(f"  identical grades in every pair     {'yes' if same else 'NO':>8}")


def compare_dask(
    cohort: Path, work: Path, workers: list[int], runs: int, assignment: str = SLUG
) -> dict[int, tuple[list[Run], list[Run]]]:
    """For each worker count: ``runs`` runs on LocalPool and on Dask, in ABBA order."""
    measured: dict[int, tuple[list[Run], list[Run]]] = {}
    for count in workers:
        local: list[Run] = []
        dask: list[Run] = []
        for i in range(runs):
            order = [("local", ()), ("dask", ("--executor", "dask"))]
            for label, extra in order if i % 2 == 0 else order[::-1]:
                out = work / f"out-{label}-{count}-{i}"
                run = grade_once(cohort, out, count, assignment=assignment, extra=extra)
                (dask if extra else local).append(run)
                print(f"  {count} worker(s), run {i + 1} {label:>5}: {run.wall:.1f} s", flush=True)
        measured[count] = (local, dask)
    return measured


def _report_dask(measured: dict[int, tuple[list[Run], list[Run]]]) -> None:
    print("\nLocalPool against Dask (LocalCluster), medians:")
    head = ("workers", "local s", "dask s", "local/s", "dask/s")
    print(" ".join(f"{h:>8}" for h in head) + f" {'dask ms/subm':>13}")
    for count, (local, dask) in measured.items():
        pairs = list(zip(local, dask, strict=True))
        extra = statistics.median((d.wall - lo.wall) * count / d.n for lo, d in pairs)
        print(
            f"{count:>8} {statistics.median(r.wall for r in local):8.1f} "
            f"{statistics.median(r.wall for r in dask):8.1f} "
            f"{statistics.median(r.per_second for r in local):8.2f} "
            f"{statistics.median(r.per_second for r in dask):8.2f} {extra * 1000:13.1f}"
        )
        same = all(lo.grades == d.grades for lo, d in pairs)
        print(f"{'':>8} identical grades on both: {'yes' if same else 'NO'}")
    writer = _writer_cost()
    print(
        f"\nthe gradebook writer (results.json, feedback.html and the gradebook row of one "
        f"submission, this process): {writer * 1000:.1f} ms, a ceiling of "
        f"{1 / writer:.0f} submissions/s for one writer, whatever the number of workers"
    )


def _writer_cost(rounds: int = 30) -> float:
    """Seconds the batch's one writer spends per submission (files and gradebook row)."""
    from graders.batch import write_student_files
    from graders.engine import grade_path
    from graders.gradebook import Gradebook
    from graders.spec import load_assignment

    assignment = load_assignment(SLUG)
    result = grade_path(EXAMPLES / "partial.ipynb", assignment)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        with Gradebook(out / "gradebook.sqlite") as book:
            started = time.perf_counter()
            for i in range(rounds):
                copy = dataclasses.replace(result, student=f"s{i}")
                write_student_files(out, copy, assignment)
                book.record(copy, path=f"s{i}.ipynb", grading_key="k")
            return (time.perf_counter() - started) / rounds


# --------------------------------------------------------------------------- weaker searches

# One check of an assignment.toml: an inline table on its own line, ``{ id = "...", ... }``.
_CHECK_LINE = re.compile(
    r'^(?P<indent>\s*)\{ *id *= *"(?P<id>[^"]+)"(?P<rest>.*?) *\}(?P<tail>,?\s*)$'
)
_MAX_EXAMPLES = re.compile(r",\s*max_examples\s*=\s*(\d+)")


def capped_assignment(cap: int, folder: Path) -> Path:
    """A copy of the assignment (data included) in ``folder`` whose every check declares
    ``max_examples = min(its own, cap)``; the copy is loaded and checked before use."""
    from graders.spec import load_assignment

    target = folder / f"max-examples-{cap}" / SLUG  # the directory must bear the slug
    shutil.copytree(ROOT / "assignments" / SLUG, target, ignore=shutil.ignore_patterns("examples"))
    spec = target / "assignment.toml"
    lines = []
    for line in spec.read_text(encoding="utf-8").splitlines(keepends=True):
        match = _CHECK_LINE.match(line)
        if match is not None:
            found = _MAX_EXAMPLES.search(match["rest"])
            own = int(found[1]) if found else cap
            rest = _MAX_EXAMPLES.sub("", match["rest"])
            line = (
                f'{match["indent"]}{{ id = "{match["id"]}"{rest}, '
                f"max_examples = {min(own, cap)} }}{match['tail']}"
            )
        lines.append(line)
    spec.write_text("".join(lines), encoding="utf-8")
    checks = [c for q in load_assignment(target).questions for c in q.checks]
    if not checks or any(c.max_examples > cap for c in checks):
        raise SystemExit(f"could not cap every check of {spec} at {cap} examples")
    return target


# --------------------------------------------------------------------------- profiling


def profile_one(name: str = "solution.ipynb", top: int = 20) -> None:
    """cProfile of grading one submission in this process, cold and then warm."""
    from graders.checks.plots import gather
    from graders.engine import grade_path, sandbox_config
    from graders.spec import load_assignment

    assignment = load_assignment(SLUG)
    config = sandbox_config(assignment)
    path = EXAMPLES / name
    for label in ("cold (first submission in a grader process)", "warm (a later submission)"):
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        result = grade_path(path, assignment, config=config, plots=gather)
        profiler.disable()
        wall = time.perf_counter() - started
        print(f"\n=== {name}, {label}: {wall * 1000:.0f} ms; timings {result.timings}")
        for order in ("cumulative", "tottime"):
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(order)
            stats.print_stats(top)
            text = stream.getvalue()
            print(f"--- top {top} by {order}")
            print(text[text.index("   ncalls") :].rstrip())
    _batch_costs(result, assignment)


def _batch_costs(result: SubmissionResult, assignment: Assignment) -> None:
    """What the batch's main process spends per submission: its files and its gradebook row."""
    from graders.batch import write_student_files
    from graders.gradebook import Gradebook

    rounds = 50
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        started = time.perf_counter()
        for i in range(rounds):
            write_student_files(out, dataclasses.replace(result, student=f"s{i}"), assignment)
        files = (time.perf_counter() - started) / rounds
        with Gradebook(out / "gradebook.sqlite") as book:
            started = time.perf_counter()
            for i in range(rounds):
                copy = dataclasses.replace(result, student=f"s{i}")
                book.record(copy, path=f"s{i}.ipynb", grading_key="k")
            record = (time.perf_counter() - started) / rounds
    print(
        f"\n=== batch main process, per submission: results.json + feedback.html "
        f"{files * 1000:.1f} ms, gradebook transaction {record * 1000:.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions (default 200)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="runs; the median is reported")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--sizes", default=None, help="e.g. 50,100,200: peak memory per size")
    parser.add_argument("--keep", type=Path, default=None, help="build the cohort here, keep it")
    parser.add_argument("--profile", action="store_true", help="profile one submission")
    parser.add_argument(
        "--baseline", default=None, help="git revision to run interleaved with this tree"
    )
    parser.add_argument(
        "--side-by-side",
        action="store_true",
        help="with --baseline: run the two at the same time, each with half the jobs",
    )
    parser.add_argument(
        "--all-cells",
        action="store_true",
        help="pair every run with one of --run-all-cells: what cell slicing saves",
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=None,
        help="cap every check's Hypothesis search at this many examples (a trade-off study)",
    )
    parser.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="dask: compare LocalPool with Dask at each --workers count",
    )
    parser.add_argument("--workers", default="1,2", help="with --executor dask, e.g. 1,2")
    args = parser.parse_args(argv)
    if args.profile:
        profile_one()
        return 0
    work = Path(tempfile.mkdtemp(prefix="grader-cohort-"))
    try:
        assignment = SLUG
        if args.max_examples is not None:
            assignment = str(capped_assignment(args.max_examples, work))
            print(f"every search capped at {args.max_examples} examples: {assignment}")
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.n]
        for n in sizes:
            cohort = (args.keep or work) / f"cohort-{n}"
            shutil.rmtree(cohort, ignore_errors=True)
            counts = build_cohort(n, cohort, args.seed)
            print(f"cohort of {n} in {cohort}: {counts}", flush=True)
            if args.baseline:
                compare = compare_side_by_side if args.side_by_side else compare_with_baseline
                baseline, current = compare(
                    cohort, work, args.jobs, args.runs, args.baseline, assignment
                )
                print(f"\n--- baseline {args.baseline}")
                _report(baseline, args.jobs)
                print("\n--- current")
                _report(current, args.jobs)
                _report_ratios(baseline, current, args.baseline)
                continue
            if args.executor == "dask":
                worker_counts = [int(w) for w in args.workers.split(",")]
                _report_dask(compare_dask(cohort, work, worker_counts, args.runs, assignment))
                continue
            if args.all_cells:
                sliced, full = compare_all_cells(cohort, work, args.jobs, args.runs, assignment)
                print("\n--- sliced")
                _report(sliced, args.jobs)
                print("\n--- all cells")
                _report(full, args.jobs)
                _report_slicing(sliced, full)
                continue
            runs = []
            for i in range(args.runs):
                runs.append(
                    grade_once(cohort, work / f"out-{n}-{i}", args.jobs, assignment=assignment)
                )
                print(f"  run {i + 1}: {runs[-1].wall:.1f} s", flush=True)
            _report(runs, args.jobs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
