"""The grader's Hypothesis draws do not depend on which Hypothesis plugins are installed."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

import pytest


def _run(code: str, **env: str) -> str:
    """What a fresh interpreter prints, ``HYPOTHESIS_NO_PLUGINS`` unset unless ``env`` sets it."""
    environ = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_NO_PLUGINS"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**environ, **env},
    )
    return done.stdout.strip()


def _imported_after(code: str) -> set[str]:
    return set(_run(f"{code}\nimport sys\nprint(' '.join(sys.modules))").split())


def test_the_grader_loads_no_hypothesis_plugin() -> None:
    plugins = list(importlib.metadata.entry_points(group="hypothesis"))
    if not plugins:
        pytest.skip("no Hypothesis plugin is installed (trio, a browser-test dependency, has one)")
    modules = {plugin.module.split(".")[0] for plugin in plugins}
    assert modules & _imported_after("import hypothesis")  # negative control: Hypothesis alone
    assert not modules & _imported_after("import graders.checks.base, graders.strategies")


def test_a_setting_in_the_environment_is_kept() -> None:
    code = "import os, graders\nprint(repr(os.environ['HYPOTHESIS_NO_PLUGINS']))"
    assert _run(code) == "'1'"
    assert _run(code, HYPOTHESIS_NO_PLUGINS="") == "''"
