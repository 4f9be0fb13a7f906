"""What several subcommands share: reading their common options.

One reason to change: how an option that more than one subcommand takes is turned into a value
(subcommands import shared things from here, never from each other).
"""

from __future__ import annotations

from pathlib import Path

from graders.errors import SandboxError
from graders.hidden import CourseSecret
from graders.sandbox import isolation

__all__ = ["course_secret", "isolation_problem"]


def course_secret(secret_file: Path | None) -> CourseSecret | None:
    """The course secret of ``--secret-file``: that file's, else ``$GRADER_SECRET_FILE``'s.

    Parameters
    ----------
    secret_file
        The option's value (``None`` when it was not given).

    Returns
    -------
    CourseSecret or None
        ``None`` when neither the option nor the variable names a file; each command then
        chooses its own default.

    Raises
    ------
    ValueError
        If the file cannot be used as a secret; the message names it.
    """
    return (
        CourseSecret.from_file(secret_file)
        if secret_file is not None
        else CourseSecret.from_environment()
    )


def isolation_problem(required: bool) -> tuple[str | None, str | None]:
    """The layer the workers will run on, said before grading: ``(error, warning)``.

    Parameters
    ----------
    required
        ``--require-isolation`` (or the spec's ``require_isolation``): refuse to grade without
        bubblewrap's namespaces.

    Returns
    -------
    tuple
        ``(error, None)`` when grading must not start; ``(None, warning)`` when it runs on the
        weaker process layer; ``(None, None)`` on bubblewrap.
    """
    try:
        plan = isolation.plan_isolation("auto")
    except SandboxError as exc:
        return str(exc), None
    if plan.kind == "bwrap":
        return None, None
    why = plan.note or "bubblewrap is not available here"
    if required:
        return (
            f"grading requires bubblewrap's namespaces (--require-isolation), but {why}. "
            "Install bubblewrap (apt-get install bubblewrap) or grade without the option.",
            None,
        )
    return None, (
        f"Warning: student code will run on the weaker process layer: {why}. "
        "--require-isolation refuses to grade without namespaces."
    )
