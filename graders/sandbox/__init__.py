"""Run untrusted submissions out of process and talk to them with plain data only.

The sandbox's public face: other layers import from here, never from its modules. Grader side:
``WorkerSession`` (session.py) is the handle on one sandboxed worker, configured by and answering
in the records of records.py; launch.py starts workers, pipes.py talks to them, replies.py
re-validates what they answer, scratch.py holds the one list of files copied into a sandbox;
``isolation`` chooses the layer and ``cmdline`` builds the bwrap or process command lines; ``pool``
keeps the warm zygote (zygote.py) that forks workers with numpy & co already imported, and
``spares`` the next submission's worker forked ahead of it. Worker side (copied into the sandbox,
see ``scratch.WORKER_FILES``): worker.py, zygote.py, launcher.py (a cold worker's confinement) with
rlimits.py, syscalls.py (seccomp), landlock.py, privileges.py, proctree.py and hostpaths.py;
``protocol`` (the wire format both sides share, with its wire_*.py modules) and ``functions`` (the
trusted function families a check can pass into student code).
"""

from __future__ import annotations

from graders.sandbox.protocol import FunctionSpec, Unsupported
from graders.sandbox.records import CallOutcome, CellReport, PlannedCall, SandboxConfig
from graders.sandbox.session import WorkerSession

__all__ = [
    "CallOutcome",
    "CellReport",
    "FunctionSpec",
    "PlannedCall",
    "SandboxConfig",
    "Unsupported",
    "WorkerSession",
]
