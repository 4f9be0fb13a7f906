"""The launcher of a cold worker: confine this process as the command line says, then exec.

One reason to change: the order of a cold worker's confinement steps. Run as a script,
``python -I -S -B launcher.py CONFINEMENT -- PROGRAM ARG...`` (built by
``cmdline.worker_command``): inside bwrap it covers /proc's knobs and drops its uid or its
capabilities; on the process layer it restricts its files with Landlock; then it execs the
worker. It is never imported by the grader at run time.

Worker-side module: copied into the sandbox (``scratch.WORKER_FILES``); standard library only,
Python >= 3.9.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING or __package__:  # the grader's copy, graders.sandbox.* (and the type checker's)
    from graders.sandbox.landlock import restrict_files
    from graders.sandbox.privileges import cover_proc_knobs, drop_capabilities, drop_privileges
else:  # -I leaves the script's own directory off sys.path: its siblings are found there
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from landlock import restrict_files
    from privileges import cover_proc_knobs, drop_capabilities, drop_privileges

__all__ = ["launch"]


def launch(argv: Sequence[str]) -> int:
    """``launcher.py CONFINEMENT -- PROGRAM ARG...``: confine this process, exec ``PROGRAM``.

    ``CONFINEMENT`` is JSON. Under bwrap: ``proc`` (``cover_proc_knobs``), ``own`` (a
    directory to give to ``uid``, with what is in it) and ``uid`` (``drop_privileges``; without
    it, ``drop_capabilities``). On the process layer: ``read``, ``write`` and ``hidden``
    (``restrict_files``; a worker that is still root then gives up every capability, keeping
    uid 0). Returns 70 (and says why on stderr) if confinement fails: the
    program never runs half-confined.
    """
    try:
        confinement = json.loads(argv[1])
        if argv[2] != "--" or len(argv) < 4:
            raise ValueError("usage: launcher.py CONFINEMENT -- PROGRAM ARG...")
        uid = confinement.get("uid")
        if confinement.get("proc"):
            cover_proc_knobs()
        if confinement.get("own") is not None:
            _give(str(confinement["own"]), int(uid))
        if uid is not None:
            drop_privileges(int(uid))
        elif confinement.get("proc"):  # bwrap's user namespace already made us unprivileged
            drop_capabilities()
        if "read" in confinement:
            restrict_files(confinement["read"], confinement["write"], confinement["hidden"])
            if os.geteuid() == 0:  # a root grader whose interpreter uid NOBODY cannot run
                drop_capabilities()
        os.execv(argv[3], list(argv[3:]))
    except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:
        print(f"the sandbox could not confine the worker: {exc}", file=sys.stderr)
    return 70


def _give(root: str, uid: int) -> None:
    """Make ``root`` and everything below it belong to ``uid`` (never following a symlink)."""
    os.chown(root, uid, uid, follow_symlinks=False)
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(directory, name), uid, uid, follow_symlinks=False)


if __name__ == "__main__":
    sys.exit(launch(sys.argv))
