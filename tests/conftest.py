"""Suite-wide settings: tests that need bubblewrap namespaces say so with ``@pytest.mark.bwrap``.

They are skipped, with the reason, where the grader would fall back to the process layer:
bubblewrap missing or broken (macOS, locked-down hosts), or ``GRADER_ISOLATION=process`` set, as
CI's second run of the sandbox tests does. Every other test must pass on both layers.
"""

from __future__ import annotations

import functools

import pytest

from graders.sandbox import isolation


@functools.lru_cache(maxsize=1)
def _layer() -> isolation.Plan:
    return isolation.plan_isolation("auto")


def pytest_report_header() -> str:
    plan = _layer()
    return f"isolation: {plan.kind}" + (f" ({plan.note})" if plan.note else "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    plan = _layer()
    if plan.kind == "bwrap":
        return
    skip = pytest.mark.skip(reason=f"needs bubblewrap namespaces; {plan.note}")
    for item in items:
        if item.get_closest_marker("bwrap") is not None:
            item.add_marker(skip)
