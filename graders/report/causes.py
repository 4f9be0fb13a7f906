"""One root cause, one explanation: which failing check explains which others.

A single mistake fails many checks: a step that goes downhill fails both checks of
``gradient_step`` and three of ``grad_desc``; a missing transpose raises the same ``ValueError`` in
every check of the function. Shown one panel per check, the student reads the same explanation
seven times. The reports show each *cause* once, in full (its first failing check, the *lead*),
and list the other checks it explains.

Changes when the rule for "the same cause" changes. The rule, in order:

1. **Same misconception.** Failures with the same diagnosis are one cause, across questions (the
   diagnosis names the mistake, not the check).
2. **Same error.** Within one question, errors (or timeouts) whose messages agree once the
   inputs are left out (the first line names the call) and numbers are blanked (array shapes
   differ with the input) are one cause.
3. **Probably the same.** A failure left on its own in a question where exactly one cause of rules
   1-2 already fails checks is listed under that cause as probably the same (the pandas check of a
   ``grad_desc`` that goes downhill fails for the step's sign, not for pandas); it is not hidden:
   the student sees it failing and checks again once the cause is fixed.

Only the reports group; every check keeps its own status, points and message in the results.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from graders.results import CheckResult

__all__ = [
    "LIKELY",
    "SAME",
    "Absent",
    "Cause",
    "Telling",
    "absent_questions",
    "listed",
    "root_causes",
    "telling",
]

_FAILING = ("failed", "error", "timeout")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Cause:
    """One root cause of failing checks.

    Attributes
    ----------
    lead
        The first failing check of the cause: shown in full.
    same
        The other checks failing for the same misconception or the same error.
    likely
        Checks of the lead's question that fail without a cause of their own, probably this one.
    """

    lead: CheckResult
    same: tuple[CheckResult, ...] = ()
    likely: tuple[CheckResult, ...] = ()

    @property
    def explained(self) -> tuple[CheckResult, ...]:
        """Every check listed under the lead, in the results' order."""
        return self.same + self.likely


def root_causes(checks: Sequence[CheckResult]) -> tuple[Cause, ...]:
    """The causes of the failing checks of one result, in the order of their leads.

    Every failing check (``failed``, ``error``, ``timeout``) is in exactly one cause, as its
    lead or listed under one; passed and missing checks are in none.
    """
    failing = [c for c in checks if c.status in _FAILING]
    groups: dict[tuple[str, ...], list[CheckResult]] = {}
    alone: list[CheckResult] = []
    for check in failing:
        key = _key(check)
        if key is None:
            alone.append(check)
        else:
            groups.setdefault(key, []).append(check)
    likely: dict[tuple[str, ...], list[CheckResult]] = {}
    leads: list[CheckResult] = []
    for check in alone:
        touching = [key for key, members in groups.items() if _in_question(members, check)]
        if len(touching) == 1:
            likely.setdefault(touching[0], []).append(check)
        else:
            leads.append(check)
    causes = [
        Cause(members[0], tuple(members[1:]), tuple(likely.get(key, ())))
        for key, members in groups.items()
    ]
    causes += [Cause(check) for check in leads]
    order = {id(check): index for index, check in enumerate(checks)}
    return tuple(sorted(causes, key=lambda cause: order[id(cause.lead)]))


@dataclass(frozen=True)
class Absent:
    """A question whose every check is ``missing``: not defined, or not attempted yet.

    Reports give it one line (its first check's message and the points), not a panel per check.
    """

    question: str
    checks: tuple[CheckResult, ...]

    @property
    def message(self) -> str:
        """What the student is told (the same for every check of the question)."""
        return self.checks[0].message

    @property
    def max_score(self) -> float:
        """The points the question is worth."""
        return sum(c.max_score for c in self.checks)

    @property
    def line(self) -> str:
        """``sigmoid (0 / 5): `sigmoid` is not attempted yet: ...``."""
        return f"{self.question} (0 / {self.max_score:g}): {self.message}"


def absent_questions(checks: Sequence[CheckResult]) -> dict[str, Absent]:
    """The questions all of whose checks are ``missing``, by question id, in order."""
    by_question: dict[str, list[CheckResult]] = {}
    for check in checks:
        by_question.setdefault(check.question, []).append(check)
    return {
        question: Absent(question, tuple(members))
        for question, members in by_question.items()
        if all(c.status == "missing" for c in members)
    }


@dataclass(frozen=True)
class Telling:
    """How every report tells one result's checks: each question all of whose checks are
    missing in one line (``absent``), each other failing check at its cause's lead."""

    absent: dict[str, Absent]
    causes: tuple[Cause, ...]

    def led_by(self, check: CheckResult) -> Cause | None:
        """The cause ``check`` leads (shown in full, with the others listed), if any."""
        return next((c for c in self.causes if c.lead is check), None)

    def explained_by(self, check: CheckResult) -> Cause | None:
        """The cause whose lead explains ``check`` (so it is not told again), if any."""
        return next((c for c in self.causes if any(x is check for x in c.explained)), None)


def telling(checks: Sequence[CheckResult]) -> Telling:
    """The :class:`Telling` of a result's checks."""
    return Telling(absent_questions(checks), root_causes(checks))


#: How the reports introduce the checks listed under a lead.
SAME = "The same cause also fails"
LIKELY = "Probably failing for the same reason (check again once this is fixed)"


def listed(checks: Sequence[CheckResult]) -> str:
    """``a (0 / 2), b (0 / 1)``: checks listed under a lead, with their points."""
    return ", ".join(f"{c.check_id} ({c.score:g} / {c.max_score:g})" for c in checks)


def _key(check: CheckResult) -> tuple[str, ...] | None:
    if check.diagnosis:
        return ("misconception", check.diagnosis)
    if check.status in ("error", "timeout"):
        return ("error", check.question, check.status, _error_signature(check.message))
    return None


def _error_signature(message: str) -> str:
    """The message without its first line (the call, with this check's inputs), numbers blanked."""
    rest = message.split("\n", 1)[1] if "\n" in message else ""
    return _NUMBER.sub("#", rest)


def _in_question(members: Sequence[CheckResult], check: CheckResult) -> bool:
    return any(member.question == check.question for member in members)
