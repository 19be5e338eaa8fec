"""What code in a graded notebook may do: a static check, run before grading.

The hidden tests run in the same kernel as the student's code, so code that
installs hooks (IPython events and transformers, tracing), patches a helper
the tests call, rebinds a name the tests use or reaches into frames could
set its own grade from inside.  A sandbox around the kernel cannot stop that;
reading the code before it runs can.  This module parses every cell a
student can edit and lists what has no place in an asyncio answer, as
``Violation`` s that name the cell, the line and the reason.

It is an allow-list: imports from the modules a course answer needs, plain
Python, asyncio, and a few IPython magics whose code is checked as well.
The same rules serve the autograder (``instructor.screening``) and the
check cell at the end of every assignment, so a student learns the verdict
before handing in::

    from coursekit.policy import check_notebook
    check_notebook("crawler.ipynb")
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Violation", "check_cells", "check_notebook", "protected_names", "PolicyError"]

# Modules an answer may import (and their submodules).
ALLOWED_MODULES = {
    "__future__", "asyncio", "aiohttp", "bisect", "bs4", "collections", "concurrent", "contextlib",
    "copy", "dataclasses", "datetime", "decimal", "enum", "fractions", "functools", "heapq", "html",
    "itertools", "json", "lxml", "math", "numbers", "pprint", "random", "re", "requests", "statistics",
    "textwrap", "time", "typing", "urllib", "yarl",
}
# From the course's own package, only what notebooks use, and only by name.
ALLOWED_COURSEKIT = {"coursekit.grading", "coursekit.cinema", "coursekit.cinema.pages", "coursekit.timeline"}

FORBIDDEN_CALLS = {
    "__import__", "breakpoint", "compile", "delattr", "dir", "eval", "exec", "exit", "getattr", "globals",
    "help", "input", "locals", "memoryview", "open", "quit", "setattr", "vars", "get_ipython",
}
FORBIDDEN_NAMES = FORBIDDEN_CALLS | {"SystemExit", "KeyboardInterrupt", "GeneratorExit"}
# Attributes that reach frames, code, tasks' stacks, the loop's machinery or the streams.
FORBIDDEN_ATTRIBUTES = {
    "all_tasks", "get_coro", "get_stack", "print_stack", "set_exception_handler", "call_exception_handler",
    "default_exception_handler", "set_task_factory", "get_task_factory", "set_event_loop", "set_event_loop_policy",
    "get_event_loop_policy", "new_event_loop", "run_until_complete", "run_forever", "add_signal_handler",
    "redirect_stdout", "redirect_stderr", "format_map", "get_type_hints", "set_debug",
}
FRAME_ATTRIBUTE = re.compile(r"^(f|tb|gi|cr|ag|co)_")
# Special methods a class in an answer may define; __eq__ and its kin are not among them.
ALLOWED_DUNDER_METHODS = {
    "__init__", "__aenter__", "__aexit__", "__enter__", "__exit__", "__aiter__", "__anext__", "__iter__",
    "__next__", "__call__", "__repr__", "__str__", "__post_init__", "__len__",
}
ALLOWED_MAGICS = {"time", "timeit"}  # their code is checked too
ALLOWED_EXTENSIONS = {"coursekit.magics"}


class PolicyError(Exception):
    """A notebook holds code that the grader will not run."""


@dataclass(frozen=True)
class Violation:
    cell: int  # index of the cell in the notebook
    line: int  # 1-based, within the cell
    reason: str
    code: str  # the offending line

    def __str__(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.reason}\n    {self.code.strip()}"


def _parse(source: str) -> ast.Module:
    """A cell as Python: IPython syntax (magics, `!`, `?`) turned into calls, top-level await allowed."""
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell(source)
    return compile(python, "<cell>", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def _module_bindings(tree: ast.Module) -> set[str]:
    """Names a cell binds in the notebook's global namespace."""
    names: set[str] = set()
    declared_global: set[str] = set()

    class Scan(ast.NodeVisitor):
        depth = 0

        def bind(self, name: str) -> None:
            if self.depth == 0 or name in declared_global:
                names.add(name)

        def visit_Global(self, node: ast.Global) -> None:
            declared_global.update(node.names)
            names.update(node.names)

        def visit_Name(self, node: ast.Name) -> None:
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                self.bind(node.id)

        def visit_alias(self, node: ast.alias) -> None:
            self.bind((node.asname or node.name).split(".")[0])

        def _scope(self, node: ast.AST, name: str | None) -> None:
            if name:
                self.bind(name)
            for decorator in getattr(node, "decorator_list", []):
                self.visit(decorator)
            self.depth += 1
            for child in ast.iter_child_nodes(node):
                if child not in getattr(node, "decorator_list", []):
                    self.visit(child)
            self.depth -= 1

        def visit_FunctionDef(self, node):  # noqa: N802
            self._scope(node, node.name)

        visit_AsyncFunctionDef = visit_FunctionDef

        def visit_ClassDef(self, node):  # noqa: N802
            self._scope(node, node.name)

        def visit_Lambda(self, node):  # noqa: N802
            self._scope(node, None)

        def visit_ExceptHandler(self, node):  # noqa: N802
            if node.name:
                self.bind(node.name)
            self.generic_visit(node)

        def visit_MatchAs(self, node):  # noqa: N802
            if node.name:
                self.bind(node.name)
            self.generic_visit(node)

        def visit_MatchStar(self, node):  # noqa: N802
            if node.name:
                self.bind(node.name)

    Scan().visit(tree)
    return names


def protected_names(trusted_sources: Iterable[str]) -> tuple[set[str], set[str]]:
    """Names the tests rely on (every builtin, and what the course's own cells define or
    import), and which of them are modules."""
    names = {name for name in dir(builtins) if not name.startswith("_")}
    modules = set()
    for source in trusted_sources:
        try:
            tree = _parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Import):
                bound = {(a.asname or a.name).split(".")[0] for a in node.names}
                names |= bound
                modules |= bound
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    names.add(a.asname or a.name)
                    if _is_module(f"{node.module}.{a.name}"):
                        modules.add(a.asname or a.name)
    return names, modules


def _module_allowed(name: str) -> bool:
    if name.startswith("coursekit"):
        return name in ALLOWED_COURSEKIT
    return name.split(".")[0] in ALLOWED_MODULES


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


class _Checker(ast.NodeVisitor):
    def __init__(self, modules: set[str]):
        self.found: list[tuple[int, str]] = []
        self.modules = set(modules)  # names bound to modules
        self.self_names: list[str | None] = []  # first parameter of the methods we are in

    def flag(self, node: ast.AST, reason: str) -> None:
        self.found.append((getattr(node, "lineno", 1), reason))

    # -- imports ----------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith("coursekit") or not _module_allowed(alias.name):
                self.flag(node, f"`import {alias.name}`: {self._import_advice(alias.name)}")
            self.modules.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        if node.level or not _module_allowed(module):
            self.flag(node, f"`from {module} import ...`: {self._import_advice(module)}")
            return
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, f"`from {module} import *` can rebind names the tests use: import names one by one")
            elif _is_module(f"{module}.{alias.name}"):
                if module.startswith("coursekit"):
                    self.flag(node, f"`from {module} import {alias.name}`: import the functions you use by name")
                self.modules.add(alias.asname or alias.name)

    @staticmethod
    def _import_advice(module: str) -> str:
        if module.startswith("coursekit"):
            return "import the helpers you need by name (from coursekit.grading import run_async)"
        return "this module has no place in an answer here; an asyncio answer needs asyncio, functools, contextlib and the like"

    # -- names ------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("__") and node.id.endswith("__") or node.id in FORBIDDEN_NAMES:
            self.flag(node, f"`{node.id}` is not allowed in a graded notebook")
        elif node.id in self.modules and isinstance(node.ctx, ast.Load) and not getattr(node, "_attribute_base", False):
            self.flag(node, f"the module `{node.id}` may only be used as `{node.id}.name`, not passed around or rebound")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name):
            node.value._attribute_base = True  # type: ignore[attr-defined]
        base_is_self = isinstance(node.value, ast.Name) and bool(self.self_names) and node.value.id == self.self_names[-1]
        attr = node.attr
        if attr.startswith("_") and not base_is_self:
            self.flag(node, f"`.{attr}`: private and special attributes are off limits (except on self)")
        elif attr in FORBIDDEN_ATTRIBUTES or FRAME_ATTRIBUTE.match(attr):
            self.flag(node, f"`.{attr}` reaches into the event loop, frames or streams that the tests own")
        elif attr in ("format",) and not isinstance(node.value, ast.Constant):
            self.flag(node, "`.format` is allowed on a string literal only: use an f-string")
        if isinstance(node.ctx, (ast.Store, ast.Del)) and not base_is_self:
            self.flag(node, f"setting `.{attr}` on an object you did not create changes it for the tests too: "
                            "keep state in your own variables, or in a class's self")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and "__" in node.value:
            self.flag(node, "a string holding `__` (a special name) is not allowed in a graded notebook")

    # -- definitions ------------------------------------------------------

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> None:
        if node.name.startswith("__") and node.name.endswith("__") and node.name not in ALLOWED_DUNDER_METHODS:
            self.flag(node, f"defining `{node.name}` is not allowed: a class in an answer needs only "
                            f"{', '.join(sorted(ALLOWED_DUNDER_METHODS))}")
        args = node.args.posonlyargs + node.args.args
        self.self_names.append(args[0].arg if in_class and args else None)
        for child in ast.iter_child_nodes(node):
            self.visit(child)
        self.self_names.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if node.keywords:
            self.flag(node, "class keywords (metaclass=...) are not allowed")
        for child in node.decorator_list + node.bases:
            self.visit(child)
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in statement.decorator_list:
                    self.visit(decorator)
                self._function(statement, in_class=True)
            else:
                self.visit(statement)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node, in_class=False)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.self_names.append(None)
        self.generic_visit(node)
        self.self_names.pop()

    # -- calls: IPython's magics are calls once transformed ----------------

    def visit_Call(self, node: ast.Call) -> None:
        magic = _magic_call(node)
        if magic is None:
            if isinstance(node.func, ast.Name) and node.func.id == "type" and len(node.args) != 1:
                self.flag(node, "`type(...)` with three arguments builds classes: define a class instead")
            self.generic_visit(node)
            return
        kind, name, args = magic
        line = args[0].strip() if kind == "run_line_magic" and len(args) == 1 else None
        if name == "load_ext" and line in ALLOWED_EXTENSIONS:
            return
        if name in ("pinfo", "pinfo2") and line and re.fullmatch(r"[A-Za-z][\w.]*", line) and "__" not in line:
            return
        if name in ALLOWED_MAGICS:
            for code in args:
                self._check_code(node, code)
            return
        self.flag(node, f"the magic or shell command `%{name}` is not allowed in a graded notebook (only %time and %timeit)")

    def _check_code(self, node: ast.AST, code: str) -> None:
        try:
            tree = compile(code, "<magic>", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except SyntaxError:
            return  # IPython reports it when the cell runs
        inner = _Checker(self.modules)
        inner.visit(tree)
        for _, reason in inner.found:
            self.flag(node, reason)


def _magic_call(node: ast.Call) -> tuple[str, str, list[str]] | None:
    """("run_line_magic", "time", [code]) for ``get_ipython().run_line_magic('time', 'code')``."""
    func = node.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr in ("run_line_magic", "run_cell_magic", "system", "getoutput")
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "get_ipython"
    ):
        return None
    values = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if func.attr in ("system", "getoutput") or not values:
        return func.attr, "!", []
    name, rest = values[0], values[1:]
    if func.attr == "run_cell_magic":
        code = [rest[-1]] if rest else []
        if len(rest) > 1 and rest[0].strip():
            code.insert(0, rest[0])
    else:
        code = rest
    return func.attr, name, code


def check_source(source: str, protected: set[str], modules: set[str] = frozenset(), cell: int = 0) -> list[Violation]:
    """The violations in one cell's source."""
    lines = source.splitlines() or [""]
    try:
        tree = _parse(source)
    except SyntaxError:
        # A cell that does not parse never runs, so it can do no harm; IPython reports it.
        return []
    checker = _Checker(modules)
    checker.visit(tree)
    rebound = sorted(_module_bindings(tree) & protected)
    for name in rebound:
        line = next((n for n, text in enumerate(lines, 1) if re.search(rf"\b{re.escape(name)}\b", text)), 1)
        checker.found.append((line, f"`{name}` is a name the tests use: give your variable another name"))
    violations = {}
    for line, reason in checker.found:
        code = lines[line - 1] if 0 < line <= len(lines) else ""
        violations.setdefault((line, reason), Violation(cell, line, reason, code))
    return sorted(violations.values(), key=lambda v: (v.line, v.reason))


def is_trusted(cell: dict) -> bool:
    """A cell the course wrote and the grader restores: locked, or a test (a grade cell that is no solution)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("locked") or (meta.get("grade") and not meta.get("solution")))


def check_cells(cells: list[dict], trusted: Iterable[bool] | None = None) -> list[Violation]:
    """Check every code cell that is not trusted, against the names the trusted ones define."""
    trusted = list(trusted) if trusted is not None else [is_trusted(c) for c in cells]
    protected, modules = protected_names(c["source"] for c, ok in zip(cells, trusted) if ok and c["cell_type"] == "code")
    found = []
    for index, (cell, ok) in enumerate(zip(cells, trusted)):
        if cell["cell_type"] == "code" and not ok:
            found.extend(check_source(cell["source"], protected, modules, index))
    return found


def report(violations: list[Violation]) -> str:
    return "\n".join(str(v) for v in violations)


def check_notebook(filename: str) -> None:
    """The check cell at the end of an assignment: raise PolicyError naming what the grader will not run.

    It reads the saved notebook (save first). The autograder runs the same check
    on the notebook it grades, so this cell passes quietly there.
    """
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        return
    if not os.path.exists(filename):
        print(f"Could not find {filename} next to this notebook, so it was not checked. Keep the file's name as given.")
        return
    with open(filename, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    for cell in cells:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    violations = check_cells(cells)
    if violations:
        raise PolicyError(
            "the grader will not run these cells of the saved notebook, and they would score nothing:\n"
            + report(violations)
            + "\nChange them, save, and run this cell again."
        )
    print(f"{filename}: every cell you can edit keeps to the course's rules (checked the saved file).")
