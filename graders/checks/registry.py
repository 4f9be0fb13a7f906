"""The one list of checks: assignment specs refer to these ids.

Checks are listed, not discovered (house style): each topic module exports ``CHECKS``, an explicit
tuple of check functions, and the id of a check is its function name without ``check_``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from graders.checks import linear_gd, logistic, metrics, mle
from graders.checks.base import CheckContext
from graders.errors import SpecError
from graders.spec import Assignment

Check = Callable[[CheckContext], None]


def _build() -> Mapping[str, Check]:
    table: dict[str, Check] = {}
    for module in (logistic, mle, linear_gd, metrics):
        for check in module.CHECKS:
            check_id = check.__name__.removeprefix("check_")
            if check_id in table:  # two topics defining one id would silently shadow
                raise RuntimeError(f"duplicate check id {check_id!r}")
            table[check_id] = check
    return MappingProxyType(table)


REGISTRY: Mapping[str, Check] = _build()


def resolve(check_id: str) -> Check:
    """Return the check with this id, or raise ``SpecError`` naming the close ones."""
    try:
        return REGISTRY[check_id]
    except KeyError:
        raise SpecError(f"unknown check id {check_id!r}") from None


def validate_assignment(assignment: Assignment) -> None:
    """Raise ``SpecError`` if the spec names a check that does not exist."""
    unknown = [c.id for q in assignment.questions for c in q.checks if c.id not in REGISTRY]
    if unknown:
        raise SpecError(f"{assignment.slug}: unknown check ids: {', '.join(unknown)}")
