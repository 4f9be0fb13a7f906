"""Per-submission worker start overhead, with and without the warm zygote.

    python benchmarks/sandbox_startup.py              # 9 runs of each, interleaved
    python benchmarks/sandbox_startup.py --runs 15
    python benchmarks/sandbox_startup.py --isolation process

Measured in one process, the baseline (cold start: exec bwrap/python, import numpy and pandas,
say hello) interleaved with the zygote runs so that machine load hits both alike:

- ``start``: ``WorkerSession.startup_seconds``, from asking for a worker to its hello (the
  worker has applied its rlimits and seccomp filter and is ready for the first cell);
- ``session``: a whole session of a one-cell submission, from ``WorkerSession(...)`` to
  ``close()`` returning (the worker and its processes are gone);
- ``session CPU``: the machine's busy CPU time during that session (``/proc/stat``, so the
  zygote's fork and the worker count too; 10 ms ticks, hence the medians of several runs);
- ``sklearn cell``: start plus running a cell that imports what the assignments' solutions import
  (``sklearn.linear_model``, ``sklearn.metrics``, ``scipy.special``): what preloading them saves.

Then the same for a zygote that preloads only numpy and pandas, to show what preloading
scikit-learn costs per fork. Medians of ``--runs`` runs; the one-off zygote start is reported
apart. Prints a table and the cold/warm ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from machine import machine_cpu  # a sibling: these scripts run from benchmarks/

from graders.load import Cell, Submission
from graders.sandbox import SandboxConfig, WorkerSession, isolation, pool

TRIVIAL = "x = 1\n"
SKLEARN = "import sklearn.linear_model, sklearn.metrics, scipy.special\n"


def submission(source: str) -> Submission:
    return Submission(path=Path("bench.py"), kind="py", sha256="0" * 64, cells=(Cell(1, source),))


def busy() -> float:
    """The machine's busy CPU seconds so far (0.0 where ``/proc/stat`` is missing)."""
    counters = machine_cpu()
    return 0.0 if counters is None else counters[0]


def measure(config: SandboxConfig) -> dict[str, float]:
    """One run: start, whole session (its wall time and the machine's CPU), and a session whose
    cell imports scikit-learn."""
    cpu = busy()
    started = time.perf_counter()
    session = WorkerSession(submission(TRIVIAL), config)
    start = session.startup_seconds
    warm = session.warm
    session.close()
    whole = time.perf_counter() - started
    cpu = busy() - cpu
    started = time.perf_counter()
    with WorkerSession(submission(SKLEARN), config) as heavy:
        assert [r.status for r in heavy.cell_reports] == ["ok"], heavy.cell_reports
        sklearn = time.perf_counter() - started
    if warm != config.zygote:
        raise SystemExit(f"expected zygote={config.zygote}, got warm={warm}: {pool.failures()}")
    return {"start": start, "session": whole, "session CPU": cpu, "sklearn cell": sklearn}


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each (at least 7)")
    parser.add_argument("--isolation", default="auto", choices=["auto", "bwrap", "process"])
    args = parser.parse_args(argv)
    if args.runs < 7:
        parser.error("--runs must be at least 7")
    base = SandboxConfig(isolation=args.isolation)
    plan = isolation.plan_isolation(args.isolation, base.python)
    info = isolation.describe_interpreter(base.python)
    print(f"isolation: {plan.kind}; python {info.version}; {args.runs} runs each\n")

    variants = {"cold": dataclasses.replace(base, zygote=False)}
    zygote_start: dict[str, float] = {}
    for label, preload in (("zygote", pool.PRELOAD), ("zygote, no sklearn", ("numpy", "pandas"))):
        pool.PRELOAD = tuple(preload)
        zygote_start[label] = timed(lambda: pool.zygote_for(plan, info))
        variants[label] = base
        results: dict[str, list[dict[str, float]]] = {name: [] for name in ("cold", label)}
        measure(variants["cold"])  # warm-up: file caches, interpreter probes
        measure(base)
        for _ in range(args.runs):
            for name in ("cold", label):
                results[name].append(measure(variants[name]))
        table = {name: medians(runs) for name, runs in results.items()}
        print(
            f"{label} (preload: {', '.join(preload)}), started once in {zygote_start[label]:.2f} s"
        )
        print(f"  {'median seconds':<16}{'cold':>10}{label:>22}{'cold / warm':>14}")
        for key in ("start", "session", "session CPU", "sklearn cell"):
            cold, warm = table["cold"][key], table[label][key]
            print(f"  {key:<16}{cold:>10.4f}{warm:>22.4f}{cold / warm:>13.1f}x")
        print()
        pool.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
