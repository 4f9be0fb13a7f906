"""Inside Gradescope's container: grade the one submitted file, write ``results/results.json``.

One reason to change: what ``run_autograder`` does with a submission. The layout is Gradescope's
(``$AUTOGRADER_ROOT``, default ``/autograder``): the zip unpacked in ``source/`` (the assignment,
its data files, the course secret and ``autograder.json``), the student's upload in
``submission/``, Gradescope's ``submission_metadata.json`` beside them, and the result expected in
``results/results.json``.

Total by design: whatever the upload holds and whatever fails, a valid results.json is written
(an ungradable result that says what was found, or the grader's failure at score 0), and the
function returns 0, so Gradescope shows the feedback instead of a broken run. The student's code
runs in the sandbox, as with ``grader check``: nothing of it runs in this process.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["MANIFEST", "SUFFIXES", "main", "pick_submission", "results_document"]

#: The zip's description of itself (written by :mod:`graders.export.gradescope`).
MANIFEST = "autograder.json"
#: What a submission may be.
SUFFIXES = (".ipynb", ".py")
_ROOT_ENV = "AUTOGRADER_ROOT"
_FAILED = (
    "The autograder failed while grading this submission (an internal error, not a problem with "
    "your work). Please tell your instructor; the details are in the autograder's log."
)


def main(argv: Sequence[str] | None = None) -> int:
    """Grade ``$AUTOGRADER_ROOT/submission`` and write the results; always returns 0.

    ``--version`` prints the grader's version instead (``setup.sh`` checks the install with it).
    """
    if list(argv if argv is not None else sys.argv[1:]) == ["--version"]:
        from graders import __version__

        print(f"mle-grader {__version__}")
        return 0
    root = Path(os.environ.get(_ROOT_ENV) or "/autograder")
    started = time.perf_counter()
    try:
        document = results_document(root)
        document["stdout_visibility"] = "hidden"  # the student's prints are not feedback
        document["execution_time"] = round(time.perf_counter() - started, 3)
        text = json.dumps(document, indent=1, allow_nan=False)
    except Exception:  # noqa: BLE001 -- the grader's own failure still gives a results.json
        traceback.print_exc()  # the autograder's log, which only instructors read
        failed = {"score": 0, "output": _FAILED, "stdout_visibility": "hidden", "tests": []}
        text = json.dumps(failed, indent=1)
    from graders.batch.outputs import atomic_write  # Gradescope never reads half a file

    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(results, text)
    return 0


def results_document(root: Path) -> dict[str, Any]:
    """The Gradescope results document for the submission under ``root``.

    Parameters
    ----------
    root
        The autograder root (``source/``, ``submission/`` and ``results/`` below it).

    Returns
    -------
    dict
        What :meth:`~graders.results.SubmissionResult.to_gradescope` gives; an upload with no
        or several ``.ipynb``/``.py`` files is an ungradable result naming what it found.
    """
    from graders.checks.registry import validate_assignment
    from graders.engine import grade_path, sandbox_config
    from graders.hidden import CourseSecret
    from graders.results import SubmissionResult
    from graders.spec import load_assignment

    source = root / "source"
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    slug = str(manifest["assignment"])
    assignment = load_assignment(source / "assignment" / slug)
    validate_assignment(assignment)
    secret = CourseSecret.from_file(source / "secret.txt")
    student = _student(root)
    chosen, problem = pick_submission(root / "submission")
    if chosen is None:
        result = SubmissionResult.ungradable(
            student, assignment.slug, problem, "", max_score=assignment.max_score
        )
    else:
        data = source / "data"
        config = sandbox_config(assignment, data_dir=data if data.is_dir() else None)
        result = grade_path(chosen, assignment, student=student, config=config, secret=secret)
    return result.to_gradescope()


def pick_submission(folder: Path) -> tuple[Path | None, str]:
    """The one ``.ipynb`` or ``.py`` uploaded, else ``(None, what was found instead)``.

    Jupyter's checkpoints, macOS's resource forks and hidden files are not submissions.
    """
    found: list[Path] = []
    others: list[Path] = []
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            parts = path.relative_to(folder).parts
            if not path.is_file() or any(
                p.startswith(".") or p in ("__MACOSX", "__pycache__") for p in parts
            ):
                continue
            (found if path.suffix.lower() in SUFFIXES else others).append(path)
    if len(found) == 1:
        return found[0], ""
    names = ", ".join(str(p.relative_to(folder)) for p in found)
    if found:
        return None, (
            f"Several submissions were uploaded ({names}): upload exactly one notebook (.ipynb) "
            "or module (.py), so it is clear which one is graded."
        )
    listed = ", ".join(str(p.relative_to(folder)) for p in others[:10]) or "no files"
    return None, (
        f"No notebook (.ipynb) or module (.py) was uploaded (found: {listed}). Upload your "
        "notebook or module itself, not a PDF or an archive of it."
    )


def _student(root: Path) -> str:
    """Who submitted, from Gradescope's ``submission_metadata.json`` (else ``"submission"``)."""
    try:
        users = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))["users"]
        first = users[0]
        for key in ("sid", "email", "id"):
            value = first.get(key)
            if isinstance(value, (str, int)) and str(value).strip():
                return str(value).strip()[:200]
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        pass
    return "submission"


if __name__ == "__main__":
    sys.exit(main())
