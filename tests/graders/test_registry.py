"""The check registry: checks as records, topic modules found through entry points."""

from __future__ import annotations

import functools
import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from graders.checks import Check, CheckContext
from graders.checks import registry as reg
from graders.errors import SpecError

OURS = (
    "graders.checks.linear_gd",
    "graders.checks.logistic",
    "graders.checks.metrics",
    "graders.checks.mle",
)


def check_answer_is_right(ctx: CheckContext, *, bound: float = 1.0) -> None:
    """The answer is right up to a bound."""
    raise AssertionError(bound)


def _module(name: str, checks: object) -> ModuleType:
    module = ModuleType(name)
    module.CHECKS = checks  # type: ignore[attr-defined]
    return module


def _install(root: Path, dist: str, group: str, points: dict[str, str]) -> None:
    """A minimal installed distribution under ``root``: metadata and its entry points."""
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = [f"[{group}]", *(f"{name} = {value}" for name, value in points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


# --- records ----------------------------------------------------------------------------------


def test_a_partial_variant_is_a_check_with_its_own_id() -> None:
    variant = Check("answer_within_700", functools.partial(check_answer_is_right, bound=700.0))
    assert variant.id == "answer_within_700"
    assert variant.__doc__ == variant.doc == "The answer is right up to a bound."  # not partial's
    with pytest.raises(AssertionError, match="700.0"):
        variant(None)  # type: ignore[arg-type]  # calling the record runs its function


def test_a_variant_can_say_what_it_checks_differently() -> None:
    variant = Check("x", functools.partial(check_answer_is_right), doc="Within 700.")
    assert variant.__doc__ == "Within 700."


def test_a_plain_function_is_the_check_of_its_name() -> None:
    assert Check.of(check_answer_is_right).id == "answer_is_right"
    with pytest.raises(TypeError, match="not a function named check_<id>"):
        Check.of(functools.partial(check_answer_is_right))


@pytest.mark.parametrize("bad", ["", "has space", "1st", None])
def test_a_check_id_must_be_an_identifier(bad: object) -> None:
    with pytest.raises(TypeError, match="identifier"):
        Check(bad, check_answer_is_right)  # type: ignore[arg-type]


def test_data_roles_must_be_a_tuple_of_names() -> None:
    with pytest.raises(TypeError, match="data_roles"):
        Check("x", check_answer_is_right, data_roles="train")  # type: ignore[arg-type]


# --- the table --------------------------------------------------------------------------------


def test_our_topics_are_registered_in_a_deterministic_order() -> None:
    assert tuple(m.__name__ for m, _ in reg.topic_modules()) == OURS
    table = reg.build(reg.topic_modules())
    assert list(table) == list(reg.REGISTRY)
    assert all(isinstance(c, Check) and c.id == i for i, c in table.items())


def test_duplicate_ids_across_topics_name_both_modules() -> None:
    first = _module("course.first", (check_answer_is_right,))
    second = _module("course.second", (Check("answer_is_right", check_answer_is_right),))
    with pytest.raises(SpecError, match=r"'answer_is_right'.*course\.first.*course\.second"):
        reg.build([(first, "entry point 'a'"), (second, "entry point 'b'")])


def test_a_module_without_a_checks_tuple_is_refused() -> None:
    with pytest.raises(SpecError, match=r"course\.empty .*CHECKS = \(\.\.\.\)"):
        reg.build([(_module("course.empty", [check_answer_is_right]), "entry point 'e'")])
    with pytest.raises(SpecError, match="course.odd: .*check_<id>"):
        reg.build([(_module("course.odd", (print,)), "entry point 'o'")])


def test_an_installed_package_adds_its_topic_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = "mle_grader.checks.test_registry"
    package = tmp_path / "course_checks"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "zeta.py").write_text(
        "from graders.checks import CheckContext\n\n"
        "def check_zeta_holds(ctx: CheckContext) -> None:\n"
        '    """Zeta holds."""\n\n'
        "CHECKS = (check_zeta_holds,)\n"
    )
    (package / "alpha.py").write_text(
        "import functools\n"
        "from graders.checks import Check, CheckContext\n\n"
        "def check_alpha(ctx: CheckContext, bound: int) -> None:\n"
        '    """Alpha within a bound."""\n\n'
        "CHECKS = (Check('alpha_within_3', functools.partial(check_alpha, bound=3)),)\n"
    )
    # Listed in reverse: the order comes from the entry point names, not the file.
    points = {"zeta": "course_checks.zeta", "alpha": "course_checks.alpha"}
    _install(tmp_path, "course-checks", group, points)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    try:
        found = reg.topic_modules(group)
        assert [m.__name__ for m, _ in found] == ["course_checks.alpha", "course_checks.zeta"]
        assert "'course-checks'" in found[0][1]
        registry = reg.Registry(group)
        assert list(registry) == ["alpha_within_3", "zeta_holds"]
        assert registry["alpha_within_3"].doc == "Alpha within a bound."
    finally:
        for name in [n for n in sys.modules if n.startswith("course_checks")]:
            del sys.modules[name]


def test_a_broken_entry_point_is_a_spec_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = "mle_grader.checks.test_registry_broken"
    _install(tmp_path, "broken-checks", group, {"gone": "no_such_module_anywhere"})
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = reg.Registry(group)  # nothing is loaded yet: commands report the error later
    with pytest.raises(SpecError, match=r"'gone' = 'no_such_module_anywhere' of .*'broken-checks'"):
        len(registry)


def test_an_entry_point_must_name_a_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = "mle_grader.checks.test_registry_function"
    _install(tmp_path, "odd-checks", group, {"fn": "os.path:join"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SpecError, match="names a function, not a module"):
        reg.topic_modules(group)


def test_no_registered_topics_says_to_install_the_grader() -> None:
    with pytest.raises(SpecError, match="pip install -e"):
        reg.topic_modules("mle_grader.checks.nothing_registered_here")
