"""Run untrusted submissions out of process and talk to them with plain data only.

``WorkerSession`` (session.py) is the grader's handle on one sandboxed worker (worker.py);
``protocol`` is the wire format both sides share; ``functions`` holds the trusted function
families a check can pass into student code; ``isolation`` decides and applies the confinement;
``pool`` keeps the warm zygote (zygote.py) that forks workers with numpy & co already imported.
"""

from __future__ import annotations

from graders.sandbox.protocol import FunctionSpec, Unsupported
from graders.sandbox.session import CallOutcome, CellReport, SandboxConfig, WorkerSession

__all__ = [
    "CallOutcome",
    "CellReport",
    "FunctionSpec",
    "SandboxConfig",
    "Unsupported",
    "WorkerSession",
]
