"""Validate the grading of an assignment against known answers (``grader validate``).

Three kinds of known answer, all graded through the real pipeline (load, sandbox, checks) like a
student's file:

reference
    A submission built from ``reference/`` (the modules defining the assignment's function names
    are inlined into one self-contained ``.py``): it must get full marks on every question,
    optional ones included.
samples
    Every ``examples/<stem>.py|.ipynb``: graded as its ``<stem>.expected.toml`` says
    (:func:`graders.samples.mismatches`).
mutants
    Small, realistic wrong versions of the reference, listed in
    ``assignments/<slug>/mutants.toml`` as textual edits of the built reference source. Each must
    fail every check it ``kills`` and pass every check outside ``kills`` and ``also_affects``: a
    mutant proves a check catches its bug *and* that the unrelated checks do not blame the wrong
    function.

The catalogue format::

    [reference]                 # optional
    append = '''cur_x = ...'''  # statements run after the inlined modules (value questions)

    [[mutants]]
    id = "sigmoid-sign"
    description = "sigmoid(-z): the minus sign of exp(-z) dropped"
    kills = ["sigmoid_matches_reference"]        # checks that must fail
    also_affects = ["gradient_step_matches_reference"]   # checks that may fail too
    [[mutants.edits]]
    old = "text occurring exactly once in the built reference source"
    new = "its replacement"

``grader validate --assignment SLUG --print-reference`` shows the built source the edits apply
to. It never imports ``reference`` (the worker cannot, by design): intra-package imports are
removed, and graded functions whose reference returns a NamedTuple are wrapped to return a plain
tuple, since only plain data crosses the sandbox boundary. Everything the trusted side does here
is read files, apply string edits and compile (never run) the results; running happens in the
sandbox.
"""

from __future__ import annotations

import ast
import concurrent.futures
import importlib.util
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from graders.checks.registry import validate_assignment
from graders.engine import grade_path, sandbox_config
from graders.errors import SpecError
from graders.results import SubmissionResult
from graders.samples import iter_samples, load_expectation, mismatches
from graders.spec import Assignment, load_assignment

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "CATALOGUE_NAME",
    "AssignmentReport",
    "Catalogue",
    "Edit",
    "Job",
    "Mutant",
    "Verdict",
    "apply_mutant",
    "build_reference_source",
    "judge_mutant",
    "judge_reference",
    "load_catalogue",
    "plan_jobs",
    "reference_modules",
    "run_jobs",
    "validate",
]

CATALOGUE_NAME = "mutants.toml"
"""The mutant catalogue's file name inside ``assignments/<slug>/``."""

MIN_MUTANTS = 12
"""Fewest mutants a catalogue may hold (a smaller one says little about the checks)."""

JobKind = Literal["reference", "sample", "mutant"]


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (which must occur exactly once in the built source) by ``new``."""

    old: str
    new: str


@dataclass(frozen=True)
class Mutant:
    """A wrong version of the reference and the checks that must catch it.

    Attributes
    ----------
    id, description
        Stable name and what the mistake is, in a student's terms.
    edits
        Applied in order to the built reference source.
    kills
        Check ids that must fail (``failed``, ``error``, ``timeout`` or ``missing``).
    also_affects
        Check ids that may fail too (a sigmoid bug reaches every function that calls sigmoid);
        every other check of the assignment must pass.
    """

    id: str
    description: str
    edits: tuple[Edit, ...]
    kills: tuple[str, ...]
    also_affects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """A parsed ``mutants.toml``: text appended to the reference, and the mutants."""

    path: Path
    append: str
    mutants: tuple[Mutant, ...]


def load_catalogue(assignment: Assignment, *, minimum: int | None = None) -> Catalogue:
    """Parse and check ``assignments/<slug>/mutants.toml``.

    ``minimum`` is the fewest mutants accepted (default :data:`MIN_MUTANTS`).

    Raises
    ------
    SpecError
        Missing or unreadable file, fewer than ``minimum`` mutants, a duplicate id, an empty
        ``kills``, or a check id that the assignment does not list; the message names the
        mutant and the field.
    """
    path = assignment.directory / CATALOGUE_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: cannot read the mutant catalogue: {exc}") from exc
    known = {c.id for q in assignment.questions for c in q.checks}
    reference = raw.get("reference", {})
    if not isinstance(reference, dict) or not isinstance(reference.get("append", ""), str):
        raise SpecError(f"{path}: [reference] append must be a string of Python statements")
    mutants_raw = raw.get("mutants", [])
    if not isinstance(mutants_raw, list):
        raise SpecError(f"{path}: mutants must be an array of tables ([[mutants]])")
    mutants = tuple(_parse_mutant(m, i, path, known) for i, m in enumerate(mutants_raw))
    ids = [m.id for m in mutants]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SpecError(f"{path}: duplicate mutant ids: {', '.join(duplicates)}")
    minimum = MIN_MUTANTS if minimum is None else minimum
    if len(mutants) < minimum:
        raise SpecError(f"{path}: {len(mutants)} mutants; a catalogue needs at least {minimum}")
    return Catalogue(path=path, append=str(reference.get("append", "")), mutants=mutants)


def _parse_mutant(raw: Any, index: int, path: Path, known: set[str]) -> Mutant:
    where = f"{path}: mutants[{index}]"
    if not isinstance(raw, dict):
        raise SpecError(f"{where} must be a table")
    mutant_id = raw.get("id")
    if not isinstance(mutant_id, str) or not mutant_id:
        raise SpecError(f"{where}: id must be a non-empty string")
    where = f"{path}: mutant {mutant_id!r}"
    description = raw.get("description")
    if not isinstance(description, str) or not description:
        raise SpecError(f"{where}: description must be a non-empty string")
    edits_raw = raw.get("edits")
    if not isinstance(edits_raw, list) or not edits_raw:
        raise SpecError(f"{where}: needs at least one [[mutants.edits]] with old and new")
    edits = []
    for j, edit in enumerate(edits_raw):
        if not (
            isinstance(edit, dict)
            and isinstance(edit.get("old"), str)
            and isinstance(edit.get("new"), str)
            and edit["old"]
        ):
            raise SpecError(f"{where}: edits[{j}] needs a non-empty string old and a string new")
        edits.append(Edit(old=edit["old"], new=edit["new"]))
    kills = _check_ids(raw.get("kills"), f"{where}: kills", known)
    if not kills:
        raise SpecError(f"{where}: kills is empty; name the checks that must catch this mutant")
    also = _check_ids(raw.get("also_affects", []), f"{where}: also_affects", known)
    both = sorted(set(kills) & set(also))
    if both:
        raise SpecError(f"{where}: {', '.join(both)} listed in both kills and also_affects")
    unknown = set(raw) - {"id", "description", "edits", "kills", "also_affects"}
    if unknown:
        raise SpecError(f"{where}: unknown fields {', '.join(sorted(unknown))}")
    return Mutant(
        id=mutant_id, description=description, edits=tuple(edits), kills=kills, also_affects=also
    )


def _check_ids(value: Any, where: str, known: set[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{where} must be a list of check ids")
    unknown = [v for v in value if v not in known]
    if unknown:
        raise SpecError(
            f"{where} names {', '.join(unknown)}, not a check of this assignment; "
            f"known: {', '.join(sorted(known))}"
        )
    return tuple(value)


# --------------------------------------------------------------------------- the built reference


@dataclass(frozen=True)
class _Module:
    name: str
    path: Path
    tree: ast.Module
    defines: frozenset[str]
    needs: tuple[str, ...]


def _reference_dir() -> Path:
    # find_spec locates the package without running it: validate reads its files, never imports.
    spec = importlib.util.find_spec("reference")
    if spec is None or not spec.submodule_search_locations:
        raise SpecError("the reference package cannot be found; is the grader installed?")
    return Path(next(iter(spec.submodule_search_locations)))


def _intra_package(node: ast.stmt) -> str | None:
    """The reference module an import statement takes names from, if it is one of ours."""
    if isinstance(node, ast.ImportFrom):
        if node.level > 0:
            return node.module or ""
        if node.module == "reference" or (node.module or "").startswith("reference."):
            return node.module.removeprefix("reference").removeprefix(".")  # type: ignore[union-attr]
    if isinstance(node, ast.Import) and any(
        a.name == "reference" or a.name.startswith("reference.") for a in node.names
    ):
        return ""
    return None


def _parse_module(path: Path) -> _Module:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    defines: set[str] = set()
    needs: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defines.add(node.name)
        elif isinstance(node, ast.Assign):
            defines.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defines.add(node.target.id)
        source = _intra_package(node)
        if source is not None:
            if not source or not isinstance(node, ast.ImportFrom):
                raise SpecError(
                    f"{path}, line {node.lineno}: only `from reference.<module> import name` "
                    "can be inlined; import names, not modules, from the reference package"
                )
            needs.append(source)
    for inner in ast.walk(tree):
        if isinstance(inner, (ast.Import, ast.ImportFrom)) and inner not in tree.body:
            if _intra_package(inner) is not None:
                raise SpecError(
                    f"{path}, line {inner.lineno}: an import of the reference package inside a "
                    "function cannot be inlined; import at the top of the module"
                )
    return _Module(path.stem, path, tree, frozenset(defines), tuple(needs))


def reference_modules(assignment: Assignment) -> tuple[str, ...]:
    """The reference modules the built source inlines, dependencies first.

    A module is needed if it defines one of the assignment's function names, or if a needed
    module imports from it.

    Raises
    ------
    SpecError
        If no reference module defines a graded function name.
    """
    folder = _reference_dir()
    modules = {
        p.stem: _parse_module(p) for p in sorted(folder.glob("*.py")) if p.stem != "__init__"
    }
    roots: list[str] = []
    for question in assignment.questions:
        if question.kind != "function":
            continue
        owners = [m.name for m in modules.values() if question.name in m.defines]
        if not owners:
            raise SpecError(
                f"{assignment.slug}: no module of {folder} defines `{question.name}`, so the "
                "reference cannot be built"
            )
        roots.extend(o for o in owners if o not in roots)
    ordered: list[str] = []

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in chain:
            raise SpecError(f"reference modules import each other: {' -> '.join(chain)}")
        if name not in modules:
            raise SpecError(f"reference module {name!r} (imported by {chain[-1]}) not found")
        for needed in modules[name].needs:
            visit(needed, (*chain, name))
        ordered.append(name)

    for root in roots:
        visit(root, ())
    return tuple(ordered)


def _module_body(module: _Module, rename: dict[str, str]) -> tuple[str, bool]:
    """The module's source without its intra-package and ``__future__`` imports.

    ``from reference.x import a as b`` becomes ``b = a``, so an alias keeps working; every read
    of a name in ``rename`` becomes a read of its new name (see :func:`_plain_tuple_names`).
    """
    lines = module.path.read_text(encoding="utf-8").splitlines()
    # ast columns count UTF-8 bytes: edit the lines as bytes, rightmost first.
    raw = [line.encode("utf-8") for line in lines]
    reads = sorted(
        (
            (node.lineno - 1, node.col_offset, node.end_col_offset or 0, rename[node.id])
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in rename
        ),
        reverse=True,
    )
    for row, start, end, new in reads:
        raw[row] = raw[row][:start] + new.encode("utf-8") + raw[row][end:]
    lines = [line.decode("utf-8") for line in raw]
    drop: dict[int, str] = {}
    future = False
    for node in module.tree.body:
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if is_future or _intra_package(node) is not None:
            assert isinstance(node, ast.ImportFrom) and node.end_lineno is not None
            future = future or is_future
            aliases = "; ".join(
                f"{a.asname} = {a.name}" for a in node.names if a.asname and a.asname != a.name
            )
            drop[node.lineno - 1] = aliases
            for number in range(node.lineno, node.end_lineno):
                drop[number] = ""
    kept = [drop[i] if i in drop else line for i, line in enumerate(lines)]
    kept = [line for i, line in enumerate(kept) if i not in drop or line]
    return "\n".join(kept).strip("\n") + "\n", future


def _plain_tuple_names(assignment: Assignment, modules: Sequence[_Module]) -> tuple[str, ...]:
    """Graded function names whose reference returns a NamedTuple of the inlined modules.

    Only plain data crosses the sandbox boundary and a tuple subclass is refused there, while
    the questions ask for a tuple (``(mu_hat, sigma_hat)``, ``(point, path)``). These functions
    are wrapped to return a plain tuple; the reference's own callers (``multi_start`` reads
    ``gradient_descent(...).point``) keep calling the original under ``_reference_<name>``.
    """
    named_tuples = {
        node.name
        for module in modules
        for node in module.tree.body
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id == "NamedTuple" for b in node.bases)
    }
    returns = {
        node.name: ast.unparse(node.returns).strip("'\"")
        for module in modules
        for node in module.tree.body
        if isinstance(node, ast.FunctionDef) and node.returns is not None
    }
    return tuple(
        q.name
        for q in assignment.questions
        if q.kind == "function" and returns.get(q.name) in named_tuples
    )


def _plain_tuple_adapters(names: Sequence[str]) -> str:
    lines = [
        f"# {'-' * 20} plain tuples: the sandbox returns plain data only {'-' * 20}",
        "",
        "import functools as _functools",
        "",
        "",
        "def _plain_tuple(function, name):",
        "    @_functools.wraps(function)",
        "    def plain(*args, **kwargs):",
        "        return tuple(function(*args, **kwargs))",
        "",
        "    plain.__name__ = plain.__qualname__ = name",
        "    return plain",
        "",
        "",
    ]
    for name in names:
        lines += [f"_reference_{name} = {name}", f"{name} = _plain_tuple({name}, {name!r})"]
    return "\n".join(lines) + "\n"


def build_reference_source(assignment: Assignment, append: str = "") -> str:
    """One self-contained ``.py`` answering every question of ``assignment`` with the reference.

    The needed modules of ``reference/`` (see :func:`reference_modules`) are inlined in
    dependency order, their intra-package imports removed and third-party imports kept; graded
    functions returning a NamedTuple are wrapped to return a plain tuple; then ``append``
    (statements for value questions, from the catalogue) is added.

    Raises
    ------
    SpecError
        If two inlined modules define the same name, or the result does not compile.
    """
    folder = _reference_dir()
    names = reference_modules(assignment)
    modules = [_parse_module(folder / f"{name}.py") for name in names]
    wrapped = _plain_tuple_names(assignment, modules)
    rename = {name: f"_reference_{name}" for name in wrapped}
    parts: list[str] = []
    owner: dict[str, str] = {}
    any_future = False
    for module in modules:
        for defined in sorted(module.defines):
            if defined in owner and not (defined.startswith("__") and defined.endswith("__")):
                raise SpecError(
                    f"reference modules {owner[defined]} and {module.name} both define "
                    f"`{defined}`; inlined together, the second would replace the first"
                )
            owner[defined] = module.name
        body, future = _module_body(module, rename)
        any_future = any_future or future
        parts.append(f"# {'-' * 20} reference/{module.name}.py {'-' * 20}\n\n{body}")
    if wrapped:
        parts.append(_plain_tuple_adapters(wrapped))
    if append.strip():
        parts.append(f"# {'-' * 20} appended by {CATALOGUE_NAME} {'-' * 20}\n\n{append.strip()}\n")
    header = (
        f'"""Reference solution of {assignment.slug}, built by `grader validate`.\n\n'
        f'Inlined from reference/ ({", ".join(names)}); edit those, not this file."""\n'
    )
    if any_future:
        header += "\nfrom __future__ import annotations\n"
    source = header + "\n\n" + "\n\n".join(parts)
    _compile(source, f"the built reference of {assignment.slug}")
    return source


def apply_mutant(source: str, mutant: Mutant, *, where: str = "the built reference") -> str:
    """``source`` with the mutant's edits applied in order.

    Raises
    ------
    SpecError
        If an edit's ``old`` does not occur exactly once (at the time it is applied), or the
        mutated source does not compile; the message names the mutant and the edit.
    """
    for number, edit in enumerate(mutant.edits, start=1):
        count = source.count(edit.old)
        if count != 1:
            found = "does not occur" if count == 0 else f"occurs {count} times"
            raise SpecError(
                f"mutant {mutant.id!r}, edit {number}: old {edit.old!r} {found} in {where}; "
                "it must occur exactly once (quote more of the surrounding line to make it "
                "unique, or update the edit after a change to reference/)"
            )
        source = source.replace(edit.old, edit.new)
    _compile(source, f"mutant {mutant.id!r}")
    return source


def _compile(source: str, what: str) -> None:
    try:
        compile(source, what, "exec", dont_inherit=True)  # parse only; nothing runs here
    except SyntaxError as exc:
        raise SpecError(f"{what} is not valid Python: line {exc.lineno}: {exc.msg}") from None


# --------------------------------------------------------------------------- judging a grade


def _cell_problems(result: SubmissionResult) -> list[str]:
    return [
        f"cell {r.get('cell')} {r.get('status')}: {r.get('message')}"
        for r in result.cell_reports
        if r.get("status") != "ok"
    ]


def judge_reference(result: SubmissionResult, assignment: Assignment) -> list[str]:
    """Why the reference's grade is not full marks on every question (empty: it is)."""
    if result.status != "graded":
        return [f"ungradable: {result.message}"]
    problems = _cell_problems(result)
    graded = {c.check_id for c in result.checks}
    for question in assignment.questions:
        for spec in question.checks:
            if spec.id not in graded:
                problems.append(f"{spec.id}: not graded (`{question.name}` is absent)")
    for check in result.checks:
        if check.status != "passed":
            first = check.message.strip().splitlines()[:1]
            problems.append(f"{check.check_id}: {check.status}: {' '.join(first)}")
    return problems


def judge_mutant(result: SubmissionResult, mutant: Mutant) -> tuple[bool, list[str]]:
    """``(caught, problems)``: caught when every check in ``kills`` failed; problems lists each
    kill that passed (the mutant survives it) and each check outside ``kills`` and
    ``also_affects`` that did not pass (the catalogue or a check blames the wrong function)."""
    if result.status != "graded":
        return False, [f"ungradable: {result.message}"]
    status = {c.check_id: c.status for c in result.checks}
    problems = [f"survived {k}" for k in mutant.kills if status.get(k, "missing") == "passed"]
    caught = not problems
    allowed = set(mutant.kills) | set(mutant.also_affects)
    for check in result.checks:
        if check.check_id not in allowed and check.status != "passed":
            first = " ".join(check.message.strip().splitlines()[:1])
            problems.append(f"unexpectedly {check.status} {check.check_id}: {first}")
    return caught, problems


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Job:
    """One submission to grade and how to judge it."""

    assignment: str  # the assignment's directory, so copies outside assignments/ work too
    slug: str
    kind: JobKind
    name: str
    path: Path
    mutant: Mutant | None = None


@dataclass(frozen=True)
class Verdict:
    """The judged grade of one job.

    Attributes
    ----------
    ok
        The job's known answer held: full marks (reference), as expected (sample), caught and
        nothing unrelated failed (mutant).
    caught
        Mutants only: every check in ``kills`` failed.
    """

    slug: str
    kind: JobKind
    name: str
    ok: bool
    problems: tuple[str, ...]
    score: float
    max_score: float
    seconds: float
    isolation: str
    caught: bool = False


def run_job(job: Job) -> Verdict:
    """Grade ``job.path`` in a fresh sandbox (its own ``WorkerSession``) and judge the grade.

    A grader-side failure (the sandbox cannot start, a check crashes) becomes a problem of this
    job's verdict, so one broken job does not hide the verdicts of the others.
    """
    started = time.perf_counter()
    assignment = load_assignment(job.assignment)
    validate_assignment(assignment)
    try:
        result = grade_path(
            job.path, assignment, student=job.name, config=sandbox_config(assignment)
        )
    except Exception as exc:  # reported as this job's problem, with its type
        return Verdict(
            slug=job.slug,
            kind=job.kind,
            name=job.name,
            ok=False,
            problems=(f"grading it raised {type(exc).__name__}: {exc}",),
            score=0.0,
            max_score=assignment.max_score,
            seconds=time.perf_counter() - started,
            isolation="unknown",
        )
    caught = False
    if job.kind == "reference":
        problems = judge_reference(result, assignment)
    elif job.kind == "mutant":
        assert job.mutant is not None
        caught, problems = judge_mutant(result, job.mutant)
    else:
        problems = mismatches(result, assignment, load_expectation(job.path))
    return Verdict(
        slug=job.slug,
        kind=job.kind,
        name=job.name,
        ok=not problems,
        problems=tuple(problems),
        score=result.score,
        max_score=result.max_score,
        seconds=time.perf_counter() - started,
        isolation=result.isolation,
        caught=caught,
    )


def plan_jobs(assignment: Assignment, workdir: Path, *, samples: bool = True) -> list[Job]:
    """Write the reference and every mutant of ``assignment`` under ``workdir``; list the jobs.

    Every catalogue problem (a bad field, an edit that does not apply, a mutant that does not
    compile) is raised here, before anything is graded.
    """
    catalogue = load_catalogue(assignment)
    source = build_reference_source(assignment, catalogue.append)
    folder = workdir / assignment.slug
    folder.mkdir(parents=True, exist_ok=True)
    where = f"the built reference of {assignment.slug} (see {catalogue.path})"
    mutated = [(m, apply_mutant(source, m, where=where)) for m in catalogue.mutants]
    home = str(assignment.directory)
    reference_path = folder / "reference.py"
    reference_path.write_text(source, encoding="utf-8")
    jobs = [Job(home, assignment.slug, "reference", "reference", reference_path)]
    for mutant, text in mutated:
        path = folder / f"mutant_{_safe(mutant.id)}.py"
        path.write_text(text, encoding="utf-8")
        jobs.append(Job(home, assignment.slug, "mutant", mutant.id, path, mutant))
    if samples:
        for path, _ in iter_samples(assignment):  # parses every expectation now: fail early
            jobs.append(Job(home, assignment.slug, "sample", path.name, path))
    return jobs


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def run_jobs(
    jobs: Sequence[Job],
    *,
    workers: int = 2,
    on_done: Callable[[Verdict], None] | None = None,
) -> list[Verdict]:
    """Grade every job, ``workers`` at a time, and return the verdicts in the jobs' order.

    With ``workers > 1`` each job runs in a process of a pool started with ``spawn`` (a clean
    interpreter: no threads or sandbox state inherited from this one); with 1, in this process.
    """
    verdicts: dict[int, Verdict] = {}
    if workers <= 1 or len(jobs) <= 1:
        for index, job in enumerate(jobs):
            verdicts[index] = run_job(job)
            if on_done is not None:
                on_done(verdicts[index])
        return [verdicts[i] for i in range(len(jobs))]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {pool.submit(run_job, job): index for index, job in enumerate(jobs)}
        try:
            for future in concurrent.futures.as_completed(futures):
                verdicts[futures[future]] = future.result()
                if on_done is not None:
                    on_done(verdicts[futures[future]])
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [verdicts[i] for i in range(len(jobs))]


@dataclass(frozen=True)
class AssignmentReport:
    """Every verdict of one assignment, and what they add up to."""

    slug: str
    verdicts: tuple[Verdict, ...] = field(default_factory=tuple)

    def of_kind(self, kind: JobKind) -> tuple[Verdict, ...]:
        """The verdicts of one kind, in the order they were planned."""
        return tuple(v for v in self.verdicts if v.kind == kind)

    @property
    def mutation_score(self) -> tuple[int, int]:
        """``(caught, total)`` over the catalogue's mutants."""
        mutants = self.of_kind("mutant")
        return sum(v.caught for v in mutants), len(mutants)

    @property
    def ok(self) -> bool:
        """True when every known answer held."""
        return all(v.ok for v in self.verdicts)

    def problems(self) -> list[str]:
        """One line per problem, naming the assignment, the kind and the job."""
        return [
            f"{self.slug} {v.kind} {v.name}: {p}"
            for v in self.verdicts
            if not v.ok
            for p in v.problems
        ]


def validate(
    assignments: Iterable[Assignment],
    *,
    workers: int = 2,
    samples: bool = True,
    on_done: Callable[[Verdict], None] | None = None,
) -> list[AssignmentReport]:
    """Plan every assignment's jobs (catalogue errors raise before grading), grade them all in
    one pool, and group the verdicts per assignment."""
    chosen = list(assignments)
    with tempfile.TemporaryDirectory(prefix="grader-validate-") as tmp:
        jobs = [job for a in chosen for job in plan_jobs(a, Path(tmp), samples=samples)]
        # References first (quick feedback), then mutants, then samples.
        rank = {"reference": 0, "mutant": 1, "sample": 2}
        order = sorted(range(len(jobs)), key=lambda i: (rank[jobs[i].kind], i))
        done = run_jobs([jobs[i] for i in order], workers=workers, on_done=on_done)
    by_index = dict(zip(order, done, strict=True))
    verdicts = [by_index[i] for i in range(len(jobs))]
    return [
        AssignmentReport(a.slug, tuple(v for v in verdicts if v.slug == a.slug)) for a in chosen
    ]
