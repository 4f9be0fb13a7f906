"""What several subcommands share: reading their common options.

One reason to change: how an option that more than one subcommand takes is turned into a value
(subcommands import shared things from here, never from each other).
"""

from __future__ import annotations

from pathlib import Path

from graders.hidden import CourseSecret

__all__ = ["course_secret"]


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
