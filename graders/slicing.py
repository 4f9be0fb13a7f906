"""Which notebook cells can affect what is graded: a conservative backward slice over cells.

Grading needs the graded names (functions, and values such as the gradient-descent lab's
``cur_x``), not the student's 50,000-iteration training run or the plots. From each cell's source
alone (``symtable`` for scopes, ``ast`` for mutations; nothing is run) this module works out
what a cell may *change* and what it may *read*, then walks the cells backwards from the graded
names: a cell is kept when it may change a name still needed at that point, and what it reads
becomes needed in turn. Everything else is skipped, with the reason.

One module, over 500 lines on purpose: the rule tables (which calls change, read or write files)
and the scope walker that applies them are one analysis and change together.

The analysis errs towards keeping. A cell may change a name when it binds or deletes it, assigns
through it (``X[0] = 1``, ``model.coef_ = w``), calls a method on it (``lst.append``,
``model.fit``), passes it to a call made for its side effect (``np.random.shuffle(X)``), or calls
a notebook function that declares it ``global``, mutates it, or mutates its own arguments.
Names read by a function are needed wherever the function is (later called or graded), so a
graded function that calls a helper defined further down keeps the helper's cell. The file system
is one more name: a cell that may write files (``to_csv``, ``open(..., "w")``, ``os.chdir``...)
is kept when a kept cell may read files (imports included).

Code the analysis cannot follow turns slicing off for the whole notebook: ``exec``/``eval``,
``globals()``/``locals()``/``vars()``, ``setattr``/``delattr``, ``__dict__``, ``sys.modules``,
``get_ipython()`` (magic runners), and any source this module fails to analyse for another
reason (such code may define or change anything, also inside functions later cells call). A star
import binds names nobody can list: it is kept, **and so is every cell before it**. A cell with a
syntax error runs nothing, so it is kept (its error is feedback) without affecting anything else.

Not modelled, on purpose: draws from the global random generator (each worker starts with fresh
random state, so no grade may depend on it) and effects of library code beyond the rules above.
This module only reads strings: it is safe on hostile source (``symtable``/``ast`` compile nothing
into code objects that run) and total: every failure is an "opaque cell", never an exception.
"""

from __future__ import annotations

import ast
import builtins
import functools
import symtable
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["MAX_CELLS", "MAX_SOURCE_CHARS", "CellPlan", "SkippedCell", "plan_cells"]

#: Larger notebooks are not analysed (every cell runs): course notebooks have tens of cells, and
#: the analysis costs the grader up to about 0.5 ms a cell it has not met before (see _Shape).
MAX_CELLS = 1_000
MAX_SOURCE_CHARS = 2_000_000

#: Pseudo-name for the file system (and the working directory): written and read like a name.
FILES = "<files>"

_OPAQUE_CALLS = frozenset(
    "exec eval globals locals vars setattr delattr __import__ get_ipython execfile "
    "import_module reload run_path run_module".split()
)
_OPAQUE_NAMES = _OPAQUE_CALLS | {"__builtins__", "builtins"}
_OPAQUE_ATTRIBUTES = frozenset("__dict__ modules __builtins__ f_globals f_locals".split())
_FILE_WRITERS = frozenset(
    "to_csv to_excel to_json to_pickle to_parquet to_feather to_hdf to_sql to_html to_latex "
    "to_markdown to_stata save savez savez_compressed savetxt tofile savefig dump write "
    "write_text write_bytes writelines mkdir makedirs rename renames replace remove unlink "
    "rmdir removedirs rmtree copy copy2 copyfile copytree move chdir urlretrieve system popen "
    "run Popen call check_call check_output touch extractall symlink link chmod truncate".split()
)
# Library functions known to change their arguments in place (``np.random.shuffle(X)``).
_IN_PLACE_FUNCTIONS = frozenset(
    "shuffle copyto put place putmask fill_diagonal heappush heappop heapify heappushpop "
    "heapreplace insort insort_left insort_right".split()
)
# Plain functions called for their output only: they leave their arguments alone.
_OUTPUT_ONLY = frozenset("print display pprint len repr str type help".split())
# Methods that leave their object unchanged (numpy, pandas, scikit-learn, str, dict, list):
# any other method called on a name, or any with `inplace=...`, may change that name.
_READ_ONLY_METHODS = frozenset(
    "dot mean sum std var min max argmin argmax argsort reshape transpose copy astype flatten "
    "ravel round clip cumsum cumprod prod any all item tolist to_list squeeze nonzero "
    "to_numpy head tail describe info groupby apply map agg aggregate drop dropna fillna "
    "replace merge join concat sort_values sort_index value_counts unique nunique isna isnull "
    "notna notnull isin corr cov get keys values items count index format split strip lower "
    "upper startswith endswith predict predict_proba predict_log_proba decision_function "
    "score transform get_params diff shift rank abs query filter select_dtypes rename "
    "reset_index set_index to_frame repeat take searchsorted conj trace diagonal sample "
    "equals where mask idxmax idxmin median quantile pivot pivot_table melt stack unstack "
    "explode duplicated drop_duplicates nlargest nsmallest combine iterrows itertuples "
    "to_dict to_string get_dummies issubset union intersection difference swapaxes nanmean "
    "outer inner matmul __len__ __getitem__ __contains__ rjust ljust zfill title capitalize "
    "encode decode find".split()
)
_FILE_READER_PREFIXES = ("read", "load", "open")
_FILE_READERS = frozenset(
    "genfromtxt fromfile imread glob iglob listdir scandir walk iterdir exists isfile isdir "
    "stat getcwd ExcelFile memmap".split()
)


@dataclass(frozen=True)
class SkippedCell:
    """A cell left out of the run.

    Attributes
    ----------
    number
        The cell's number as the loader gave it.
    reason
        Why it cannot affect grading, in words for the feedback.
    """

    number: int
    reason: str


@dataclass(frozen=True)
class CellPlan:
    """Which cells to run.

    Attributes
    ----------
    kept
        Numbers of the cells to run, in notebook order.
    skipped
        The cells left out, in notebook order, each with its reason.
    note
        Why nothing could be skipped, when that is the case (``"cell 4 uses `exec`"``).
    """

    kept: tuple[int, ...]
    skipped: tuple[SkippedCell, ...]
    note: str | None = None


@dataclass(frozen=True)
class _Facts:
    """What one cell's source says about its effects (all names are module-level names)."""

    binds: frozenset[str] = frozenset()  # (re)bound or deleted by the cell's own code
    mutates: frozenset[str] = frozenset()  # changed in place by the cell's own code
    links: tuple[tuple[str, frozenset[str]], ...] = ()  # a name may share objects with others
    reads: frozenset[str] = frozenset()  # read where the cell runs (incl. its functions' reads)
    call_reads: frozenset[str] = frozenset()  # globals its functions/classes/lambdas read
    call_writes: frozenset[str] = frozenset()  # globals its functions rebind or change
    mutates_arguments: bool = False  # one of its functions changes what it is passed
    opaque: str | None = None  # why the analysis cannot follow the cell
    star_import: bool = False  # opaque only in what it binds: later cells are still followed
    syntax_error: bool = False


def plan_cells(cells: Sequence[tuple[int, str]], needed: Iterable[str]) -> CellPlan:
    """Decide which cells must run for ``needed`` to be as after running every cell.

    Parameters
    ----------
    cells
        ``(number, source)`` of each cell, in notebook order (magics already neutralised).
    needed
        The module-level names grading reads: graded functions and value questions' names.

    Returns
    -------
    CellPlan
        The kept cells and the skipped ones with reasons. Never raises.
    """
    numbers = tuple(number for number, _ in cells)
    if len(cells) > MAX_CELLS or sum(len(source) for _, source in cells) > MAX_SOURCE_CHARS:
        # The analysis is the grader's own time, which no budget of the submission's bounds:
        # a hostile notebook of 150,000 cells runs in full instead, under its total budget.
        return CellPlan(numbers, (), f"the notebook is too large to analyse ({len(cells)} cells)")
    try:
        return _plan(cells, list(needed))
    except Exception as exc:  # the analysis itself failed (a bug, or limits on hostile source)
        return CellPlan(numbers, (), f"the cells could not be analysed ({type(exc).__name__})")


def _plan(cells: Sequence[tuple[int, str]], needed: list[str]) -> CellPlan:
    shapes = [_shape(source) for _, source in cells]
    callables = _callables(shapes)
    facts = [
        _facts_of(source, shape, callables)
        for (_, source), shape in zip(cells, shapes, strict=True)
    ]
    for (number, _), fact in zip(cells, facts, strict=True):
        if fact.opaque and not fact.star_import:
            # Code made at run time (exec, globals(), ...) may define or change anything, also
            # in the functions later cells call: nothing can be skipped safely.
            return CellPlan(tuple(n for n, _ in cells), (), f"cell {number} {fact.opaque[3:]}")
    last_opaque = max((i for i, fact in enumerate(facts) if fact.opaque), default=-1)
    call_reads, call_writes, mutators = _function_effects(facts)
    shared = _Aliases(callables)
    for fact in facts:
        for name, others in fact.links:
            shared.link(name, others)
    for fact in facts:  # a call's result may be any object its function can reach
        for name, others in fact.links:
            for other in others & set(call_reads):
                shared.link(name, _closure({other}, call_reads) - {other})

    live = _closure(needed, call_reads)
    kept: list[int] = []
    skipped: list[SkippedCell] = []
    for index in range(len(cells) - 1, -1, -1):
        number, source = cells[index]
        fact = facts[index]
        changed = set(fact.mutates)
        for name in fact.reads:  # calling a notebook function has its effects here
            changed |= call_writes.get(name, set())
            if name in mutators:
                changed |= fact.reads
        changes = set(fact.binds) | shared.around(changed)
        if index <= last_opaque or fact.syntax_error or changes & live:
            kept.append(number)
            live |= _closure(fact.reads, call_reads)
        else:
            skipped.append(SkippedCell(number, _reason(set(fact.binds) | changed)))
    kept.reverse()
    skipped.reverse()
    return CellPlan(tuple(kept), tuple(skipped))


def _closure(names: Iterable[str], call_reads: Mapping[str, set[str]]) -> set[str]:
    """The names, and everything the functions bound to them read when called."""
    out: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in out:
            out.add(name)
            todo.extend(call_reads.get(name, ()))
    return out


class _Aliases:
    """Which module-level names may share objects (flow-insensitive, so errs towards sharing).

    Names bound only by ``def``, ``class`` or ``import`` are left out: a function or module is not
    data that a change through another name would alter.
    """

    def __init__(self, callables: frozenset[str]) -> None:
        self._callables = callables
        self._parent: dict[str, str] = {}

    def _find(self, name: str) -> str:
        root = name
        while self._parent.get(root, root) != root:
            root = self._parent[root]
        self._parent[name] = root
        return root

    def link(self, name: str, others: Iterable[str]) -> None:
        if name in self._callables:
            return
        for other in others:
            if other not in self._callables:
                self._parent[self._find(other)] = self._find(name)

    def around(self, names: Iterable[str]) -> set[str]:
        """The names and every name that may share an object with one of them."""
        roots = {self._find(name) for name in names}
        return set(names) | {name for name in self._parent if self._find(name) in roots}


def _reason(changes: set[str]) -> str:
    shown = sorted(name for name in changes if name != FILES)
    if not shown:
        return "it changes no names grading reads (output only)"
    listed = ", ".join(f"`{name}`" for name in shown[:4]) + (", ..." if len(shown) > 4 else "")
    return f"it only changes {listed}, which nothing graded reads"


def _function_effects(
    facts: Sequence[_Facts],
) -> tuple[dict[str, set[str]], dict[str, set[str]], set[str]]:
    """Call-time reads and writes per module-level name, closed over calls between functions.

    A name bound in several cells gets the union of every definition's effects (a redefinition
    may or may not run before the call; both are possible).
    """
    reads: dict[str, set[str]] = {}
    writes: dict[str, set[str]] = {}
    mutators: set[str] = set()
    for fact in facts:
        for name in fact.binds:
            reads.setdefault(name, set()).update(fact.call_reads)
            writes.setdefault(name, set()).update(fact.call_writes)
            if fact.mutates_arguments:
                mutators.add(name)
    changed = True
    while changed:  # a function that calls another has its effects too
        changed = False
        for name, read in reads.items():
            for callee in list(read):
                extra = writes.get(callee, set()) - writes[name]
                if extra:
                    writes[name] |= extra
                    changed = True
                if callee in mutators and name not in mutators:
                    mutators.add(name)
                    changed = True
    return reads, writes, mutators


# --------------------------------------------------------------------------------------------
# One cell


@dataclass(frozen=True)
class _Shape:
    """What a cell's source alone says of its names, before the notebook's other cells count."""

    failed: _Facts | None  # the facts of a cell that does not parse; None when it does
    code: frozenset[str] = frozenset()  # bound by ``import``, ``def`` or ``class``
    data: frozenset[str] = frozenset()  # bound or deleted otherwise, or declared global
    star_import: bool = False
    names: frozenset[str] = frozenset()  # every name the cell mentions


# A cohort's notebooks share most cells (the handout's imports, data loading, given code): each
# cell's tree, shape and facts are worked out once per grader process. The facts of a cell
# depend on the notebook only through which of the names it mentions are callables, so that is
# their key. Cells longer than this are analysed each time (the memo keeps sources as its keys).
_MEMO_CELLS = 4096
_MEMO_MAX_CHARS = 20_000
_T = TypeVar("_T")


class _Remembered(Generic[_T]):
    """``function`` of a cell's source (and hashable extras), remembered per process."""

    def __init__(self, function: Callable[..., _T], size: int) -> None:
        self._function = function
        self._cached = functools.lru_cache(maxsize=size)(function)

    def __call__(self, source: str, *extras: Hashable) -> _T:
        if len(source) > _MEMO_MAX_CHARS:
            return self._function(source, *extras)
        return self._cached(source, *extras)

    def forget(self) -> None:
        """Empty the memo, as in a fresh process."""
        self._cached.cache_clear()


def _shape_of(source: str) -> _Shape:
    tree = _tree(source)
    if not isinstance(tree, ast.Module):
        return _Shape(failed=tree)
    code: set[str] = set()
    data: set[str] = set()
    names: set[str] = set()
    star_import = False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            star_import |= any(alias.name == "*" for alias in node.names)
            for alias in node.names:
                if alias.asname:
                    code.add(alias.asname)
                elif isinstance(node, ast.ImportFrom):
                    code.add(alias.name)
                else:
                    code.add(alias.name.split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            code.add(node.name)
        elif isinstance(node, ast.Name):
            names.add(node.id)
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                data.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            data.update(node.names)
    return _Shape(None, frozenset(code), frozenset(data), star_import, frozenset(names))


_shape = _Remembered(_shape_of, _MEMO_CELLS)


def _parse(source: str) -> ast.Module | _Facts:
    try:
        return ast.parse(source)
    except SyntaxError:
        return _Facts(syntax_error=True)
    except Exception as exc:  # RecursionError, MemoryError, ValueError (NUL bytes), ...
        return _Facts(opaque=f"it could not be analysed ({type(exc).__name__})")


#: The cell parsed, once for its shape and its facts (nothing here changes a tree).
_tree = _Remembered(_parse, 256)


def _callables(shapes: Sequence[_Shape]) -> frozenset[str]:
    """Names only ever bound by ``import``, ``def`` or ``class``, and the builtins' functions and
    types the notebook never rebinds: modules and code, not data."""
    defined: set[str] = set()
    other: set[str] = set()
    for shape in shapes:
        defined |= shape.code
        other |= shape.data
    if not any(shape.star_import for shape in shapes):  # it may bind data under a builtin's name
        defined |= _BUILTIN_CALLABLES
    return frozenset(defined - other)


#: Built-in functions and types (``float``, ``range``, ``len``): code, never data a cell changes.
_BUILTIN_CALLABLES = frozenset(
    name for name in dir(builtins) if not name.startswith("_") and callable(getattr(builtins, name))
)


def _facts_of(source: str, shape: _Shape, callables: frozenset[str]) -> _Facts:
    if shape.failed is not None:
        return shape.failed
    # The analysis asks only whether names of this cell are callables (``_Scope``).
    return _analysed(source, callables & shape.names)


def _analysis(source: str, callables: frozenset[str]) -> _Facts:
    tree = _tree(source)
    if not isinstance(tree, ast.Module):
        return tree
    try:
        return _analyse(source, tree, callables)
    except Exception as exc:  # symtable's own limits on hostile source: keep the cell
        return _Facts(opaque=f"it could not be analysed ({type(exc).__name__})")


_analysed = _Remembered(_analysis, _MEMO_CELLS)


def _analyse(source: str, tree: ast.Module, callables: frozenset[str]) -> _Facts:
    opaque = _opaque_reason(tree)
    star_import = opaque is not None and opaque.startswith("it star-imports")
    if opaque and not star_import:
        return _Facts(opaque=opaque)
    table = symtable.symtable(source, "<cell>", "exec")
    top = table.get_symbols()
    binds = {s.get_name() for s in top if s.is_assigned() or s.is_imported()}
    reads = {s.get_name() for s in top if s.is_referenced()}
    # `del x` fails when x is unbound, and the rest of the cell then does not run.
    reads |= {
        t.id
        for node in _walk_scope(tree.body)
        if isinstance(node, ast.Delete)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    call_reads: set[str] = set()
    call_writes: set[str] = set()
    for scope in _descendants(table):
        for symbol in scope.get_symbols():
            if symbol.is_global() and symbol.is_referenced():
                call_reads.add(symbol.get_name())
            if symbol.is_declared_global() and symbol.is_assigned():
                call_writes.add(symbol.get_name())
    effects = _Scope(callables, frozenset(), frozenset())
    effects.run(tree.body)
    links = list(effects.links.items())
    mutates_arguments = False
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inner = _function_scope(node, callables)
            call_writes |= inner.global_changes()
            mutates_arguments = mutates_arguments or inner.changes_parameters()
            links.extend(inner.global_links().items())
    mutates = set(effects.mutated)
    files = _file_use(tree)
    if "write" in files:
        mutates.add(FILES)
        call_writes.add(FILES)
    if "read" in files:
        reads.add(FILES)
        call_reads.add(FILES)
    if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree)):
        reads |= {FILES, "sys"}  # an import reads sys.path and the files it finds
    return _Facts(
        binds=frozenset(binds),
        mutates=frozenset(mutates),
        links=tuple((name, frozenset(others)) for name, others in links),
        # Definitions' reads are needed where the cell runs (defaults, decorators and class
        # bodies run there) and wherever the function is called later.
        reads=frozenset(reads | call_reads),
        call_reads=frozenset(call_reads),
        call_writes=frozenset(call_writes),
        mutates_arguments=mutates_arguments,
        opaque=opaque,
        star_import=star_import,
    )


def _descendants(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
    for child in table.get_children():
        yield child
        yield from _descendants(child)


def _opaque_reason(tree: ast.Module) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            return f"it star-imports from `{node.module or '.'}`"
        if isinstance(node, ast.Name) and node.id in _OPAQUE_NAMES:
            return f"it uses `{node.id}`"
        if isinstance(node, ast.Attribute) and (
            node.attr in _OPAQUE_ATTRIBUTES or node.attr in _OPAQUE_CALLS
        ):
            return f"it uses `.{node.attr}`"
    return None


def _root(node: ast.expr) -> str | None:
    """The name an attribute/subscript/call chain starts from (``a`` in ``a.b[0].c()``)."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return None


def _function_scope(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, callables: frozenset[str]
) -> _Scope:
    arguments = node.args
    params = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
    params |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a}
    body = node.body if isinstance(node.body, list) else [ast.Return(node.body)]
    declared = {
        name
        for child in _walk_scope(body)
        if isinstance(child, (ast.Global, ast.Nonlocal))
        for name in child.names
    }
    local = (_bound_in(body) | params) - declared
    scope = _Scope(callables, frozenset(local), frozenset(params))
    for _ in range(3):  # aliases between locals settle in a few passes (loops assign late)
        before = scope.state()
        scope.run(body)
        if scope.state() == before:  # a pass that changed nothing: the next would not either
            break
    return scope


def _bound_in(body: Sequence[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in _walk_scope(body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


class _Scope:
    """Changes and sharing in one scope's statements (the module's, or one function's).

    In a function, a local that may hold a parameter's object (``row`` in ``for row in rows``)
    or a global's (``t = history``) is followed: changing it changes what it came from.
    """

    def __init__(
        self, callables: frozenset[str], local: frozenset[str], params: frozenset[str]
    ) -> None:
        self.callables = callables
        self.local = local
        self.params = params
        self.mutated: set[str] = set()
        self.links: dict[str, set[str]] = {}
        self._origins: dict[str, set[str]] = {name: {name} for name in params}

    def state(self) -> tuple[object, ...]:
        """What a pass over the statements can change (to see when passes have settled)."""
        return (
            frozenset(self.mutated),
            {name: frozenset(others) for name, others in self.links.items()},
            {name: frozenset(origins) for name, origins in self._origins.items()},
        )

    # What the function shows to the rest of the notebook

    def changes_parameters(self) -> bool:
        return any(origin in self.params for origin in self._resolve(self.mutated))

    def global_changes(self) -> set[str]:
        return {name for name in self._resolve(self.mutated) if name not in self.local}

    def global_links(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for name, others in self.links.items():
            for target in self._resolve({name}) - self.local:
                out.setdefault(target, set()).update(self._resolve(others) - self.local)
        return out

    def _resolve(self, names: Iterable[str]) -> set[str]:
        """What objects local names may hold: their origins; a global name stands for itself."""
        out: set[str] = set()
        for name in names:
            out |= self._origins.get(name, set()) if name in self.local else {name}
        return out

    # Walking the statements

    def run(self, body: Sequence[ast.stmt]) -> None:
        statements: set[int] = set()  # calls made for their effect (an Expr comes before its call)
        for node in _walk_scope(body):
            if isinstance(node, ast.Expr):
                statements.add(id(node.value))
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    self._assign(target, node.value)
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                self._assign(node.target, node.value)
            elif isinstance(node, ast.AugAssign):
                self._changed_through(node.target, include_name=True)
                self._share(node.target, self._aliases(node.value))
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    self._changed_through(target)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                self._assign(node.target, node.iter)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._assign(item.optional_vars, item.context_expr)
            elif isinstance(node, ast.Call):
                self._call(node, id(node) in statements)

    def _assign(self, target: ast.expr, value: ast.expr) -> None:
        shared = self._aliases(value)
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assign(element, ast.Tuple(elts=[value]))  # any part may hold any of it
            return
        if isinstance(target, ast.Starred):
            self._assign(target.value, value)
            return
        if not isinstance(target, ast.Name):
            self._changed_through(target)
        self._share(target, shared)

    def _share(self, target: ast.expr, shared: set[str]) -> None:
        root = _root(target)
        if root is None:
            return
        if root in self.local:
            self._origins.setdefault(root, set()).update(self._resolve(shared))
        self.links.setdefault(root, set()).update(shared)

    def _changed_through(self, target: ast.expr, include_name: bool = False) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._changed_through(element, include_name)
            return
        if isinstance(target, ast.Name) and not include_name:
            return
        root = _root(target)
        if root is not None:
            self.mutated.add(root)

    def _call(self, call: ast.Call, statement: bool) -> None:
        arguments = set().union(*(self._aliases(a) for a in _arguments(call)))
        inplace = any(
            k.arg == "inplace" and not (isinstance(k.value, ast.Constant) and not k.value.value)
            for k in call.keywords
        )
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _IN_PLACE_FUNCTIONS:
            self.mutated |= arguments
        if isinstance(func, ast.Attribute):
            root = _root(func)
            if root is None:
                return
            if root in self.callables:
                # A module's functions whose result is used (`np.mean(X)`) are taken as leaving
                # the module alone; called for their effect (`np.random.seed(0)`, `plt.plot`)
                # they change the module's state.
                if statement or inplace:
                    self.mutated.add(root)
            elif inplace or name not in _READ_ONLY_METHODS:
                self.mutated.add(root)  # `lst.append(x)`, `model.fit(X, y)`
                self.links.setdefault(root, set()).update(arguments)
        elif isinstance(func, ast.Name) and statement and func.id not in _OUTPUT_ONLY:
            if func.id not in self.callables:  # an unknown callable called for its effect
                self.mutated |= arguments

    def _aliases(self, node: ast.AST) -> set[str]:
        """Names whose objects the value of ``node`` may be or contain."""
        if isinstance(node, ast.Name):
            return {node.id}
        if isinstance(node, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Compare, ast.JoinedStr)):
            return set()  # a new object (or an immutable one)
        if isinstance(node, ast.Lambda):
            return set()
        if isinstance(node, ast.Call):
            out = set().union(*(self._aliases(a) for a in _arguments(node)))
            root = _root(node.func)
            if isinstance(node.func, ast.Name):
                out.add(node.func.id)  # a notebook function's result: resolved by the caller
            elif isinstance(node.func, ast.Attribute):
                if root is not None and root not in self.callables:
                    out.add(root)  # a method may return its object or a view of it
            else:
                out |= self._aliases(node.func)
            return out
        out = set()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr) or isinstance(child, ast.comprehension):
                out |= self._aliases(child)
        return out


def _arguments(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(k.value for k in call.keywords)]


def _walk_scope(body: Sequence[ast.stmt]) -> Iterator[ast.AST]:
    """Every node run by these statements, not descending into functions defined there."""
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            todo.extend(node.decorator_list)
            todo.extend(d for d in [*node.args.defaults, *node.args.kw_defaults] if d)
            continue
        if isinstance(node, ast.Lambda):
            todo.extend(node.args.defaults)
            continue
        todo.extend(ast.iter_child_nodes(node))


def _file_use(tree: ast.Module) -> set[str]:
    """``{"read", "write"}``: whether the cell (or its functions) may read or write files."""
    use: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if name in _FILE_WRITERS or (name == "open" and _opens_for_writing(node)):
                use.add("write")
            if name in _FILE_READERS or name.startswith(_FILE_READER_PREFIXES):
                use.add("read")
    return use


def _opens_for_writing(call: ast.Call) -> bool:
    modes = list(call.args[1:2]) + [k.value for k in call.keywords if k.arg == "mode"]
    for mode in modes:
        if not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)):
            return True  # a computed mode may write
        if set(mode.value) & set("wax+"):
            return True
    return False
