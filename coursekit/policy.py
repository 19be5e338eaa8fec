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
import string
import types
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Violation", "check_cells", "check_notebook", "protected_names", "PolicyError"]

# Modules an answer may import: these, and the submodules of those marked with ".*".
ALLOWED_MODULES = {
    "asyncio.*", "aiohttp.*", "bisect", "bs4.*", "collections.*", "concurrent", "concurrent.futures", "contextlib",
    "copy", "dataclasses", "datetime", "decimal", "enum", "fractions", "functools", "heapq", "html", "itertools",
    "json.*", "lxml.*", "math", "numbers", "pprint", "random", "re", "requests.*", "statistics", "textwrap", "time",
    "typing", "urllib.parse", "yarl.*",
}
# From the course's own package, only what notebooks use, and only the names each module exports.
ALLOWED_COURSEKIT = {"coursekit.grading", "coursekit.cinema", "coursekit.cinema.pages", "coursekit.timeline"}

REFLECTION = {
    "__import__", "breakpoint", "compile", "delattr", "dir", "eval", "exec", "exit", "getattr", "globals",
    "help", "input", "locals", "memoryview", "open", "quit", "setattr", "vars", "get_ipython",
}
FORBIDDEN_NAMES = REFLECTION | {"SystemExit", "KeyboardInterrupt", "GeneratorExit"}
# Attributes (and names imported from a module) that reach frames, code, tasks' stacks, the loop's
# machinery, the streams, other processes, or evaluate strings.
FORBIDDEN_ATTRIBUTES = REFLECTION | {
    "all_tasks", "get_coro", "get_stack", "print_stack", "set_exception_handler", "call_exception_handler",
    "default_exception_handler", "set_task_factory", "get_task_factory", "set_event_loop", "set_event_loop_policy",
    "get_event_loop_policy", "new_event_loop", "run_until_complete", "run_forever", "add_signal_handler",
    "redirect_stdout", "redirect_stderr", "format_map", "get_type_hints", "set_debug", "set_default_executor",
    "create_subprocess_exec", "create_subprocess_shell", "subprocess_exec", "subprocess_shell",
    "ProcessPoolExecutor", "singledispatch", "singledispatchmethod",
}
FRAME_ATTRIBUTE = re.compile(r"^(f|tb|gi|cr|ag|co)_")
# Special methods a class in an answer may define; __eq__ and its kin are not among them.
ALLOWED_DUNDER_METHODS = {
    "__init__", "__aenter__", "__aexit__", "__enter__", "__exit__", "__aiter__", "__anext__", "__iter__",
    "__next__", "__call__", "__repr__", "__str__", "__post_init__", "__len__",
}
# Decorators under which a method's first parameter is still its own instance (or class).
METHOD_DECORATORS = {"staticmethod", "classmethod", "property", "setter", "asynccontextmanager", "contextmanager",
                     "cached_property", "abstractmethod", "wraps"}
CLASS_DECORATORS = {"dataclass"}
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


def protected_names(trusted_sources: Iterable[str]) -> tuple[set[str], dict[str, str]]:
    """Names the tests rely on (every builtin, and what the course's own cells define or
    import), and which of them are modules (name -> module)."""
    names = {name for name in dir(builtins) if not name.startswith("_")}
    modules: dict[str, str] = {}
    for source in trusted_sources:
        try:
            tree = _parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    bound = a.asname or a.name.split(".")[0]
                    names.add(bound)
                    modules[bound] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    names.add(a.asname or a.name)
                    value = _imported(node.module or "", a.name)
                    if isinstance(value, types.ModuleType):
                        modules[a.asname or a.name] = value.__name__
    return names, modules


def _module_allowed(name: str) -> bool:
    if name.startswith("coursekit"):
        return name in ALLOWED_COURSEKIT
    parts = name.split(".")
    return name in ALLOWED_MODULES or any(".".join(parts[:n]) + ".*" in ALLOWED_MODULES for n in range(1, len(parts) + 1))


_MISSING = object()


def _imported(module: str, name: str) -> object:
    """What ``from module import name`` gives (the module is imported here, in the checker)."""
    try:
        value = getattr(importlib.import_module(module), name, _MISSING)
        if value is _MISSING and importlib.util.find_spec(f"{module}.{name}") is not None:
            value = importlib.import_module(f"{module}.{name}")
        return value
    except Exception:  # noqa: BLE001 - an import that fails here fails for the student too
        return _MISSING


def _attribute_value(module: str, chain: list[str]) -> object:
    """The object ``module.a.b`` names, followed through modules only; _MISSING past anything else."""
    try:
        value: object = importlib.import_module(module)
    except Exception:  # noqa: BLE001
        return _MISSING
    for name in chain:
        if not isinstance(value, types.ModuleType):
            return _MISSING
        value = getattr(value, name, _MISSING)
    return value


class _Checker(ast.NodeVisitor):
    """Walks one cell. ``modules`` maps names to the modules they are bound to; ``classes``
    maps the classes the student defines (in any cell) to their plain methods."""

    def __init__(self, protected: set[str], modules: dict[str, str], classes: dict[str, set[str]]):
        self.found: list[tuple[int, str]] = []
        self.protected = protected
        self.modules = dict(modules)
        self.classes = classes
        self.plain_methods = set().union(*classes.values()) if classes else set()
        self.self_names: list[str | None] = []  # the instance parameter in scope, per function

    def flag(self, node: ast.AST, reason: str) -> None:
        self.found.append((getattr(node, "lineno", 1), reason))

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            child._parent = node  # type: ignore[attr-defined]
        super().generic_visit(node)

    # -- imports ----------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith("coursekit") or not _module_allowed(alias.name):
                self.flag(node, f"`import {alias.name}`: {self._import_advice(alias.name)}")
            bound = alias.asname or alias.name.split(".")[0]
            self.modules[bound] = alias.name if alias.asname else alias.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        if node.level or not _module_allowed(module):
            self.flag(node, f"`from {module} import ...`: {self._import_advice(module)}")
            return
        exported = None
        if module.startswith("coursekit"):
            exported = set(getattr(importlib.import_module(module), "__all__", ()))
        for alias in node.names:
            name = alias.name
            if name == "*":
                self.flag(node, f"`from {module} import *` can rebind names the tests use: import names one by one")
                continue
            value = _imported(module, name)
            if isinstance(value, types.ModuleType):
                if module.startswith("coursekit") or not _module_allowed(value.__name__):
                    self.flag(node, f"`from {module} import {name}` gives the module {value.__name__}: "
                                    f"{self._import_advice(value.__name__)}")
                self.modules[alias.asname or name] = value.__name__
            elif name.startswith("_") or name in FORBIDDEN_ATTRIBUTES or (exported is not None and name not in exported):
                self.flag(node, f"`from {module} import {name}`: that name is not for answers")

    @staticmethod
    def _import_advice(module: str) -> str:
        if module.startswith("coursekit"):
            return "import the helpers you need by name (from coursekit.grading import run_async)"
        return "this module has no place in an answer here; an asyncio answer needs asyncio, functools, contextlib and the like"

    # -- names ------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        parent = getattr(node, "_parent", None)
        if node.id.startswith("__") and node.id.endswith("__") or node.id in FORBIDDEN_NAMES:
            self.flag(node, f"`{node.id}` is not allowed in a graded notebook")
        elif node.id in self.modules and isinstance(node.ctx, ast.Load) and not isinstance(parent, ast.Attribute):
            self.flag(node, f"the module `{node.id}` may only be used as `{node.id}.name`, not passed around or rebound")
        elif node.id in self.classes and isinstance(node.ctx, ast.Load) and not self._class_use_allowed(node, parent):
            self.flag(node, f"the class `{node.id}` may only be instantiated, subclassed, raised or checked with "
                            f"isinstance: call methods on instances")

    def _class_use_allowed(self, node: ast.Name, parent: ast.AST | None) -> bool:
        if isinstance(parent, ast.Call) and parent.func is node:
            return True
        if isinstance(parent, ast.Attribute):
            return parent.attr not in self.plain_methods and not parent.attr.startswith("__")
        if isinstance(parent, (ast.ClassDef, ast.Raise, ast.ExceptHandler)):
            return True
        if isinstance(parent, ast.Tuple) and isinstance(getattr(parent, "_parent", None), ast.ExceptHandler):
            return True
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id in ("isinstance", "issubclass"):
            return True
        return False

    def _self(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and bool(self.self_names) and node.id == self.self_names[-1]

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        base = node.value
        dunder = attr.startswith("__") and attr.endswith("__")
        on_super = isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "super"
        if dunder and not (on_super and attr in ALLOWED_DUNDER_METHODS):
            self.flag(node, f"`.{attr}`: special attributes are off limits")
        elif attr.startswith("_") and not dunder and not self._self(base):
            self.flag(node, f"`.{attr}`: private attributes are off limits (except on self)")
        elif attr in FORBIDDEN_ATTRIBUTES or FRAME_ATTRIBUTE.match(attr):
            self.flag(node, f"`.{attr}` reaches into the event loop, frames, streams or processes that the tests own")
        elif attr == "format" and not isinstance(base, ast.Constant):
            self.flag(node, "`.format` is allowed on a string literal only: use an f-string")
        elif attr == "format" and isinstance(base.value, str) and _format_reaches(base.value):
            self.flag(node, "a format string may not reach into attributes or items (`{0.x}`, `{0[k]}`): use an f-string")
        if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "type":
            self.flag(node, "attributes of `type(...)` are off limits")
        if isinstance(node.ctx, (ast.Store, ast.Del)) and not self._self(base):
            self.flag(node, f"setting `.{attr}` on an object you did not create changes it for the tests too: "
                            "keep state in your own variables, or in a class's self")
        chain = self._module_chain(node)
        if chain is not None:
            module, names = chain
            value = _attribute_value(self.modules[module], names)
            if isinstance(value, types.ModuleType):
                parent = getattr(node, "_parent", None)
                if not _module_allowed(value.__name__):
                    self.flag(node, f"`{module}.{'.'.join(names)}` is the module {value.__name__}: "
                                    f"{self._import_advice(value.__name__)}")
                elif not isinstance(parent, ast.Attribute):
                    self.flag(node, f"the module `{module}.{'.'.join(names)}` may only be used as a prefix, not passed around")
        self.generic_visit(node)

    def _module_chain(self, node: ast.Attribute) -> tuple[str, list[str]] | None:
        names = []
        current: ast.AST = node
        while isinstance(current, ast.Attribute):
            names.append(current.attr)
            current = current.value
        if isinstance(current, ast.Name) and current.id in self.modules:
            return current.id, names[::-1]
        return None

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, (str, bytes)) and ("__" in value if isinstance(value, str) else b"__" in value):
            self.flag(node, "a string holding `__` (a special name) is not allowed in a graded notebook")

    # -- definitions ------------------------------------------------------

    def _arguments(self, args: ast.arguments) -> None:
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and isinstance(arg.annotation, ast.Constant) and isinstance(arg.annotation.value, str):
                self.flag(arg, "annotations must be expressions, not strings")

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, method: bool) -> None:
        name = getattr(node, "name", None)
        if name and name.startswith("__") and name.endswith("__") and name not in ALLOWED_DUNDER_METHODS:
            self.flag(node, f"defining `{name}` is not allowed: a class in an answer needs only "
                            f"{', '.join(sorted(ALLOWED_DUNDER_METHODS))}")
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        returns = getattr(node, "returns", None)
        if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
            self.flag(node, "annotations must be expressions, not strings")
        self._arguments(node.args)
        params = [a.arg for a in node.args.posonlyargs + node.args.args]
        decorators = {_decorator_name(d) for d in getattr(node, "decorator_list", [])}
        if method and params and "staticmethod" not in decorators and decorators <= METHOD_DECORATORS:
            own = params[0]  # its own instance, or class for a classmethod
        elif method:
            own = None
        else:  # a nested function or lambda sees the enclosing method's self, unless it shadows it
            outer = self.self_names[-1] if self.self_names else None
            all_params = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}
            own = outer if outer not in all_params else None
        self.self_names.append(own)
        for child in (node.body if isinstance(node.body, list) else [node.body]):
            child._parent = node  # type: ignore[attr-defined]
            self.visit(child)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        self.self_names.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if node.keywords:
            self.flag(node, "class keywords (metaclass=...) are not allowed")
        for decorator in node.decorator_list:
            if _decorator_name(decorator) not in CLASS_DECORATORS:
                self.flag(node, "a class may only be decorated with @dataclass")
            self.visit(decorator)
        for base in node.bases:
            base._parent = node  # type: ignore[attr-defined]
            self.visit(base)
        self.self_names.append(None)  # the class body has no self
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(statement, method=True)
            else:
                statement._parent = node  # type: ignore[attr-defined]
                self.visit(statement)
        self.self_names.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node, method=False)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function(node, method=False)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.annotation, ast.Constant) and isinstance(node.annotation.value, str):
            self.flag(node, "annotations must be expressions, not strings")
        self.generic_visit(node)

    # -- calls: IPython's magics are calls once transformed ----------------

    def visit_Call(self, node: ast.Call) -> None:
        magic = _magic_call(node)
        if magic is None:
            func = node.func
            if isinstance(func, ast.Name) and func.id == "type" and len(node.args) != 1:
                self.flag(node, "`type(...)` with three arguments builds classes: define a class instead")
            if isinstance(func, ast.Call):
                self.flag(node, "calling the result of a call (`f(x)(y)`) is not allowed in a graded notebook: name it first")
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
        inner = _Checker(self.protected, self.modules, self.classes)
        inner.visit(tree)
        for name in sorted(_module_bindings(tree) & self.protected):
            inner.found.append((1, f"`{name}` is a name the tests use: give your variable another name"))
        for _, reason in inner.found:
            self.flag(node, reason)


def _decorator_name(node: ast.AST) -> str:
    while isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _format_reaches(text: str) -> bool:
    """Whether a format string's fields reach into attributes or items."""
    try:
        fields = [field for _, field, spec, _ in string.Formatter().parse(text) if field is not None]
    except ValueError:
        return True
    return any("." in field or "[" in field for field in fields)


def _student_classes(trees: list[ast.Module]) -> dict[str, set[str]]:
    """The classes the student's cells define, with their plain (instance) methods."""
    classes: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, set()).update(
                    item.name for item in node.body
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and not {_decorator_name(d) for d in item.decorator_list} & {"staticmethod", "classmethod"}
                )
    return classes


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


def check_source(
    source: str,
    protected: set[str],
    modules: dict[str, str] | None = None,
    cell: int = 0,
    classes: dict[str, set[str]] | None = None,
) -> list[Violation]:
    """The violations in one cell's source."""
    lines = source.splitlines() or [""]
    try:
        tree = _parse(source)
    except SyntaxError:
        # A cell that does not parse never runs, so it can do no harm; IPython reports it.
        return []
    checker = _Checker(protected, modules or {}, classes if classes is not None else _student_classes([tree]))
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
    checked = [(i, c["source"]) for i, (c, ok) in enumerate(zip(cells, trusted)) if c["cell_type"] == "code" and not ok]
    trees = []
    for _, source in checked:
        try:
            trees.append(_parse(source))
        except SyntaxError:
            pass
    classes = _student_classes(trees)
    found = []
    for index, source in checked:
        found.extend(check_source(source, protected, modules, index, classes))
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
