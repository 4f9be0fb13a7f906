"""What a listed check is: the id a spec names, the function it runs, and what it needs.

One reason to change: the metadata a check carries (its id, its property in words, the data
files it reads by role). The registry (``graders.checks.registry``) tables these records; the
check API they are written against is ``graders.checks.base``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the check API; a record only passes the context on
    from graders.checks.base import CheckContext

__all__ = ["Check", "CheckFunction"]

CheckFunction = Callable[["CheckContext"], None]
"""What a check is: called with the context, it raises on a failure."""


@dataclass(frozen=True)
class Check:
    """A listed check: the id an assignment spec names, and the function checking one property.

    As in scikit-learn's estimator checks, variants of one check function are
    ``functools.partial`` objects of it, each listed under its own id::

        Check("sigmoid_large_inputs", functools.partial(check_sigmoid_range, bound=700))

    A topic module lists its checks in ``CHECKS``; a plain function ``check_<id>`` there is
    shorthand for ``Check.of(function)``. Calling a record runs its function, and its
    ``__doc__`` is ``doc``: a record reads like the function it lists.

    Attributes
    ----------
    id
        The id ``assignment.toml`` lists, carried by every result of the check.
    function
        Called with the :class:`CheckContext`; raises ``CheckFailed`` or ``StudentCallError``.
    doc
        The property, in a sentence for the instructor. Default: the docstring of ``function``
        (of the function a ``partial`` wraps); a variant should say what it checks differently.
    data_roles
        The data files the check reads, by role (``[data.roles]`` in ``assignment.toml``): an
        assignment listing the check must name them all.
    """

    id: str
    function: CheckFunction
    doc: str = ""
    data_roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (isinstance(self.id, str) and self.id.isidentifier()):
            raise TypeError(
                f"a check id must be an identifier such as 'sigmoid_matches_reference', "
                f"got {self.id!r}"
            )
        if not callable(self.function):
            raise TypeError(
                f"check {self.id!r}: function must be callable with a CheckContext, got "
                f"{type(self.function).__name__}"
            )
        if isinstance(self.data_roles, str) or not all(
            isinstance(role, str) for role in self.data_roles
        ):
            raise TypeError(
                f"check {self.id!r}: data_roles must be a tuple of role names, got "
                f"{self.data_roles!r}"
            )
        inner = self.function
        while isinstance(inner, functools.partial):  # a partial's own __doc__ is partial's
            inner = inner.func
        doc = self.doc or inspect.getdoc(inner) or ""
        object.__setattr__(self, "doc", doc)
        object.__setattr__(self, "__doc__", doc)  # frozen: set once, here

    @classmethod
    def of(cls, function: CheckFunction) -> Check:
        """The check a function named ``check_<id>`` stands for, with that id."""
        name = getattr(function, "__name__", None)
        if not (isinstance(name, str) and name.startswith("check_")):
            raise TypeError(
                f"{function!r} is listed as a check but is not a function named check_<id>; "
                "list it as Check('<id>', function) instead"
            )
        return cls(name.removeprefix("check_"), function)

    def __call__(self, ctx: CheckContext) -> None:
        """Run the check on ``ctx`` (raises on a failure, returns ``None`` on a pass)."""
        self.function(ctx)
