"""Suite-wide settings: tests that need bubblewrap namespaces say so with ``@pytest.mark.bwrap``.

They are skipped, with the reason, where the grader would fall back to the process layer:
bubblewrap missing or broken (macOS, locked-down hosts), or ``GRADER_ISOLATION=process`` set, as
CI's second run of the sandbox tests does. Every other test must pass on both layers.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile

import pytest

from graders.checks.input_cache import CACHE_ENV
from graders.sandbox import isolation

_CACHE = tempfile.mkdtemp(prefix="grader-test-inputs-")


def pytest_configure(config: pytest.Config) -> None:
    # Every run starts with an empty input cache of its own (subprocesses inherit it): the
    # suite never reads or fills the user's ~/.cache, and never depends on an earlier run.
    os.environ[CACHE_ENV] = _CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


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
