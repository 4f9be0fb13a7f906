"""Benchmark the grading service: ``grader serve`` under simulated students on 127.0.0.1.

    python benchmarks/service.py                 # 50 students, --jobs 2, median of 3 runs
    python benchmarks/service.py --n 20 --runs 1 # quicker
    python benchmarks/service.py --compare       # also `grader grade` on the same notebooks

Each run makes a course (one student per submission of the synthetic cohort of
``benchmarks/cohort.py``: correct, alternative, buggy, slow, malformed and hostile files of the
logistic-regression assignment), serves it with the real command line in a subprocess, then:

1. idle: one student submits the correct notebook ``--idle`` times, one after the other (after
   one warm-up submission): upload-to-graded-result time, p50;
2. load: N threads, one per student, each submit its file at once and poll for the result:
   p50 / p95 / max time from upload to graded result, and throughput (submissions per second,
   first upload to last result);
3. exactly once: every acknowledged submission has one gradebook row written once, and every
   attempt was graded once (the cohort's malformed files that are not JSON are refused with
   422 at upload, and counted apart).

The peak resident memory of the server and its grader processes (sandboxes apart) is sampled
throughout. With ``--compare``, ``grader grade --jobs J`` grades the same files, and the ratio of
the two throughputs is printed (the issue's target: the service within 80% of the batch).
"""

from __future__ import annotations

import argparse
import csv
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cohort import SLUG, MemorySampler, _grader_command, build_cohort

from graders.service.client import FINISHED, ServiceError, request_json, submit
from graders.service.store import Store

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "assignments" / SLUG / "examples" / "solution.ipynb"


@dataclass(frozen=True)
class Result:
    idle_p50: float
    p50: float
    p95: float
    worst: float
    per_second: float
    exactly_once: bool
    statuses: dict[str, int]
    refused: int
    grader_peak_mb: float
    batch_per_second: float | None = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_graded(url: str, token: str, attempt: int, interval: float = 0.02) -> float:
    """Poll until the attempt is finished; the moment it was seen finished."""
    while True:
        reply = request_json(f"{url}/api/submissions/{attempt}", token)
        if reply["status"] in FINISHED:
            return time.perf_counter()
        time.sleep(interval)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def run_once(n: int, jobs: int, idle: int, compare: bool, work: Path) -> Result:
    cohort = work / "cohort"
    build_cohort(n, cohort)
    files = sorted(cohort.iterdir())
    roster = work / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id"])
        writer.writerows([[f.stem] for f in files] + [["idle"]])
    course = work / "course"
    grader = _grader_command()
    subprocess.run(
        [*grader, "course", "init", str(course), "--roster", str(roster), "--assignment", SLUG],
        check=True,
        capture_output=True,
    )
    settings = course / "course.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("rate_limit_per_hour = 10", "rate_limit_per_hour = 1000"))
    with (course / "tokens.csv").open(encoding="utf-8") as handle:
        tokens = {row["student_id"]: row["token"] for row in csv.DictReader(handle)}
    instructor = (course / "instructor.token").read_text(encoding="utf-8").strip()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "serve.log").open("wb")
    server = subprocess.Popen(
        [*grader, "serve", str(course), "--port", str(port), "--jobs", str(jobs)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sampler = MemorySampler(server.pid)
    try:
        for _ in range(600):
            try:
                request_json(f"{url}/api/health", "-")
                break
            except ServiceError:
                time.sleep(0.1)
        idle_times = []
        for i in range(idle + 1):
            started = time.perf_counter()
            attempt = submit(url, tokens["idle"], SOLUTION, SLUG)
            seconds = _wait_graded(url, tokens["idle"], attempt) - started
            if i:  # the first one warms the grader processes up
                idle_times.append(seconds)
        latencies: list[float] = []
        finished: list[float] = []
        refused: list[str] = []  # the malformed files that are not JSON: 422 at the door
        lock = threading.Lock()

        def student(path: Path) -> None:
            started = time.perf_counter()
            token = tokens[path.stem]
            try:
                attempt = submit(url, token, path, SLUG)
            except ServiceError as exc:
                with lock:
                    refused.append(path.stem)
                    finished.append(time.perf_counter())
                if exc.status != 422:
                    raise
                return
            done = _wait_graded(url, token, attempt, interval=0.1)
            with lock:
                latencies.append(done - started)
                finished.append(done)

        threads = [threading.Thread(target=student, args=(f,)) for f in files]
        first = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        per_second = len(files) / (max(finished) - first)
        listed = request_json(f"{url}/api/submissions", instructor)
    finally:
        sampler.stop()
        server.terminate()
        server.wait(timeout=60)
        log.close()
    store = Store(course / "gradebook.sqlite")
    statuses: dict[str, int] = {}
    for attempt in listed:
        statuses[attempt["status"]] = statuses.get(attempt["status"], 0) + 1
    rows = store.rows("SELECT student, writes FROM submissions")
    gradings = store.rows("SELECT gradings FROM service_attempts WHERE student != 'idle'")
    accepted = sorted({f.stem for f in files} - set(refused))
    once = (
        len(listed) == len(accepted) + idle + 1
        and sorted(s for s, _ in rows) == sorted([*accepted, "idle"])
        and all(w == 1 for s, w in rows if s != "idle")
        and gradings == [(1,)] * len(accepted)
    )
    batch = None
    if compare:
        started = time.perf_counter()
        subprocess.run(
            [*grader, "grade", str(cohort), "--assignment", SLUG, "--out", str(work / "batch")]
            + ["--jobs", str(jobs)],
            check=False,
            capture_output=True,
        )
        batch = len(files) / (time.perf_counter() - started)
    return Result(
        idle_p50=statistics.median(idle_times),
        p50=_percentile(latencies, 0.5),
        p95=_percentile(latencies, 0.95),
        worst=max(latencies),
        per_second=per_second,
        exactly_once=once,
        statuses=statuses,
        refused=len(refused),
        grader_peak_mb=sampler.grader_peak_kb / 1024,
        batch_per_second=batch,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="simulated students (default 50)")
    parser.add_argument("--jobs", type=int, default=2, help="grading workers (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="runs; medians are printed")
    parser.add_argument("--idle", type=int, default=5, help="sequential idle submissions")
    parser.add_argument("--compare", action="store_true", help="also time `grader grade`")
    args = parser.parse_args(argv)
    results = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="service-bench-") as folder:
            result = run_once(args.n, args.jobs, args.idle, args.compare, Path(folder))
        results.append(result)
        print(f"run {run + 1}: {json.dumps(result.__dict__)}", flush=True)

    def median(name: str) -> float:
        return statistics.median(float(getattr(r, name)) for r in results)

    print(f"\n{args.n} students, --jobs {args.jobs}, median of {len(results)} run(s):")
    print(f"  idle: correct notebook's feedback in {median('idle_p50'):.2f} s (p50)")
    print(
        f"  load: upload to result p50 {median('p50'):.2f} s, p95 {median('p95'):.2f} s, "
        f"max {median('worst'):.2f} s; {median('per_second'):.2f} submissions/s"
    )
    print(f"  grader processes' peak RSS {median('grader_peak_mb'):.0f} MB")
    if args.compare:
        batch = median("batch_per_second")
        print(
            f"  grader grade: {batch:.2f} submissions/s; "
            f"service / batch = {median('per_second') / batch:.2f}"
        )
    print(f"  refused at upload (422, not JSON): {results[0].refused} of {args.n}")
    every = all(r.exactly_once for r in results)
    print(f"  every submission graded exactly once: {'yes' if every else 'NO'}")
    return 0 if every else 1


if __name__ == "__main__":
    sys.exit(main())
