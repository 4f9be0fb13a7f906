"""The speed layer's replay cache: a check's search inputs, drawn once per process.

One reason to change: how a check's Hypothesis searches (explained and hidden) are defined and
their inputs remembered for replay (per process, and on disk through ``input_cache``). The
explained search is defined here, in one place, so that the dry run that draws its inputs and
the real search that shrinks a failure draw the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from graders.checks import input_cache
from graders.checks.keys import _exact
from graders.checks.local_constants import without_local_constants
from graders.hidden import PRACTICE

if TYPE_CHECKING:  # the check API imports this module; these names are for annotations only
    from graders.checks.base import Args, CheckContext


def settings_for(ctx: CheckContext) -> settings:
    """Hypothesis settings for a check: reproducible, no database, no deadline, bounded."""
    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=ctx.spec.max_examples,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        print_blob=False,
    )


def _hypothesis_search(
    ctx: CheckContext, strategy: st.SearchStrategy[Args], guarded: Callable[[Args], None]
) -> Callable[[], None]:
    """The check's Hypothesis search, defined in this one place: derandomized Hypothesis seeds
    from the test function's source, so the dry run and the real search draw the same inputs."""

    @settings_for(ctx)
    @given(strategy)
    def run(args: Args) -> None:
        guarded(args)

    return run


def _hidden_run(
    strategy: st.SearchStrategy[Args], seed_value: int, count: int, record: Callable[[Args], None]
) -> Callable[[], None]:
    """The hidden search's draws: seeded explicitly, generation only (nothing is shrunk)."""

    @seed(seed_value)
    @settings(
        derandomize=False,
        database=None,
        deadline=None,
        max_examples=count,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate,),
        report_multiple_bugs=False,
        print_blob=False,
    )
    @given(strategy)
    def run(args: Args) -> None:
        record(args)

    return run


def _generated_inputs(ctx: CheckContext, strategy: st.SearchStrategy[Args]) -> tuple[Args, ...]:
    """The inputs the check's search generates when every one passes (remembered per process)."""
    key = (ctx.spec.id, ctx.spec.max_examples, tuple(sorted(ctx.lab_data)))
    return _remembered(
        "explained", key, lambda record: _hypothesis_search(ctx, strategy, record)(), public=True
    )


def _hidden_inputs(ctx: CheckContext, strategy: st.SearchStrategy[Args]) -> tuple[Args, ...]:
    """The hidden search's inputs for this check and secret (remembered per process)."""
    seed_value = ctx.hidden_seed
    count = ctx.spec.hidden_examples if seed_value is not None else 0
    if seed_value is None or count < 1:
        return ()
    key = (ctx.spec.id, count, seed_value, tuple(sorted(ctx.lab_data)))
    return _remembered(
        "hidden",
        key,
        lambda record: _hidden_run(strategy, seed_value, count, record)(),
        public=ctx.secret == PRACTICE,  # inputs drawn from a course secret never reach the disk
    )


def _remembered(
    kind: str,
    key: tuple[object, ...],
    draw: Callable[[Callable[[Args], None]], None],
    *,
    public: bool,
) -> tuple[Args, ...]:
    """One search's inputs: this process's memo, else the disk cache (public draws only), else
    drawn now by ``draw(record)`` and kept in both."""
    remembered = _PASSING_INPUTS.get(key)
    if remembered is not None:
        return remembered
    remembered = input_cache.load((kind, *key)) if public else None
    if remembered is None:
        tried: list[Args] = []
        with without_local_constants():
            draw(tried.append)
        remembered = tuple(tried)
        if public:
            input_cache.store((kind, *key), remembered, _exact)
    if len(_PASSING_INPUTS) < _MAX_REMEMBERED_CHECKS:
        _PASSING_INPUTS[key] = remembered
    return remembered


# Inputs of searches that passed, keyed by (check id, max_examples, lab data names: a check may
# draw the lab's kind of input) for explained searches and (check id, hidden_examples, seed, lab
# data names) for hidden ones; bounded, read-only once set.
_PASSING_INPUTS: dict[tuple[object, ...], tuple[Args, ...]] = {}
_MAX_REMEMBERED_CHECKS = 512
