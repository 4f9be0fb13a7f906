"""Every error the grader raises, in one place.

Each subclasses the built-in it refines, so callers can catch either.
"""

from __future__ import annotations


class SubmissionError(ValueError):
    """A submission could not be loaded at all: the whole submission is *ungradable*."""


class StudentCodeError(RuntimeError):
    """The student's code raised, crashed or timed out while the grader needed an answer."""


class ProtocolError(RuntimeError):
    """A frame from the worker was malformed, oversized or of a forbidden type."""


class SandboxError(RuntimeError):
    """The sandbox could not be started (a grader-side problem, not the student's)."""


class SpecError(ValueError):
    """An assignment spec (``assignment.toml``) is malformed or names an unknown check."""


class CheckFailed(AssertionError):
    """A check found behaviour that contradicts the specification.

    Parameters
    ----------
    message
        What a student reads: what was called, what was expected, what came back.
    counterexample
        The (shrunk) input that shows the failure, rendered for humans, if any.
    diagnosis
        The known misconception whose behaviour the student's code matches, if any.
    """

    def __init__(
        self, message: str, *, counterexample: str | None = None, diagnosis: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.counterexample = counterexample
        self.diagnosis = diagnosis


class GradebookError(RuntimeError):
    """A gradebook file cannot be used (not SQLite, or written by an incompatible version)."""
