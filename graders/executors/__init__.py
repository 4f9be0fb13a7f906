"""Executors: where tasks run (this thread, processes on this machine, a Dask cluster).

One reason to change: the set of executors and their public names. Tasks are plain data in, a
:class:`TaskOutcome` out, streamed as they finish; a task that crashes is that task's error
outcome. This package knows nothing of grading: its callers (``graders.batch``,
``graders.validate``) pass the task function.
"""

from graders.executors.base import Borrowed, Executor, TaskOutcome, Work, run_safely
from graders.executors.inline import InlineExecutor
from graders.executors.local import LocalPool, default_jobs, make_executor

__all__ = [
    "Borrowed",
    "Executor",
    "InlineExecutor",
    "LocalPool",
    "TaskOutcome",
    "Work",
    "default_jobs",
    "make_executor",
    "run_safely",
]
