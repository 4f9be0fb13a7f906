"""The machine's CPU counters, for the benchmarks: what every process used, and what was stolen.

On a virtual machine the grader's work is spread over processes no ``getrusage`` sees (its
pool, zygotes and sandboxes: nobody waits for them on the way up), and the wall time of the same
code drifts with what the hypervisor gives the guest. ``/proc/stat`` counts both, machine-wide.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["machine_cpu"]


def machine_cpu() -> tuple[float, float] | None:
    """The machine's busy and stolen CPU seconds since boot, all CPUs (``/proc/stat``).

    Busy is user, nice, system, irq and softirq time: on an otherwise idle machine, the grader
    and every process it started. Stolen is what the hypervisor gave to other guests, which
    makes wall times drift. None where the file is missing. The counters tick every 10 ms
    (``SC_CLK_TCK``): a short measurement needs several runs.
    """
    try:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(fields) < 8:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _, _, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq) / tick, steal / tick
