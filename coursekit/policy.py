"""What has no place in a graded answer: a static check, early advice before hand-in.

The grade is protected by construction (every test cell runs in globals of
its own, ``instructor.sealing``) and at run time (``coursekit.guard``, an
audit hook that refuses frames, hooks, ``exec`` of Python's own code, files
and processes while the notebook runs). This check comes earlier: it reads
every cell a student can edit and names, with the cell and line as
JupyterLab shows them, what an asyncio answer never does and the autograder
will not run:

* hooks: tracing and profiling, audit hooks, IPython's shell (its events,
  hooks and transformers), changes to ``sys.meta_path`` and the import system;
* code made at run time: ``exec``, ``eval``, ``compile``, ``__import__``,
  ``importlib``;
* frames and code objects: ``sys._getframe``, ``f_back``, ``gi_frame``,
  ``cr_frame``, ``tb_frame``, ``f_locals``, ``__code__``, ``__globals__``,
  ``__closure__``, ``__builtins__``, ``__subclasses__``, ``__self__``...;
* the garbage collector and ``ctypes``;
* the loop clock's set-up: ``setup_looptime``, looptime's internals,
  assigning ``loop.time``;
* processes (shell commands too), and writing files outside the temporary
  folder;
* changing a module (``asyncio.sleep = ...``) for every piece of code in
  the kernel, the tests included.

It reads every place where code names an attribute: attribute syntax,
``getattr`` and its kin, ``match`` class patterns (``case
object(__globals__=ns)``), names in strings (``attrgetter``, format fields
and their nested specs, ``"{0:{1.gi_frame}}"``, including strings glued
together from pieces), quoted annotations (``typing.get_type_hints``
evaluates them), and the code in magics (``%time``, ``%%time`` bodies with
IPython syntax of their own, ``run_cell_magic``). Everything else is the
student's business: re-imports, ``type(x).__name__``, ``__name__``, dunder
methods of one's own classes, ``dir()``, ``vars()``, ``help()``, rebinding
any name (the tests do not share the notebook's namespace).

The same findings serve the autograder (``instructor.screening`` does not
run a cell with one), ``nbgrader validate`` (the Validate button, through
``coursekit.validation``), and the
check cell at the end of every assignment::

    from coursekit.policy import check_notebook
    check_notebook("crawler.ipynb")

Messages are in the notebook's language (``coursekit.messages``).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import json
import os
import re
import string
import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass

from coursekit import messages

__all__ = ["Violation", "PolicyError", "check_cells", "check_source", "check_notebook", "is_trusted", "say",
           "language_of", "report", "RULES"]

RULES = ("hooks", "exec", "frames", "gc", "clock", "processes", "files", "patch", "magic", "unreadable")

# Attribute names (and names imported from a module) that have no place in an answer, whatever they are read from.
NAMED_ATTRIBUTES: dict[str, str] = {
    **dict.fromkeys((
        "settrace", "setprofile", "settrace_all_threads", "setprofile_all_threads", "addaudithook",
        "set_asyncgen_hooks", "meta_path", "path_hooks", "path_importer_cache", "get_ipython",
        "input_transformers_post", "input_transformers_cleanup", "ast_transformers", "set_custom_exc", "set_hook",
        "register_magic_function", "register_magics", "user_ns", "user_global_ns", "run_cell", "run_cell_async",
        "safe_execfile", "safe_run_module", "_ip",
    ), "hooks"),
    **dict.fromkeys(("__import__", "import_module", "exec_module", "load_module", "run_module", "run_path"), "exec"),
    **dict.fromkeys((
        "_getframe", "_getframemodulename", "_current_frames", "_current_exceptions", "f_back", "f_locals",
        "f_globals", "f_builtins", "f_code", "f_trace", "f_trace_lines", "f_trace_opcodes", "f_lasti", "tb_frame",
        "gi_frame", "cr_frame", "ag_frame", "gi_code", "cr_code", "ag_code", "__code__", "__globals__",
        "__closure__", "__builtins__", "__subclasses__", "__self__", "__defaults__", "__kwdefaults__",
        "get_stack", "walk_stack", "walk_tb", "currentframe", "getouterframes", "getinnerframes", "getframeinfo",
        "getargvalues", "getgeneratorlocals", "getcoroutinelocals", "getasyncgenlocals", "getclosurevars",
    ), "frames"),
    **dict.fromkeys(("get_objects", "get_referrers", "get_referents", "pythonapi", "PyFrame_LocalsToFast"), "gc"),
    **dict.fromkeys(("setup_looptime",), "clock"),
    **dict.fromkeys(("create_subprocess_exec", "create_subprocess_shell", "subprocess_exec", "subprocess_shell",
                     "ProcessPoolExecutor", "getoutput"), "processes"),
}
CODE_ATTRIBUTE = re.compile(
    r"^co_(argcount|cellvars|code|consts|exceptiontable|filename|firstlineno|flags|freevars|kwonlyargcount|lines|"
    r"linetable|lnotab|name|names|nlocals|positions|posonlyargcount|qualname|stacksize|varnames)$"
)
LOOPTIME_INTERNAL = "_LoopTimeEventLoop__"
# Builtins that run code made at run time, and names IPython puts in the notebook's namespace.
NAMED_BUILTINS = {"exec": "exec", "eval": "exec", "compile": "exec", "__import__": "exec",
                  "get_ipython": "hooks", "__builtins__": "frames"}
# Modules with no place in an answer, and their submodules.
MODULES: dict[str, str] = {
    "gc": "gc", "ctypes": "gc", "_ctypes": "gc",
    "importlib": "exec", "runpy": "exec", "code": "exec", "codeop": "exec", "marshal": "exec", "zipimport": "exec",
    "pdb": "hooks", "bdb": "hooks", "trace": "hooks", "IPython.core": "hooks", "IPython.terminal": "hooks",
    "ipykernel": "hooks", "jupyter_client": "hooks",
    "subprocess": "processes", "multiprocessing": "processes", "pty": "processes", "_posixsubprocess": "processes",
    "looptime": "clock",
}
# Objects reached through a module (by attribute, import or alias): module -> names -> rule.
MODULE_OBJECTS: dict[str, dict[str, str]] = {
    "sys": {"settrace": "hooks", "setprofile": "hooks", "addaudithook": "hooks", "set_asyncgen_hooks": "hooks",
            "monitoring": "hooks", "modules": "hooks", "meta_path": "hooks", "path_hooks": "hooks",
            "displayhook": "hooks", "excepthook": "hooks", "breakpointhook": "hooks", "unraisablehook": "hooks",
            "_getframe": "frames", "_current_frames": "frames"},
    "threading": {"settrace": "hooks", "setprofile": "hooks", "settrace_all_threads": "hooks",
                  "setprofile_all_threads": "hooks"},
    "builtins": {"exec": "exec", "eval": "exec", "compile": "exec", "__import__": "exec"},
    "inspect": {name: "frames" for name in ("currentframe", "stack", "trace", "getouterframes", "getinnerframes",
                                            "getframeinfo", "getargvalues", "getgeneratorlocals",
                                            "getcoroutinelocals", "getasyncgenlocals", "getclosurevars")},
    "logging": {"currentframe": "frames"},
    "traceback": {"walk_stack": "frames", "walk_tb": "frames"},
    "IPython": {"get_ipython": "hooks"},
    "os": {**{name: "processes" for name in (
        "system", "popen", "fork", "forkpty", "kill", "killpg", "execv", "execve", "execl", "execle", "execlp",
        "execlpe", "execvp", "execvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp",
        "spawnvpe", "posix_spawn", "posix_spawnp", "pidfd_open")},
        **{name: "files" for name in (
            "remove", "unlink", "rename", "renames", "replace", "rmdir", "removedirs", "mkdir", "makedirs",
            "symlink", "link", "chmod", "chown", "truncate", "open", "mkfifo", "mknod", "utime")}},
    "shutil": {name: "files" for name in ("copy", "copy2", "copyfile", "copytree", "copymode", "copystat", "move",
                                          "rmtree", "make_archive", "unpack_archive", "chown")},
    "sqlite3": {"connect": "files"},
    "asyncio": {"create_subprocess_exec": "processes", "create_subprocess_shell": "processes"},
    "concurrent.futures": {"ProcessPoolExecutor": "processes"},
}
# Functions and methods that write the file named by their first argument (or the path they are called on).
WRITING_METHODS = {"write_text", "write_bytes", "touch", "mkdir", "unlink", "rmdir", "rename", "symlink_to",
                   "hardlink_to", "chmod"}
TEMPORARY = {"tempfile", "gettempdir", "gettempdirb", "mkdtemp", "mkstemp", "TemporaryDirectory",
             "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile"}
# What gives an event loop: calls of these, and attributes named loop.
LOOP_CALLS = {"get_running_loop", "get_event_loop", "new_event_loop", "get_loop"}
LOOP_ATTRIBUTES = {"_loop", "loop"}

# Magics a graded cell may use; the code in time, timeit and capture is checked like the cell's own.
CODE_MAGICS = {"time", "timeit", "capture"}
HELP_MAGICS = {"pinfo", "pinfo2", "pdoc", "pdef", "psource", "psearch"}
QUIET_MAGICS = {"who", "whos", "who_ls", "lsmagic", "magic", "quickref", "precision", "xmode", "pwd", "autoawait"}
EXTENSIONS = {"coursekit.magics"}
SHELL_MAGICS = {"!", "system", "sx", "bash", "sh", "script", "perl", "ruby", "python", "python2", "python3",
                "pypy", "alias", "killbgscripts"}
# Modules this check may import to see what a name stands for (importing anything else could run its code here).
SAFE_TO_IMPORT = {
    "asyncio", "aiohttp", "bs4", "lxml", "yarl", "multidict", "requests", "urllib3", "coursekit", "looptime",
    "dataclasses", "functools", "contextlib", "collections", "concurrent", "typing", "inspect", "traceback",
    "logging", "threading", "os", "sys", "io", "pathlib", "shutil", "json", "re", "random", "time", "math",
    "heapq", "bisect", "itertools", "operator", "copy", "types", "enum", "string", "textwrap", "tempfile",
    "weakref", "queue", "socket", "ssl", "selectors", "signal", "subprocess", "email", "http", "urllib", "html",
    "xml", "importlib", "gc", "ctypes", "IPython", "sqlite3", "codecs", "warnings", "abc", "numbers", "decimal",
    "fractions", "statistics", "datetime", "uuid", "hashlib", "base64", "pprint", "reprlib", "builtins",
    "contextvars", "posixpath", "genericpath", "runpy", "code", "codeop", "marshal", "multiprocessing", "pty",
}
_MAX_DEPTH = 4  # magics inside magics


class PolicyError(Exception):
    """A notebook holds code that the autograder will not run."""


@dataclass(frozen=True)
class Violation:
    """One finding: ``cell`` counts from 1 over every cell, markdown too, as JupyterLab's "Cell N/M" does."""

    cell: int
    line: int  # 1-based, within the cell
    rule: str  # one of RULES
    what: str  # the code that does it, e.g. "`sys.settrace`"
    code: str  # the line
    total: int = 0  # cells in the notebook: the M of "Cell N/M"
    language: str = "en"  # "en", "zh" or "en+zh"

    @property
    def index(self) -> int:
        """The cell's position in ``nb.cells``."""
        return self.cell - 1

    def reason_in(self, language: str) -> str:
        return say(language, f"policy_{self.rule}", what=self.what)

    @property
    def reason(self) -> str:
        return self.reason_in(self.language)

    def where_in(self, language: str) -> str:
        return say(language, "policy_where", cell=self.cell, total=self.total or "?", line=self.line)

    def __str__(self) -> str:
        codes = messages.LANGUAGES if self.language == messages.BOTH else (self.language,)
        said = "\n".join(f"{self.where_in(code)}{say(code, 'colon')}{self.reason_in(code)}" for code in codes)
        return f"{said}\n    {self.code.strip()}"


def say(language: str, key: str, **values: object) -> str:
    """A message of coursekit.messages in ``language`` (English, then Chinese, for "en+zh")."""
    texts = messages.MESSAGES[key]
    codes = messages.LANGUAGES if language == messages.BOTH else (language if language in texts else "en",)
    return "\n".join(texts[code].format(**values) for code in codes)


def language_of(metadata: dict | None) -> str:
    """Whom the check speaks to for a notebook with this metadata (its language; else COURSEKIT_LANGUAGE)."""
    return messages.chosen_language(messages.declared_language(metadata or {}), os.environ.get("COURSEKIT_LANGUAGE"))


# -- what names stand for ------------------------------------------------------------------------------------


_MISSING = object()


def _module(name: str) -> types.ModuleType | None:
    """The module ``name``, imported here only when that is known to be harmless."""
    if name in sys.modules:
        return sys.modules[name]
    if name.split(".")[0] not in SAFE_TO_IMPORT:
        return None
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a module that fails to import here fails for the student too
        return None


def _imported(module: str, name: str) -> object:
    """What ``from module import name`` gives (_MISSING when it cannot be known here)."""
    found = _module(module)
    if found is None:
        return _MISSING
    value = getattr(found, name, _MISSING)
    if value is _MISSING:
        value = _module(f"{module}.{name}") or _MISSING
    return value


_known: dict[int, tuple[object, str, str]] = {}


def _dangerous() -> dict[int, tuple[object, str, str]]:
    """id -> (object, rule, its name) for every object of MODULE_OBJECTS, however it is reached."""
    if not _known:
        for module_name, names in MODULE_OBJECTS.items():
            module = _module(module_name)
            for name, rule in names.items():
                value = getattr(module, name, _MISSING) if module is not None else _MISSING
                if value is not _MISSING and not isinstance(value, (bool, int, str, type(None))):
                    _known.setdefault(id(value), (value, rule, f"{module_name}.{name}"))
    return _known


def _module_rule(name: str) -> str | None:
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        rule = MODULES.get(".".join(parts[:n]))
        if rule:
            return rule
    return None


def _fold(node: ast.AST) -> str | None:
    """The text of a string expression made of constants only ("_" * 2 + "code" + "_" * 2, "".join([...]))."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold(node.left), _fold(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for text, times in ((node.left, node.right), (node.right, node.left)):
            folded = _fold(text)
            if folded is not None and isinstance(times, ast.Constant) and isinstance(times.value, int):
                return folded * max(0, min(times.value, 64))
        return None
    if isinstance(node, ast.JoinedStr):
        parts = [_fold(v) for v in node.values]
        return "".join(parts) if all(p is not None for p in parts) else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
            and len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple))):
        glue = _fold(node.func.value)
        parts = [_fold(e) for e in node.args[0].elts]
        if glue is not None and all(p is not None for p in parts):
            return glue.join(parts)  # type: ignore[arg-type]
    return None


def _attribute_rule(attr: str) -> str | None:
    """The rule an attribute name breaks, wherever it is read from."""
    if attr in NAMED_ATTRIBUTES:
        return NAMED_ATTRIBUTES[attr]
    if CODE_ATTRIBUTE.match(attr):
        return "frames"
    if attr.startswith(LOOPTIME_INTERNAL):
        return "clock"
    return None


def _format_attributes(text: str, depth: int = 0) -> list[str]:
    """The attribute names a format string's fields read, nested specs included ("{0:{1.gi_frame}}")."""
    import _string

    found: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except (ValueError, TypeError):
        return found
    for _, field, spec, _ in parsed:
        if field:
            try:
                _, rest = _string.formatter_field_name_split(field)
                found.extend(key for is_attribute, key in rest if is_attribute and isinstance(key, str))
            except (ValueError, TypeError):
                pass
        if spec and "{" in spec and depth < _MAX_DEPTH:
            found.extend(_format_attributes(spec, depth + 1))
    return found


_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def _parse(source: str) -> ast.Module:
    """A cell as Python: IPython syntax (magics, `!`, `?`) turned into calls, top-level await allowed."""
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell(source)
    # IPython drops a cell's leading blank lines: put them back, so line numbers are the cell's own.
    def blank_lead(text: str) -> int:
        lines = text.splitlines()
        return next((n for n, line in enumerate(lines) if line.strip()), len(lines))

    python = "\n" * max(0, blank_lead(source) - blank_lead(python)) + python
    return compile(python, "<cell>", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def _short(node: ast.AST, limit: int = 60) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001
        return "..."
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- the checker ---------------------------------------------------------------------------------------------


class _Scope:
    """What the student's cells bind, read before any cell is checked."""

    def __init__(self, trees: list[ast.AST], trusted: list[ast.AST]):
        self.modules: dict[str, str] = {}  # name -> the module it is bound to
        self.functions: set[str] = set()  # names bound to functions the student defines
        self.defined: set[str] = set()  # names of the student's own functions and classes
        self.add(trees, trusted)

    def including(self, tree: ast.AST) -> _Scope:
        """This scope and what ``tree`` (the code in a magic) binds."""
        scope = _Scope([], [])
        scope.modules, scope.functions, scope.defined = dict(self.modules), set(self.functions), set(self.defined)
        scope.add([tree], [])
        return scope

    def add(self, trees: list[ast.AST], trusted: list[ast.AST]) -> None:
        for tree in [*trusted, *trees]:
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.asname:
                            self.modules[alias.asname] = alias.name
                        else:
                            self.modules[alias.name.split(".")[0]] = alias.name.split(".")[0]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for alias in node.names:
                        value = _imported(node.module, alias.name) if alias.name != "*" else _MISSING
                        if isinstance(value, types.ModuleType):
                            self.modules[alias.asname or alias.name] = value.__name__
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions.add(node.name)
                    self.defined.add(node.name)
                elif isinstance(node, ast.ClassDef):
                    self.defined.add(node.name)
                elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                    self.functions.update(t.id for t in node.targets if isinstance(t, ast.Name))


class _Checker(ast.NodeVisitor):
    """Walks one cell (or the code of a magic in it) and collects (line, rule, what)."""

    def __init__(self, scope: _Scope, depth: int = 0, fixed: int = 0, base: int = 0):
        self.scope = scope
        self.depth = depth
        self.fixed = fixed  # code of a line magic: every finding is on the magic's line
        self.base = base  # code of a cell magic: its lines come after the magic's own
        self.found: list[tuple[int, str, str]] = []
        self.annotation = 0
        self.temporary: set[str] = set()
        self.loops: set[str] = set()

    # -- reporting --

    def line(self, node: ast.AST) -> int:
        return self.fixed or self.base + getattr(node, "lineno", 1)

    def flag(self, node: ast.AST, rule: str, what: str) -> None:
        self.found.append((self.line(node), rule, what))

    def check(self, tree: ast.AST) -> list[tuple[int, str, str]]:
        self._names(tree)
        self.visit(tree)
        return self.found

    def _names(self, tree: ast.AST) -> None:
        """Names that hold a temporary path or an event loop in this cell, followed through assignments."""
        pairs: list[tuple[str, ast.AST]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                pairs += [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name) and node.value:
                pairs.append((node.target.id, node.value))
            elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                pairs.append((node.optional_vars.id, node.context_expr))
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(node.target, ast.Name):
                pairs.append((node.target.id, node.iter))
        changed = True
        while changed:
            changed = False
            for name, value in pairs:
                if name not in self.temporary and self._temporary(value):
                    self.temporary.add(name)
                    changed = True
                if name not in self.loops and self._loop(value):
                    self.loops.add(name)
                    changed = True

    def _temporary(self, node: ast.AST | None) -> bool:
        if node is None:
            return False
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and (sub.id in TEMPORARY or sub.id in self.temporary):
                return True
            if isinstance(sub, ast.Attribute) and sub.attr in TEMPORARY:
                return True
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and (
                    sub.value == "/tmp" or sub.value.startswith("/tmp/")):
                return True
        return False

    def _loop(self, node: ast.AST | None) -> bool:
        """Whether an expression gives an event loop: get_running_loop() and kin, x.loop, a name holding one."""
        if isinstance(node, ast.Call):
            func = node.func
            return (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) in LOOP_CALLS
        if isinstance(node, ast.Attribute):
            return node.attr in LOOP_ATTRIBUTES
        return isinstance(node, ast.Name) and node.id in self.loops

    def _function_like(self, node: ast.AST | None) -> bool:
        """Whether a value is a function of the student's (what replaces a clock), not a reading of one."""
        if isinstance(node, ast.Lambda):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.scope.functions
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            return name in ("partial", "partialmethod", "MethodType")
        return False

    # -- what an expression stands for --

    def _resolve(self, node: ast.AST) -> object:
        """The object a name or a chain of attributes of a module stands for (_MISSING if unknown)."""
        if isinstance(node, ast.Name):
            if node.id in self.scope.modules:
                return _module(self.scope.modules[node.id]) or _MISSING
            if node.id in NAMED_BUILTINS and node.id not in self.scope.defined:
                return getattr(builtins, node.id, _MISSING)
            return _MISSING
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value)
            if isinstance(base, (types.ModuleType, type)):
                try:
                    return getattr(base, node.attr, _MISSING)
                except Exception:  # noqa: BLE001
                    return _MISSING
        return _MISSING

    def _object(self, node: ast.AST, value: object, what: str) -> None:
        """Flag a module or an object with no place in an answer, however it was reached."""
        if value is _MISSING:
            return
        if isinstance(value, types.ModuleType):
            rule, name = _module_rule(value.__name__), value.__name__
        else:
            entry = _dangerous().get(id(value))
            if entry is None or entry[0] is not value:
                return
            _, rule, name = entry
        if rule:
            self.flag(node, rule, what if what.strip("`").endswith(name) else f"{what} ({name})")

    # -- imports --

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            rule = _module_rule(alias.name)
            if rule:
                self.flag(node, rule, f"`import {alias.name}`")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        rule = _module_rule(node.module)
        if rule:
            self.flag(node, rule, f"`from {node.module} import ...`")
            return
        for alias in node.names:
            if alias.name == "*":
                module = _module(node.module)
                names = vars(module).items() if module is not None else ()
                rules = [_dangerous()[id(v)][1] for n, v in names if not n.startswith("_") and id(v) in _dangerous()]
                if rules:
                    self.flag(node, rules[0], f"`from {node.module} import *`")
                continue
            what = f"`from {node.module} import {alias.name}`"
            rule = _attribute_rule(alias.name)
            if rule:
                self.flag(node, rule, what)
                continue
            self._object(node, _imported(node.module, alias.name), what)

    # -- names and attributes --

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and node.id in NAMED_BUILTINS and node.id not in self.scope.defined:
            self.flag(node, NAMED_BUILTINS[node.id], f"`{node.id}`")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._attribute(node, node.value, node.attr, node.ctx, f"`{_short(node)}`")
        self.generic_visit(node)

    def _attribute(self, node: ast.AST, base: ast.AST, attr: str, ctx: ast.expr_context | None, what: str,
                   value: ast.AST | None = None) -> None:
        """Every way of naming ``attr`` on ``base``: attribute syntax, getattr and kin, match patterns."""
        rule = _attribute_rule(attr)
        if rule:
            self.flag(node, rule, what)
            return
        if attr == "register" and isinstance(base, ast.Attribute) and base.attr == "events" and not (
                isinstance(base.value, ast.Name) and base.value.id == "self"):  # not an event registry of one's own
            self.flag(node, "hooks", what)
            return
        owner = self._resolve(base)
        if owner is not _MISSING:
            try:
                reached = getattr(owner, attr, _MISSING) if isinstance(owner, (types.ModuleType, type)) else _MISSING
            except Exception:  # noqa: BLE001
                reached = _MISSING
            self._object(node, reached, what)
        storing = isinstance(ctx, (ast.Store, ast.Del))
        if isinstance(owner, types.ModuleType):
            if owner.__name__ == "sys" and attr == "path" and (storing or self._changes(node)):
                self.flag(node, "hooks", what)
            elif storing or attr == "__dict__":
                self.flag(node, "patch", what)
        if storing and attr == "time" and (self._loop(base) or self._function_like(value)):
            self.flag(node, "clock", what)

    def _changes(self, node: ast.AST) -> bool:
        """Whether an expression is changed in place where it stands (sys.path.append(...), sys.path[0] = ...)."""
        parent = getattr(node, "_parent", None)
        if isinstance(parent, ast.Attribute) and parent.attr in ("append", "insert", "extend", "remove", "pop",
                                                                 "clear", "__setitem__", "__delitem__"):
            return True
        return isinstance(parent, ast.Subscript) and isinstance(parent.ctx, (ast.Store, ast.Del))

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            child._parent = node  # type: ignore[attr-defined]
        super().generic_visit(node)

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        for attr in node.kwd_attrs:
            self._attribute(node, node.cls, attr, ast.Load(), f"`case {_short(node.cls)}({attr}=...)`")
        self.generic_visit(node)

    # -- assignments: the loop's clock, and what a module holds --

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "time":
                self._attribute(target, target.value, "time", target.ctx, f"`{_short(target)} = ...`", node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Attribute) and node.target.attr == "time" and self._loop(node.target.value):
            self.flag(node, "clock", f"`{_short(node.target)}`")
        self.generic_visit(node)

    # -- strings: names, format fields, quoted annotations --

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self._text(node, node.value)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        folded = _fold(node)
        if folded is not None:
            self._text(node, folded)
        self.generic_visit(node)

    def _text(self, node: ast.AST, text: str) -> None:
        if self.annotation:
            self._annotation_text(node, text)
        if _DOTTED.match(text):
            for part in text.split("."):
                rule = _attribute_rule(part) or ("hooks" if part == "get_ipython" else None)
                if rule:
                    self.flag(node, rule, f"`{text}`" if len(text) < 60 else f"`{part}`")
                    return
        for attr in _format_attributes(text) if "{" in text else ():
            rule = _attribute_rule(attr)
            if rule:
                shown = text if len(text) < 60 else "{..." + attr + "...}"
                self.flag(node, rule, f"`{shown}`")
                return

    def _annotation_text(self, node: ast.AST, text: str) -> None:
        """A quoted annotation is code that typing.get_type_hints evaluates: check it as code."""
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError:
            return
        inner = _Checker(self.scope, self.depth + 1, fixed=self.line(node))
        inner.annotation = self.annotation
        self.found.extend(inner.check(tree))

    def _visit_annotation(self, node: ast.AST | None) -> None:
        if node is None:
            return
        self.annotation += 1
        try:
            self.visit(node)
        finally:
            self.annotation -= 1

    def visit_arg(self, node: ast.arg) -> None:
        self._visit_annotation(node.annotation)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._visit_annotation(node.annotation)
        for child in (node.target, node.value):
            if child is not None:
                child._parent = node  # type: ignore[attr-defined]
                self.visit(child)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._visit_annotation(node.returns)
        for child in [*node.decorator_list, node.args, *node.body, *getattr(node, "type_params", [])]:
            child._parent = node  # type: ignore[attr-defined]
            self.visit(child)

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    # -- calls: getattr and kin, files, and IPython's magics (calls once transformed) --

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        magic = self._magic(node)
        if magic is not None:
            for keyword in node.keywords:
                self.visit(keyword)
            return
        name = func.id if isinstance(func, ast.Name) and func.id not in self.scope.defined else None
        if name in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) >= 2:
            attr = _fold(node.args[1])
            if attr is not None:
                ctx = ast.Store() if name in ("setattr", "delattr") else ast.Load()
                value = node.args[2] if name == "setattr" and len(node.args) > 2 else None
                self._attribute(node, node.args[0], attr, ctx, f"`{_short(node)}`", value)
            elif name in ("setattr", "delattr") and isinstance(self._resolve(node.args[0]), types.ModuleType):
                self.flag(node, "patch", f"`{_short(node)}`")
        if name == "vars" and node.args and isinstance(self._resolve(node.args[0]), types.ModuleType):
            self.flag(node, "patch", f"`{_short(node)}`")
        if name == "ForwardRef" or (isinstance(func, ast.Attribute) and func.attr == "ForwardRef"):
            for arg in node.args[:1]:
                text = _fold(arg)
                if text is not None:
                    self._annotation_text(arg, text)
        self._writes(node)
        self.generic_visit(node)

    def _writes(self, node: ast.Call) -> None:
        """A file written outside the temporary folder: open(..., "w"), Path.write_text, os.remove, shutil..."""
        func = node.func
        target = self._resolve(func)
        if isinstance(func, ast.Name) and func.id == "open" and "open" not in self.scope.defined:
            target = builtins.open
        path: ast.AST | None = None
        mode: ast.AST | None = None
        if target is builtins.open:
            path = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "file"), None)
            mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
            if mode is None:
                return
        elif isinstance(func, ast.Attribute) and func.attr == "open" and target is _MISSING:
            mode = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "mode"), None)
            path = func.value
            if mode is None:
                return
        elif isinstance(func, ast.Attribute) and func.attr in WRITING_METHODS and target is _MISSING:
            path = func.value
        else:
            entry = _dangerous().get(id(target)) if target is not _MISSING else None
            if entry is None or entry[0] is not target or entry[1] != "files":
                return
            path = node.args[0] if node.args else None
            if entry[2] == "sqlite3.connect" and isinstance(path, ast.Constant) and path.value == ":memory:":
                return
        if mode is not None:
            text = _fold(mode)
            if text is not None and (not re.fullmatch(r"[rwxabtU+]+", text) or not set(text) & set("wax+")):
                return
        if not self._temporary(path):
            self.flag(node, "files", f"`{_short(node)}`")

    def _magic(self, node: ast.Call) -> str | None:
        """Check ``get_ipython().run_line_magic(...)`` and its kin, as IPython syntax becomes; the magic's name."""
        func = node.func
        if not (isinstance(func, ast.Attribute)
                and func.attr in ("run_line_magic", "run_cell_magic", "system", "getoutput")
                and isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "get_ipython" and not func.value.args):
            return None
        if func.attr in ("system", "getoutput"):
            self.flag(node, "processes", f"`!{_fold(node.args[0]) or '...'}`" if node.args else "`!`")
            return "!"
        args = [_fold(a) for a in node.args]
        if not args or any(a is None for a in args):
            self.flag(node, "unreadable", f"`{_short(node)}`")
            return "?"
        name, rest = args[0], args[1:]
        line = rest[0] if rest else ""
        cell = rest[1] if func.attr == "run_cell_magic" and len(rest) > 1 else None
        shown = f"%%{name}" if cell is not None else f"%{name}"
        if name in SHELL_MAGICS:
            self.flag(node, "processes", f"`{shown} {line}`".replace(" `", "`"))
        elif name == "writefile" and cell is not None:
            target = line.split()[-1] if line.split() else ""
            if not (target == "/tmp" or target.startswith("/tmp/")):
                self.flag(node, "files", f"`%%writefile {line}`")
        elif name in ("load_ext", "reload_ext") and cell is None and line.strip() in EXTENSIONS:
            pass
        elif name in HELP_MAGICS and cell is None:
            self._code(node, line.strip().rstrip("?"), expression=True)
        elif name in QUIET_MAGICS:
            pass
        elif name in CODE_MAGICS:
            for code, body in self._magic_code(node, name, line, cell):
                self._code(node, code, cell=body)
        else:
            self.flag(node, "magic", f"`{shown}`")
        return name

    def _magic_code(self, node: ast.AST, name: str, line: str, cell: str | None) -> list[tuple[str, bool]]:
        """The code a magic runs, split from its options as IPython splits it: (code, whether it is the body)."""
        from IPython.core import magic_arguments
        from IPython.core.magics.execution import ExecutionMagics

        body = [(cell, True)] if cell is not None else []
        if name == "capture":
            return body
        try:
            if name == "time":
                _, extra = magic_arguments.parse_argstring(ExecutionMagics.time, line, partial=True)
                return [(" ".join(extra), False), *body]
            _, statement = ExecutionMagics(shell=None).parse_options(
                line, "n:r:tcp:qov:", posix=False, strict=False, preserve_non_opts=True)
        except Exception:  # noqa: BLE001 - the magic's options as IPython would not read them: it refuses them too
            return body
        return [(statement, False), *body]

    def _code(self, node: ast.AST, code: str, expression: bool = False, cell: bool = False) -> None:
        """Check the code inside a magic, with IPython's syntax of its own, at the magic's line."""
        if not code.strip():
            return
        if self.depth >= _MAX_DEPTH:
            self.flag(node, "unreadable", "`%time ...`")
            return
        if expression and "*" in code:
            return  # psearch's wildcards: names only, nothing is read from them
        try:
            tree: ast.AST = ast.parse(code.strip(), mode="eval") if expression else _parse(code)
        except (SyntaxError, ValueError):
            return  # IPython cannot run it either
        inner = _Checker(self.scope.including(tree), self.depth + 1, fixed=0 if cell else self.line(node),
                         base=self.line(node) if cell else 0)
        self.found.extend(inner.check(tree))


# -- cells and notebooks -------------------------------------------------------------------------------------


def _checked(source: str) -> ast.Module | None:
    try:
        return _parse(source)
    except (SyntaxError, ValueError):
        return None  # a cell that does not parse never runs, so it can do no harm; IPython reports it


def check_source(source: str, cell: int = 1, total: int = 0, language: str = "en",
                 scope: _Scope | None = None) -> list[Violation]:
    """The findings in one cell's source (``cell``: its number as JupyterLab shows it)."""
    tree = _checked(source)
    if tree is None:
        return []
    scope = scope or _Scope([tree], [])
    lines = source.splitlines() or [""]
    found: dict[tuple[int, str], Violation] = {}  # one finding of each rule a line: the widest, found first
    for line, rule, what in _Checker(scope).check(tree):
        code = lines[line - 1] if 0 < line <= len(lines) else ""
        found.setdefault((line, rule), Violation(cell, line, rule, what, code, total, language))
    return sorted(found.values(), key=lambda v: (v.line, RULES.index(v.rule), v.what))


def is_trusted(cell: dict) -> bool:
    """A cell the course wrote and the grader restores, unchanged: locked, or a test (a grade cell that is no
    solution), with the checksum it was released with."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if not (meta.get("locked") or (meta.get("grade") and not meta.get("solution"))):
        return False
    return "checksum" not in meta or _checksum(cell) == meta["checksum"]


def _checksum(cell: dict) -> str | None:
    """nbgrader's checksum of a cell (nbgrader.utils.compute_checksum, without importing nbgrader in a kernel)."""
    import hashlib

    meta = cell.get("metadata", {}).get("nbgrader", {})
    solution, grade = bool(meta.get("solution", False)), bool(meta.get("grade", False))
    locked = False if solution else True if grade else bool(meta.get("locked", False))
    try:
        parts = [_source(cell), cell["cell_type"], str(grade), str(solution), str(locked), meta["grade_id"]]
        if grade:
            parts.append(str(float(meta["points"])))
        return hashlib.md5("".join(parts).encode("utf-8")).hexdigest()
    except (KeyError, TypeError, ValueError):
        return None


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def check_cells(cells: list[dict], trusted: Iterable[bool] | None = None, language: str = "en") -> list[Violation]:
    """Check every code cell that is not trusted; cells are numbered from 1 over all cells, as JupyterLab does."""
    trusted = list(trusted) if trusted is not None else [is_trusted(c) for c in cells]
    code = [(i, _source(c), ok) for i, (c, ok) in enumerate(zip(cells, trusted)) if c.get("cell_type") == "code"]
    trees = {i: _checked(source) for i, source, _ in code}
    scope = _Scope([trees[i] for i, _, ok in code if not ok and trees[i] is not None],
                   [trees[i] for i, _, ok in code if ok and trees[i] is not None])
    found = []
    for index, source, ok in code:
        if not ok:
            found.extend(check_source(source, index + 1, len(cells), language, scope))
    return found


def report(violations: list[Violation]) -> str:
    return "\n".join(str(v) for v in violations)


def check_notebook(filename: str) -> None:
    """The check cell at the end of an assignment: raise PolicyError naming what the autograder will not run.

    It reads the saved notebook (save first), and speaks its language. The
    autograder runs the same check on the notebook it grades (and so does
    ``nbgrader validate``), so this cell passes quietly there.
    """
    if os.environ.get("NBGRADER_EXECUTION") in ("autograde", "validate"):
        return
    language = language_of(None)
    if not os.path.exists(filename):
        print(say(language, "policy_missing", filename=filename))
        return
    with open(filename, encoding="utf-8") as f:
        nb = json.load(f)
    language = language_of(nb.get("metadata"))
    violations = check_cells(nb.get("cells", []), language=language)
    if violations:
        raise PolicyError("\n".join([say(language, "policy_failed"), report(violations), say(language, "policy_change")]))
    print(say(language, "policy_passed", filename=filename))
