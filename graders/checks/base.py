"""What every check shares: calling the student through the worker, searching for a failing
input (a fixed regression set first, then a derandomized Hypothesis search), and turning a
disagreement into a :class:`~graders.errors.CheckFailed` a student can act on.

A check is a plain function ``check(ctx) -> None`` that raises ``CheckFailed`` (the student's
code is wrong) or ``StudentCallError`` (the student's code raised, hung or crashed). The runner in
``graders.engine`` turns both into records; checks never write anything.

Each search has two parts. The *explained* search is derandomized: the same inputs for every
student, the failing input shrunk and shown. Anyone can learn those inputs, so when it passes a
*hidden* search follows, drawn from a seed derived from the course secret
(``graders.hidden``); its failures cost the same points but never show the input.
"""

from __future__ import annotations

import copy
import hashlib
import sys
import threading
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from graders.compare import (
    Mismatch,
    Tolerance,
    as_plain_array,
    compare,
    render_mismatch,
    render_value,
)
from graders.diagnose import Misconception, diagnose
from graders.errors import CheckFailed, StudentCodeError
from graders.hidden import CourseSecret
from graders.sandbox import CallOutcome, PlannedCall, WorkerSession, protocol
from graders.spec import Assignment, CheckSpec, Question

Args = tuple[Any, ...]


class StudentCallError(StudentCodeError):
    """The student's function raised, timed out or crashed the worker on a given input.

    Attributes
    ----------
    status
        ``"error"`` (it raised or crashed) or ``"timeout"``.
    message
        Student-facing text: the call, then the student's own traceback lines.
    fatal
        The call timed out or killed the worker: retrying other inputs would only cost time.
    """

    def __init__(self, status: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fatal = fatal


@dataclass(frozen=True)
class CheckContext:
    """Everything a check needs, and nothing it could write to."""

    session: WorkerSession
    assignment: Assignment
    question: Question
    spec: CheckSpec
    #: The public lab's data files the instructor supplied (``data.optional`` found in
    #: ``--data``), by name. When one is there the submission is the public lab: a check whose
    #: lab states the task differently (its data, how it calls the function) follows the lab.
    lab_data: Mapping[str, Path] = field(default_factory=dict)
    #: Seeds the hidden searches; ``None``: explained searches only.
    secret: CourseSecret | None = None

    @property
    def hidden_seed(self) -> int | None:
        """This check's hidden-search seed (a keyed hash: the secret itself stays here)."""
        if self.secret is None:
            return None
        return self.secret.seed(self.assignment.slug, self.question.id, self.spec.id)

    @property
    def name(self) -> str:
        """The student-facing name under test, e.g. ``"sigmoid"``."""
        return self.question.name

    @property
    def tolerance(self) -> Tolerance:
        """The check's tolerance, as declared in the assignment spec."""
        return Tolerance(rtol=self.spec.rtol, atol=self.spec.atol)


def render_call(name: str, args: Args, kwargs: dict[str, Any] | None = None) -> str:
    """``sigmoid(array([0., 1.]))``: the call as a student would type it."""
    parts = [render_value(a) for a in args]
    parts += [f"{k}={render_value(v)}" for k, v in (kwargs or {}).items()]
    return f"{name}({', '.join(parts)})"


def call_student(ctx: CheckContext, *args: Any, **kwargs: Any) -> Any:
    """Call the student's function in the worker and return its (decoded, untrusted) value.

    Raises
    ------
    StudentCallError
        When the call raised, timed out or crashed; the message names the call.
    """
    outcome = _outcome_of(ctx, args, kwargs)
    return _unwrap(ctx, outcome, args, kwargs)


def call_student_with_args(ctx: CheckContext, *args: Any, **kwargs: Any) -> CallOutcome:
    """Like :func:`call_student` but returns the whole outcome (for mutation checks)."""
    outcome = _outcome_of(ctx, args, kwargs)
    _unwrap(ctx, outcome, args, kwargs)
    return outcome


def _unwrap(ctx: CheckContext, outcome: CallOutcome, args: Args, kwargs: dict[str, Any]) -> Any:
    if outcome.status == "ok":
        return outcome.value
    status = "timeout" if outcome.status == "timeout" else "error"
    message = f"Calling {render_call(ctx.name, args, kwargs)} failed.\n{outcome.message}"
    hint = error_hint(outcome.message)
    if hint is not None:
        message += f"\nHint: {hint}"
    raise StudentCallError(status, message, fatal=outcome.status in ("timeout", "crashed"))


# Error texts that nearly always have one cause in this section's code, and what to do about it.
_ERROR_HINTS: tuple[tuple[str, str], ...] = (
    (
        "truth value of an array with more than one element is ambiguous",
        "`x == None` compares every element of an array; write `if initial_weights is None:`.",
    ),
    (
        "shapes",
        "check the orientation of your matrix products: the gradient is X.T @ (y - p), with "
        "X of shape (n, d) and y, p of shape (n,).",
    ),
    (
        "unsupported operand type(s) for -: 'function'",
        "a function name is used as a number; did you forget to call it with arguments?",
    ),
)


def error_hint(message: str) -> str | None:
    """A short, specific hint for a well-known error text, if one applies."""
    for needle, hint in _ERROR_HINTS:
        if needle in message:
            return hint
    return None


def fail(
    ctx: CheckContext,
    headline: str,
    *,
    args: Args = (),
    kwargs: dict[str, Any] | None = None,
    mismatch: Mismatch | None = None,
    diagnosis: str | None = None,
) -> CheckFailed:
    """Build the ``CheckFailed`` for a disagreement on one input (the caller raises it).

    The message leads with the call, then the labelled comparison; the counterexample is the
    call itself, so the shrunk input is what the student sees first.
    """
    call = render_call(ctx.name, args, kwargs) if args or kwargs else None
    lines = [headline]
    if call is not None:
        lines.append(f"Input: {call}")
    if mismatch is not None:
        lines.append(render_mismatch(mismatch, what=f"`{ctx.name}`"))
        if mismatch.kind == "nonfinite":
            # The rendering of NaN/inf leaves the tolerance out (none admits them); the student
            # still needs to know how close the finite entries must come.
            lines.append(
                f"Tolerance: {mismatch.tolerance}; NaN and inf never match a finite expected value."
            )
    return CheckFailed("\n".join(lines), counterexample=call, diagnosis=diagnosis)


# ------------------------------------------------------------------ calls made in batches
#
# A check's property makes one call or a few per input, and a search tries dozens of inputs:
# one round trip each would make the pipe, not the checking, the cost of grading. When the
# inputs are known in advance (the regression set, and the inputs a passing search generates),
# the property is first run in *discovery* mode: each student call it needs and that has no
# outcome yet stops it with ``_Pending``; the calls found for a window of inputs go to the worker
# in one ``call_many``, and discovery repeats until every property in the window ran through.
# Then the search runs as it always did, its calls answered from those outcomes (skipping the
# inputs discovery already saw pass on exactly those outcomes). The student's functions are
# called in the order the search would call them, with the same arguments (a repeated call once),
# and each outcome is the one a single call gives. Windows start at one input and grow only while
# calls are fast; the first failure ends the batching, so a wrong function costs at most the
# rest of the window its first failing input falls in.

_MAX_BATCH = 64  # calls per round trip
_MAX_ROUNDS = 4  # discovery rounds per window: properties make at most a few calls per input
_FAST_CALL = 0.02  # seconds a call may take on average for the window to keep growing


class _Pending(BaseException):
    """Discovery reached a student call whose outcome is not known yet (never escapes)."""

    def __init__(self, key: Hashable, call: PlannedCall) -> None:
        super().__init__(call.name)
        self.key = key
        self.call = call


@dataclass
class _Prefetched:
    """Outcomes fetched in batches for one search, keyed by the exact call (``_call_key``)."""

    session: WorkerSession
    outcomes: dict[Hashable, CallOutcome] = field(default_factory=dict)
    discovering: bool = False


_PREFETCHED: ContextVar[_Prefetched | None] = ContextVar("prefetched", default=None)


def _call_key(call: PlannedCall) -> Hashable:
    """Equal exactly when the calls send the same bytes (dtype, shape, data, -0.0, NaN payload)."""
    return (call.name, call.return_args, _exact(call.args), _exact(call.kwargs))


def _exact(value: object) -> Hashable:
    kind = type(value)
    if kind is np.ndarray:
        array: np.ndarray = value  # type: ignore[assignment]
        return ("nd", array.dtype.str, array.shape, array.tobytes())
    if kind is float:
        return ("f", value.hex())  # type: ignore[attr-defined]
    if kind is tuple or kind is list:
        return (kind.__name__, tuple([_exact(item) for item in value]))  # type: ignore[attr-defined]
    if kind is dict:
        return ("d", tuple((_exact(k), _exact(v)) for k, v in value.items()))  # type: ignore[attr-defined]
    if value is None or kind in (bool, int, str):
        return (kind.__name__, value)
    return ("wire", protocol.encode(value))  # numpy scalars, pandas objects, FunctionSpec


def _copied(value: Any) -> Any:
    """A copy a property may modify without changing the stored outcome."""
    kind = type(value)
    if kind is np.ndarray:
        return value.copy()
    if kind is tuple or kind is list:
        return kind(_copied(item) for item in value)
    if value is None or kind in (bool, int, float, str):
        return value
    return copy.deepcopy(value)


def _outcome_of(ctx: CheckContext, args: Args, kwargs: dict[str, Any]) -> CallOutcome:
    """The outcome of calling the student: fetched already in a batch, else made now.

    Every call asks for the arguments back (the worker sends them anyway): a mutation check's
    call must look like any other, and every call is watched for mutation (``_watch``).
    """
    call = PlannedCall(ctx.name, args, kwargs, True, ctx.assignment.limits.call_timeout)
    batch = _PREFETCHED.get()
    if batch is not None and batch.session is ctx.session:
        key = _call_key(call)
        known = batch.outcomes.get(key)
        if known is not None:  # a property may modify what it is given: hand out copies
            after = None if known.args_after is None else _copied(known.args_after)
            value = _copied(known.value)
            return CallOutcome(known.status, value, known.message, after, known.seconds)
        if batch.discovering:
            raise _Pending(key, call)
    outcome = ctx.session.call(call.name, *args, timeout=call.timeout, return_args=True, **kwargs)
    _watch(ctx.session, call, outcome)
    return outcome


def _reusable(outcome: CallOutcome) -> bool:
    """False for a value refused only because a batch gives each call a share of the cap."""
    values = [outcome.value, *(outcome.args_after or ())]
    return not any(isinstance(v, protocol.Unsupported) and v.type_name == "value" for v in values)


# ------------------------------------------------------------------ every call watched
#
# A function that changes its arguments in place must not escape by behaving on the one call a
# mutation check makes (recognised by its input, its place in the order, or how it travels).
# Every call asks for the arguments back and is compared with what was sent; the first call of
# each function that changed one is remembered for the session, and the mutation check fails on
# it as on its own call. Only the mutation check's own call must come back with its arguments:
# when that report is missing the check fails (closed), never passes.


@dataclass(frozen=True)
class _Mutation:
    """The first call of a function that changed an argument (``position`` counts from 0)."""

    position: int
    call: PlannedCall
    shown: bool  # False: a hidden-search call, whose input must not be shown


_MUTATIONS: weakref.WeakKeyDictionary[object, dict[str, _Mutation]] = weakref.WeakKeyDictionary()
_IN_HIDDEN: ContextVar[bool] = ContextVar("in_hidden_search", default=False)


def _watch(session: object, call: PlannedCall, outcome: CallOutcome) -> None:
    """Remember ``call`` if its outcome shows an argument changed (the first such per name)."""
    after = outcome.args_after
    if after is None or len(after) != len(call.args):
        return
    position = _changed(call.args, after)
    if position is None:
        return
    try:
        seen = _MUTATIONS.setdefault(session, {})
    except TypeError:  # a stand-in session that cannot be weakly referenced
        return
    seen.setdefault(call.name, _Mutation(position, call, shown=not _IN_HIDDEN.get()))


def _changed(before: Sequence[Any], after: Sequence[Any]) -> int | None:
    """The first position whose argument came back different; a value too large for its share
    of a batch's reply (``Unsupported``) is no evidence either way."""
    for position, (sent, back) in enumerate(zip(before, after, strict=False)):
        if _over_budget(back):
            continue
        if not _identical(sent, back):
            return position
    return None


def _over_budget(value: object) -> bool:
    return isinstance(value, protocol.Unsupported) and value.type_name == "value"


def _prefetch(ctx: CheckContext, prop: Callable[[Args], None], inputs: Sequence[Args]) -> int:
    """Fetch, in batches, the outcomes ``prop`` will need on ``inputs`` (see above).

    Returns
    -------
    int
        How many leading inputs ``prop`` already ran through, passing, on fetched outcomes:
        run again on the same outcomes, it would only pass again.
    """
    batch = _PREFETCHED.get()
    if batch is None:
        return 0
    position, size = 0, 1
    while position < len(inputs):
        window = inputs[position : position + size]
        calls = seconds = 0.0
        for _ in range(_MAX_ROUNDS):
            wanted: dict[Hashable, PlannedCall] = {}
            batch.discovering = True
            try:
                for args in window:
                    try:
                        prop(args)
                    except _Pending as pending:
                        wanted.setdefault(pending.key, pending.call)
                    except Exception:  # this input fails: the search stops here or before
                        return position
            finally:
                batch.discovering = False
            if not wanted:
                break  # every input of the window ran through and passed
            planned = list(wanted.values())[:_MAX_BATCH]
            outcomes = ctx.session.call_many(planned)
            for key, call, outcome in zip(wanted, planned, outcomes, strict=False):  # a prefix
                _watch(ctx.session, call, outcome)
                if _reusable(outcome):
                    batch.outcomes[key] = outcome
            if len(outcomes) < min(len(wanted), _MAX_BATCH) or any(
                o.status in ("timeout", "crashed") for o in outcomes
            ):
                return position  # the batch ended early: the search meets that outcome
            calls += len(outcomes)
            seconds += sum(o.seconds for o in outcomes)
        else:
            return position  # a property making many calls per input: leave it to the search
        position += len(window)
        fast = calls == 0 or seconds / calls < _FAST_CALL
        size = min(size * 4, _MAX_BATCH) if fast else 1
    return position


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


def search(
    ctx: CheckContext,
    prop: Callable[[Args], None],
    *,
    regression: Iterable[Args] = (),
    strategy: st.SearchStrategy[Args] | None = None,
) -> None:
    """Run ``prop`` on every fixed regression input, then on Hypothesis-generated ones: the
    explained search, then (when it passed and the context has a secret) the hidden one.

    ``prop`` raises ``CheckFailed`` or ``StudentCallError`` on a bad input; Hypothesis shrinks
    towards the smallest such input and re-raises the failure for it. Once the student's code
    has timed out or crashed, every later example fails the same way without calling it again,
    so shrinking cannot cost a time budget per step.

    The derandomized search generates the same inputs for every submission until one fails, so
    the inputs of a passing search are generated once per process and check (a dry run of the
    same search) and replayed without Hypothesis. Only when a replayed input fails does the
    real search run, which finds the same first failure and shrinks it: verdicts and messages
    are exactly those of a fresh search. The student's calls on the regression and replayed
    inputs are made in batches (see ``_prefetch``).

    The hidden search draws ``spec.hidden_examples`` inputs from the seed ``ctx.hidden_seed``
    (also once per process, check and seed) and replays them; its first failure ends the check
    with a message that shows no input, expected or actual value (so nothing to shrink).
    """
    regression = tuple(regression)
    generated = _generated_inputs(ctx, strategy) if strategy is not None else ()
    hidden = _hidden_inputs(ctx, strategy) if strategy is not None else ()
    token = _PREFETCHED.set(_Prefetched(ctx.session))
    try:
        _explained_search(ctx, prop, regression, generated, strategy)
        if hidden:
            _hidden_search(ctx, prop, hidden)
    finally:
        _PREFETCHED.reset(token)


def _explained_search(
    ctx: CheckContext,
    prop: Callable[[Args], None],
    regression: tuple[Args, ...],
    generated: tuple[Args, ...],
    strategy: st.SearchStrategy[Args] | None,
) -> None:
    passed = _prefetch(ctx, prop, regression + generated)
    for args in regression[passed:]:
        prop(args)
    if strategy is None:
        return
    try:
        for args in generated[max(passed - len(regression), 0) :]:
            prop(args)
    except (CheckFailed, StudentCallError):
        pass  # fall through to the real search, which reproduces and shrinks this failure
    else:
        return
    poisoned: list[StudentCallError] = []

    def guarded(args: Args) -> None:
        if poisoned:
            raise poisoned[0]
        try:
            prop(args)
        except StudentCallError as exc:
            if exc.fatal:
                poisoned.append(exc)
            raise

    run = _hypothesis_search(ctx, strategy, guarded)
    with without_local_constants():
        run()


def _hidden_search(
    ctx: CheckContext, prop: Callable[[Args], None], inputs: tuple[Args, ...]
) -> None:
    token = _IN_HIDDEN.set(True)
    try:
        passed = _prefetch(ctx, prop, inputs)
        for args in inputs[passed:]:
            prop(args)
    except CheckFailed as exc:
        raise hidden_failure(ctx, "does not pass this check", diagnosis=exc.diagnosis) from None
    except StudentCallError as exc:
        what = "ran past its time budget" if exc.status == "timeout" else "raised an error"
        raise hidden_failure(ctx, what, hint=error_hint(exc.message)) from None
    finally:
        _IN_HIDDEN.reset(token)


def hidden_failure(
    ctx: CheckContext, what: str, *, diagnosis: str | None = None, hint: str | None = None
) -> CheckFailed:
    """The failure of a hidden search: the check, what went wrong, never the input or values."""
    lines = [
        f"`{ctx.name}` fails on hidden inputs: on one of the inputs this check draws in secret "
        f"(never shown), it {what} ({ctx.spec.id.replace('_', ' ')}).",
        "Feedback shows example inputs only: make the function right for every valid input, "
        "not just for those.",
    ]
    if hint is not None:
        lines.append(f"Hint: {hint}")
    return CheckFailed("\n".join(lines), diagnosis=diagnosis)


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
    remembered = _PASSING_INPUTS.get(key)
    if remembered is None:
        tried: list[Args] = []
        run = _hypothesis_search(ctx, strategy, tried.append)
        with without_local_constants():
            run()
        remembered = tuple(tried)
        if len(_PASSING_INPUTS) < _MAX_REMEMBERED_CHECKS:
            _PASSING_INPUTS[key] = remembered
    return remembered


def _hidden_inputs(ctx: CheckContext, strategy: st.SearchStrategy[Args]) -> tuple[Args, ...]:
    """The hidden search's inputs for this check and secret (remembered per process)."""
    seed_value = ctx.hidden_seed
    count = ctx.spec.hidden_examples if seed_value is not None else 0
    if seed_value is None or count < 1:
        return ()
    key = (ctx.spec.id, count, seed_value, tuple(sorted(ctx.lab_data)))
    remembered = _PASSING_INPUTS.get(key)
    if remembered is None:
        tried: list[Args] = []
        with without_local_constants():
            _hidden_run(strategy, seed_value, count, tried.append)()
        remembered = tuple(tried)
        if len(_PASSING_INPUTS) < _MAX_REMEMBERED_CHECKS:
            _PASSING_INPUTS[key] = remembered
    return remembered


# Inputs of searches that passed, keyed by (check id, max_examples, lab data names: a check may
# draw the lab's kind of input) for explained searches and (check id, hidden_examples, seed, lab
# data names) for hidden ones; bounded, read-only once set.
_PASSING_INPUTS: dict[tuple[object, ...], tuple[Args, ...]] = {}
_MAX_REMEMBERED_CHECKS = 512


# Hypothesis mixes number literals found in "local" modules (any imported module outside
# site-packages and the standard library: here graders/ and reference/ themselves, and whatever
# else the grading process happened to import) into the inputs it generates. Which of those are
# loaded differs between `grader check`, a batch and a test run, and grows when a module is
# imported lazily, so the generated inputs -- and with them verdicts and counterexamples -- would
# depend on the grading process instead of the submission. During a search the local pool is
# pinned to empty; Hypothesis's own built-in edge cases (0, -0.0, tiny and huge values, ...)
# are still drawn.
_pin_lock = threading.Lock()
_pin_depth = 0
_unpinned: list[Callable[[], Any]] = []


def _hypothesis_providers() -> Any:
    """Hypothesis's provider module if it has the local-constants feature (6.131+), else None."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a different Hypothesis layout: nothing to pin
        return None
    if not callable(getattr(providers, "_get_local_constants", None)):
        return None  # pragma: no cover - older Hypothesis without the feature
    return providers


@contextmanager
def without_local_constants() -> Iterator[None]:
    """Within the block, Hypothesis draws no literals from modules loaded in this process.

    Re-entrant and thread-safe: the first entry swaps the pool out, the last exit restores it.
    The cache of permitted constants is emptied on both edges, as Hypothesis itself does when
    its pool changes.
    """
    global _pin_depth
    providers = _hypothesis_providers()
    if providers is None:  # pragma: no cover
        yield
        return
    empty = providers.Constants()
    with _pin_lock:
        if _pin_depth == 0:
            _unpinned.append(providers._get_local_constants)
            setattr(providers, "_get_local_constants", lambda: empty)  # noqa: B010
            providers.CONSTANTS_CACHE.cache.clear()
        _pin_depth += 1
    try:
        yield
    finally:
        with _pin_lock:
            _pin_depth -= 1
            if _pin_depth == 0:
                setattr(providers, "_get_local_constants", _unpinned.pop())  # noqa: B010
                providers.CONSTANTS_CACHE.cache.clear()


def agree_with_reference(
    ctx: CheckContext,
    reference: Callable[..., Any],
    *,
    regression: Sequence[Args],
    strategy: st.SearchStrategy[Args] | None,
    normalise: Callable[[Any], Any] | None = None,
    headline: str | None = None,
    misconceptions: Sequence[Misconception] = (),
    **compare_options: Any,
) -> None:
    """The workhorse: the student's function agrees with ``reference`` on every input tried.

    Parameters
    ----------
    reference
        Trusted implementation, called with the same positional arguments.
    normalise
        Applied to the student's value before comparing (accepted return conventions, e.g. the
        first element of ``(weights, history)``); it receives the re-validated value.
    misconceptions
        Known mistaken variants; the first whose output matches the student's names the
        diagnosis.
    compare_options
        Passed to :func:`graders.compare.compare` (``shape_strict``, ``require_integer`` ...).
    """

    def prop(args: Args) -> None:
        raw = call_student(ctx, *args)  # first: discovery stops here until the outcome is known
        expected = expected_value(reference, args)
        actual = normalise(raw) if normalise is not None else raw
        checked = as_plain_array(actual)
        mismatch = (
            checked
            if isinstance(checked, Mismatch)
            else compare(expected, checked, ctx.tolerance, **compare_options)
        )
        if mismatch is not None:
            raise fail(
                ctx,
                headline or f"`{ctx.name}` does not agree with the reference.",
                args=args,
                mismatch=mismatch,
                diagnosis=diagnose(misconceptions, args, actual, ctx.tolerance, **compare_options),
            )

    search(ctx, prop, regression=regression, strategy=strategy)


# What module-level references return on the inputs tried, kept for the life of the process:
# every submission is checked on the same inputs, so a batch computes each expected value once
# rather than once per student. Only small plain inputs and array or number results are kept,
# the arrays read-only so that no caller can change what the next submission is compared with.
_EXPECTED: dict[Hashable, Any] = {}
_MAX_EXPECTED = 20_000
_MAX_EXPECTED_INPUT_BYTES = 1 << 16
_PLAIN_ARGUMENTS = (int, float, bool, str, type(None))


def expected_value(reference: Callable[..., Any], args: Args) -> Any:
    """``reference(*args)``, remembered per process when it is safe to reuse (see above)."""
    if not _memoisable(reference, args):
        return reference(*args)
    key = (reference, _exact(args))
    known = _EXPECTED.get(key, _EXPECTED)
    if known is not _EXPECTED:
        return known
    value = reference(*args)
    if len(_EXPECTED) < _MAX_EXPECTED and _is_frozen_result(value):
        _EXPECTED[key] = value
    return value


def _memoisable(reference: Callable[..., Any], args: Args) -> bool:
    """A module-level function (one object per process, so a safe key) of small plain data."""
    module = sys.modules.get(getattr(reference, "__module__", None) or "")
    if getattr(module, getattr(reference, "__name__", ""), None) is not reference:
        return False  # a lambda or closure: the same code may compute something else
    size = 0
    for arg in args:
        if type(arg) is np.ndarray:
            size += arg.nbytes
        elif type(arg) not in _PLAIN_ARGUMENTS:
            return False
    return size <= _MAX_EXPECTED_INPUT_BYTES


def _is_frozen_result(value: Any) -> bool:
    """True for a number, or an array (then made read-only), or a tuple of those."""
    if type(value) is tuple:
        return all(type(item) is not tuple and _is_frozen_result(item) for item in value)
    if type(value) is np.ndarray:
        if value.dtype.hasobject:
            return False
        value.flags.writeable = False
        return True
    return type(value) in (float, int, bool) or isinstance(value, np.generic)


def fingerprint(*parts: object) -> str:
    """A short stable hash of a failure's observable behaviour, for grouping a class's errors."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8", "replace"))
        digest.update(b"\x00")
    return digest.hexdigest()[:12]


def assert_inputs_unchanged(ctx: CheckContext, args: Args, **kwargs: Any) -> None:
    """Call the student with ``args``; fail if this call, or any earlier call of the same
    function in this submission's grading, changed a positional argument.

    The worker sends the arguments back as they were after every call; they must equal, bit for
    bit, what was sent (in-place updates such as ``w += step`` change the caller's array). This
    call is like any other, and earlier calls count too (see ``_watch``). If this call's
    arguments do not come back, the check fails: it cannot confirm they were left alone.
    """
    outcome = call_student_with_args(ctx, *args, **kwargs)
    after = outcome.args_after
    if after is None or len(after) != len(args) or any(_over_budget(a) for a in after):
        raise fail(
            ctx,
            f"`{ctx.name}` could not be checked for changing its arguments: they did not come "
            "back from the call, so the grader cannot confirm they were left unchanged. This "
            "happens when code interferes with how the grader calls it.",
            args=args,
            kwargs=kwargs,
        )
    try:
        seen = _MUTATIONS.get(ctx.session, {}).get(ctx.name)
    except TypeError:  # a stand-in session that cannot be weakly referenced
        seen = None
    position = _changed(args, after)
    if seen is None and position is not None:
        seen = _Mutation(position, PlannedCall(ctx.name, args, kwargs), shown=True)
    if seen is None and outcome.value is None:
        # A stub (`pass`) leaves its arguments alone because it does nothing: no point for that.
        raise fail(
            ctx,
            f"`{ctx.name}` returned None: it must return its result (a function that computes "
            "nothing has nothing to leave unchanged yet).",
            args=args,
            kwargs=kwargs,
        )
    if seen is None:
        return
    where = "" if seen.shown else " on one of the hidden inputs (not shown)"
    raise fail(
        ctx,
        f"`{ctx.name}` changed its argument #{seen.position + 1} in place{where}. A function "
        "must not modify the arrays it is given (the caller still uses them): work on a copy, "
        "e.g. `w = w.copy()` or `w = w + step` instead of `w += step`.",
        args=seen.call.args if seen.shown else (),
        kwargs=dict(seen.call.kwargs) if seen.shown else None,
    )


def _identical(before: Any, after: Any) -> bool:
    if type(before) in _PLAIN_ARGUMENTS:  # immutable: compared bit for bit (NaN equals NaN)
        return type(after) is type(before) and _exact(before) == _exact(after)
    if isinstance(before, np.ndarray):
        if (  # the common case, cheaply: every call is compared (see ``_watch``)
            type(after) is np.ndarray
            and after.dtype == before.dtype
            and after.shape == before.shape
            and after.tobytes() == before.tobytes()
        ):
            return True
        checked = as_plain_array(after)
        if isinstance(checked, Mismatch):
            return False
        return before.shape == checked.shape and bool(
            np.array_equal(before, checked, equal_nan=True)
        )
    equals = getattr(before, "equals", None)  # pandas DataFrame / Series
    if callable(equals):
        return bool(equals(after))
    return bool(before == after)
