"""Checks: one module per topic, each check one property, listed (never discovered).

This package's public face is the check API a topic module is written against (ours, or an
instructor's installed through the ``mle_grader.checks`` entry points: see
``docs/authoring.md``), and the registry the engine resolves ids with. The speed layer under the
API (``batching``, ``replay``, ``expected``, ``local_constants``) is internal.
"""

from graders.checks.base import (
    Args,
    CheckContext,
    StudentCallError,
    agree_with_reference,
    assert_inputs_unchanged,
    call_student,
    fail,
    fingerprint,
    hidden_failure,
    search,
)
from graders.checks.check import Check, CheckFunction
from graders.checks.expected import expected_value
from graders.checks.registry import ENTRY_POINT_GROUP, REGISTRY, resolve, validate_assignment

__all__ = [
    "ENTRY_POINT_GROUP",
    "REGISTRY",
    "Args",
    "Check",
    "CheckContext",
    "CheckFunction",
    "StudentCallError",
    "agree_with_reference",
    "assert_inputs_unchanged",
    "call_student",
    "expected_value",
    "fail",
    "fingerprint",
    "hidden_failure",
    "resolve",
    "search",
    "validate_assignment",
]
