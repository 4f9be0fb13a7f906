"""The one table of checks: assignment specs refer to these ids.

Checks are listed, not discovered (house style): each topic module exports ``CHECKS``, an explicit
tuple of :class:`~graders.checks.check.Check` records (a plain ``check_<id>`` function there is
shorthand for ``Check.of(function)``). What is discovered is the topic modules themselves: each
entry point of the group :data:`ENTRY_POINT_GROUP` names one, ours in ``pyproject.toml`` and an
instructor's in the metadata of their own installed package, so that installing it adds its
checks without an edit here. See ``docs/authoring.md``.

One reason to change: how topic modules are found and their checks put in one table.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from types import MappingProxyType, ModuleType

from graders.checks.check import Check
from graders.errors import SpecError
from graders.spec import Assignment

__all__ = [
    "ENTRY_POINT_GROUP",
    "REGISTRY",
    "Registry",
    "TopicModule",
    "build",
    "resolve",
    "topic_modules",
    "validate_assignment",
]

ENTRY_POINT_GROUP = "mle_grader.checks"
"""Entry points of this group name topic modules (``name = "package.module"``)."""

#: A topic module and how it was found: ``entry point 'logistic' of mle-grader``.
TopicModule = tuple[ModuleType, str]


def topic_modules(group: str = ENTRY_POINT_GROUP) -> tuple[TopicModule, ...]:
    """Import every topic module registered under ``group``, in a deterministic order.

    The order is by entry point name, then value, whatever the order of ``sys.path`` or of
    installation; a module registered twice is loaded once.

    Raises
    ------
    SpecError
        When no module is registered (an uninstalled source tree), or an entry point cannot be
        imported or names something other than a module; the message names the entry point and
        the distribution that declares it.
    """
    points = sorted(metadata.entry_points(group=group), key=lambda p: (p.name, p.value))
    if not points:
        raise SpecError(
            f"no check modules are registered under the entry point group {group!r}: is the "
            "grader installed (pip install -e . in a checkout)? Its own topics are declared in "
            "its package metadata."
        )
    found: list[TopicModule] = []
    for point in points:
        where = f"entry point {point.name!r} = {point.value!r} of {_distribution(point)}"
        try:
            module = point.load()
        except Exception as exc:  # an instructor's package: say which, not a bare traceback
            raise SpecError(
                f"the check module of {where} (group {group}) could not be imported: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(module, ModuleType):
            raise SpecError(
                f"{where} (group {group}) names a {type(module).__name__}, not a module: "
                "the value must be a module path such as 'mypackage.checks', whose CHECKS "
                "tuple lists its checks"
            )
        if all(module is not seen for seen, _ in found):
            found.append((module, where))
    return tuple(found)


def _distribution(point: metadata.EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    name = None if dist is None else dist.metadata["Name"]
    return f"the distribution {name!r}" if name else "an unnamed distribution"


def build(modules: Iterable[TopicModule]) -> Mapping[str, Check]:
    """The checks of ``modules`` by id, in module then listing order.

    Raises
    ------
    SpecError
        When a module has no ``CHECKS`` tuple, lists something that is not a check, or lists an
        id another module (or itself) already lists: the message names both modules.
    """
    table: dict[str, Check] = {}
    owners: dict[str, str] = {}
    for module, where in modules:
        listed = getattr(module, "CHECKS", None)
        if not isinstance(listed, tuple):
            raise SpecError(
                f"check module {module.__name__} ({where}) must list its checks in a tuple "
                f"CHECKS = (...); found {type(listed).__name__}"
            )
        for item in listed:
            try:
                check = item if isinstance(item, Check) else Check.of(item)
            except TypeError as exc:
                raise SpecError(f"check module {module.__name__}: {exc}") from None
            if check.id in table:  # two modules defining one id would silently shadow
                raise SpecError(
                    f"duplicate check id {check.id!r}: listed by {owners[check.id]} and by "
                    f"{module.__name__} ({where}); check ids must be unique across topic modules"
                )
            table[check.id] = check
            owners[check.id] = module.__name__
    return MappingProxyType(table)


class Registry(Mapping[str, Check]):
    """Every installed topic module's checks, by id, tabled on first use.

    Tabling waits for the first lookup, so that a broken instructor package is a ``SpecError``
    where commands report errors (exit code 2, with the message), not a crash at import. Safe
    to use from several threads (the input-drawing thread of ``graders.warmup`` looks checks up
    while the engine may too).
    """

    def __init__(self, group: str = ENTRY_POINT_GROUP) -> None:
        self.group = group
        self._table: Mapping[str, Check] | None = None
        self._lock = threading.Lock()

    def _checks(self) -> Mapping[str, Check]:
        table = self._table
        if table is None:
            with self._lock:
                if self._table is None:
                    self._table = build(topic_modules(self.group))
                table = self._table
        return table

    def __getitem__(self, check_id: str) -> Check:
        return self._checks()[check_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._checks())

    def __len__(self) -> int:
        return len(self._checks())

    def __repr__(self) -> str:
        state = "not yet loaded" if self._table is None else f"{len(self._table)} checks"
        return f"Registry({self.group!r}, {state})"


REGISTRY: Mapping[str, Check] = Registry()


def resolve(check_id: str) -> Check:
    """Return the check with this id, or raise ``SpecError``."""
    try:
        return REGISTRY[check_id]
    except KeyError:
        raise SpecError(f"unknown check id {check_id!r}") from None


def validate_assignment(assignment: Assignment) -> None:
    """Raise ``SpecError`` if the spec names a check that does not exist, or lists a check
    whose data roles (``Check.data_roles``) its ``[data.roles]`` does not give shipped files."""
    unknown = [c.id for q in assignment.questions for c in q.checks if c.id not in REGISTRY]
    if unknown:
        raise SpecError(f"{assignment.slug}: unknown check ids: {', '.join(unknown)}")
    for question in assignment.questions:
        for spec in question.checks:
            for role in REGISTRY[spec.id].data_roles:
                try:
                    assignment.data_file(role)
                except SpecError as exc:
                    raise SpecError(f"check {spec.id!r} reads a data file by role: {exc}") from None
