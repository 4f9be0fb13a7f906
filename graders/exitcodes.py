"""Exit codes of the ``grader`` command, shared by every subcommand."""

from __future__ import annotations

EXIT_FULL = 0
"""Full marks (``check``), or everything as expected (``samples``, ``validate``)."""
EXIT_PARTIAL = 1
"""Graded below full marks, or something not as expected."""
EXIT_USAGE = 2
"""Usage error, unknown assignment, or an ungradable submission."""
EXIT_INTERNAL = 3
"""An internal error of the grader (a bug: please report it)."""

EPILOG = (
    "exit codes: 0 full marks, 1 graded below full marks, 2 usage error or ungradable "
    "submission, 3 internal error"
)
