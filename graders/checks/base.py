"""What every check shares: calling the student through the worker, searching for a failing
input (a fixed regression set first, then a derandomized Hypothesis search), and turning a
disagreement into a :class:`~graders.errors.CheckFailed` a student can act on.

A check is a function ``check(ctx) -> None``, listed under its id as a
:class:`~graders.checks.check.Check` record,
that raises ``CheckFailed`` (the student's code is wrong) or ``StudentCallError`` (the student's
code raised, hung or crashed). The runner in ``graders.engine`` turns both into records; checks
never write anything.

Each search has two parts. The *explained* search is derandomized: the same inputs for every
student, the failing input shrunk and shown. Anyone can learn those inputs, so when it passes a
*hidden* search follows, drawn from a seed derived from the course secret
(``graders.hidden``); its failures cost the same points but never show the input.

One reason to change: the check API (what a check may call and how a failure reads). The speed
layer under it, which changes no verdict or message, lives beside it: ``batching`` (student calls
sent in batches), ``replay`` (search inputs drawn once per process), ``expected`` (reference
values remembered), ``local_constants`` (the Hypothesis patch); ``watch`` watches every call for
arguments changed in place, and ``keys`` says when two values are the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from graders.checks.batching import (
    _PREFETCHED,
    _call_key,
    _copied,
    _Pending,
    _prefetch,
    _Prefetched,
)
from graders.checks.expected import expected_value
from graders.checks.local_constants import without_local_constants
from graders.checks.replay import _generated_inputs, _hidden_inputs, _hypothesis_search
from graders.checks.watch import _IN_HIDDEN, _MUTATIONS, _changed, _Mutation, _over_budget, _watch
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
from graders.sandbox import CallOutcome, PlannedCall, WorkerSession
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

    def lab_file(self, role: str) -> Path | None:
        """The public lab's data file of ``role`` (``[data.roles]``), when the instructor
        supplied it: then the submission is graded as that lab. ``None`` otherwise."""
        name = self.assignment.lab_data_name(role)
        return None if name is None else self.lab_data.get(name)

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
    inputs are made in batches (see ``graders.checks.batching``).

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
    call is like any other, and earlier calls count too (see ``graders.checks.watch``). If this
    call's arguments do not come back, the check fails: it cannot confirm they were left alone.
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
