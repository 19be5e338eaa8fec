"""Guards at run time that student code cannot remove: a PEP 578 audit hook.

The hidden tests run in the same process as the student's code, so what
holds the grade cannot be a rule about how code is written (that is
``coursekit.policy``'s early advice): it must hold whatever the code does.
Three things hold it here, all kept in one audit hook. Once added, a hook
cannot be removed, and nothing in Python can read its state: the hook is
referenced only from inside the interpreter, and the ways to reach it
anyway (frames, the garbage collector, ctypes) are what it refuses.

* **Refusals.** While the notebook's code runs, the hook refuses: frames
  (``sys._getframe``, ``tb_frame``, ``gi_frame``, ``cr_frame``,
  ``ag_frame``, ``f_code``), the garbage collector's views of objects,
  tracing and profiling, new audit hooks, ``ctypes``, building code or
  functions from code, compiling or executing code that claims to be the
  course's or Python's own files, imports outside the allow-list, opening
  files for writing outside the temporary folder, anything under
  ``/proc``, and starting processes. Python's own helpers that read frames
  and hand back only text (tracebacks, logging, a task's repr) may still
  do so: an event is allowed when, walking up from it, one of those
  *consumers* comes before any frame of the student's code.
* **Integrity.** When the guard is installed it takes a snapshot of what
  the tests rely on (the namespaces of the course's toolkit, asyncio,
  looptime and the standard modules they use, their classes' attributes,
  and the builtins). ``verify()`` compares them with it, and names
  whatever was replaced.
* **Seals.** The grader runs each test cell through ``run_test``, with a
  key it gave the kernel when it started. When the test has run to its
  end and the snapshot still holds, the hook signs (cell, nonce, source):
  the grader counts the cell only with that signature, which no code in
  the notebook can make, because only the hook holds the key. Whatever a
  submission does to the kernel's own reporting (IPython's hooks, its
  output), it can only lose points.

The loop's clock is watched too: ``clock(loop, reading)`` records each
reading an instrument takes, and a reading earlier than the one before on
the same loop means that someone set the clock back.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile

__all__ = ["install", "installed", "verify", "clock", "forbid", "forbidden", "run_test", "GuardError", "SEAL"]

SEAL = "coursekit-seal"  # the line run_test prints; the grader checks and removes it
KEY_VARIABLE = "COURSEKIT_SEAL_KEY"

# Modules whose namespaces (and classes) the tests rely on: these names and their submodules.
GUARDED_MODULES = (
    "coursekit", "asyncio", "looptime", "builtins", "functools", "contextlib", "random", "time", "inspect",
    "types", "dataclasses", "traceback", "collections", "operator", "heapq", "itertools", "copy", "re", "json",
    "math", "weakref", "threading", "io", "bs4", "typing", "os", "posixpath", "genericpath",
)
# Names that change while a kernel works, by design: not compared.
MUTABLE_NAMES = {
    ("asyncio.events", "_event_loop_policy"), ("coursekit.messages", "_language"), ("random", "_inst"),
    ("builtins", "input"), ("threading", "_main_thread"), ("threading", "_counter"), ("typing", "_cleanups"),
}
# Top-level modules an answer may import for the first time (most of what it needs is loaded already).
ALLOWED_IMPORTS = frozenset({
    "asyncio", "aiohttp", "bs4", "lxml", "yarl", "multidict", "soupsieve", "html5lib", "requests", "urllib3",
    "__future__", "abc", "array", "bisect", "collections", "concurrent", "contextlib", "contextvars", "copy",
    "dataclasses", "datetime", "decimal", "difflib", "enum", "fractions", "functools", "graphlib", "hashlib",
    "heapq", "html", "itertools", "json", "logging", "math", "numbers", "operator", "pathlib", "pprint",
    "queue", "random", "re", "reprlib", "statistics", "string", "textwrap", "time", "traceback", "typing",
    "unicodedata", "urllib", "uuid", "warnings", "weakref", "zoneinfo", "coursekit", "pydoc", "pydoc_data",
    "sys", "types", "numbers", "locale", "calendar", "email", "encodings", "codecs", "base64", "binascii",
    "zlib", "struct", "collections", "_strptime", "keyword", "token", "tokenize", "linecache", "ast", "dis",
    "opcode", "annotationlib", "typing_extensions",
})
# What /proc shows of a process that it must not read: its first environment (the grader's key), its memory.
PROC_SECRETS = frozenset({"environ", "mem", "pagemap", "map_files", "auxv", "syscall", "stack", "kcore"})
FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_code"})
PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                            "os.forkpty", "pty.spawn", "os.startfile"})
ALWAYS_REFUSED = frozenset({"sys.settrace", "sys.setprofile", "sys.addaudithook", "gc.get_objects",
                            "gc.get_referrers", "gc.get_referents", "code.__new__", "sys.monitoring.register_callback",
                            "sys._current_frames", "sys._current_exceptions", "cpython.run_command"})

# What a debugger does: allowed in a student's own kernel when no cell asked for it (install(tools=True)).
TOOL_EVENTS = frozenset({"sys.settrace", "sys.setprofile", "sys.monitoring.register_callback", "sys._current_frames"})


class GuardError(RuntimeError):
    """What the guard refused, and why."""


_state: dict = {}  # {"installed": True} once install() ran; never holds the hook or the key


def installed() -> bool:
    return bool(_state.get("installed"))


def _trusted_roots() -> tuple[str, ...]:
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        roots.add(sysconfig.get_paths()[key])
    roots.add(os.path.dirname(os.path.abspath(__file__)))
    for entry in sys.path:
        if entry and os.path.isdir(entry) and ("site-packages" in entry or entry.startswith(sys.base_prefix)
                                                or entry.startswith(sys.prefix)):
            roots.add(entry)
    expanded = set()
    for root in roots:
        expanded.add(os.path.abspath(root))
        expanded.add(os.path.realpath(root))
    return tuple(sorted(root.rstrip("/") + "/" for root in expanded))


# Code that reads frames and gives back only text or names, and the modules whose namespaces it relies
# on: it may read frames only while those are as the guard found them, so that nobody can make it hand
# a frame over by replacing what it calls.
def _consumers() -> dict[object, tuple[str, tuple[str, ...]]]:
    import asyncio.base_tasks
    import asyncio.coroutines
    import asyncio.format_helpers
    import collections
    import enum
    import importlib._bootstrap
    import logging
    import traceback
    import typing

    found: dict[object, tuple[str, tuple[str, ...]]] = {}

    def add(func, name: str, *relies_on: str) -> None:
        func = getattr(func, "__func__", func)
        code = getattr(func, "__code__", None)
        if code is not None:
            found[code] = (name, relies_on)

    add(traceback.TracebackException.__init__, "traceback", "traceback", "linecache")
    add(traceback.extract_stack, "traceback", "traceback", "linecache")
    add(traceback.StackSummary.extract, "traceback", "traceback", "linecache")
    add(logging.Logger.findCaller, "logging", "logging", "traceback")
    add(asyncio.coroutines._format_coroutine, "asyncio", "asyncio", "reprlib")
    add(asyncio.base_tasks._task_print_stack, "asyncio", "asyncio", "traceback", "linecache")
    add(asyncio.format_helpers.extract_stack, "asyncio", "asyncio", "traceback", "linecache")
    add(collections.namedtuple, "typing", "collections")
    add(importlib._bootstrap._find_and_load, "import")
    for name in ("_caller", "NamedTupleMeta.__new__", "TypeVar.__init__", "ParamSpec.__init__",
                 "TypeVarTuple.__init__", "NewType.__init__"):
        owner, _, attr = name.rpartition(".")
        target = getattr(getattr(typing, owner, None), attr, None) if owner else getattr(typing, name, None)
        if target is not None:
            add(target, "typing", "typing")
    for attr in ("_create_", "_convert_"):
        target = vars(type(enum.Enum)).get(attr)
        if target is not None:
            add(target, "typing", "enum")
    try:
        from IPython.core import ultratb
        from IPython.core.interactiveshell import InteractiveShell
        from ipykernel.zmqshell import ZMQInteractiveShell

        shows = ("IPython.core.ultratb", "IPython.core.interactiveshell", "ipykernel.zmqshell", "stack_data",
                 "executing", "pure_eval", "traceback", "linecache", "inspect", "tokenize")
        for klass in (InteractiveShell, ZMQInteractiveShell):
            for attr in ("showtraceback", "showsyntaxerror", "_showtraceback"):
                if attr in vars(klass):
                    add(vars(klass)[attr], "IPython", *shows)
        for klass in (ultratb.VerboseTB, ultratb.FormattedTB, ultratb.AutoFormattedTB, ultratb.ListTB):
            if "structured_traceback" in vars(klass):
                add(vars(klass)["structured_traceback"], "IPython", *shows)
    except ImportError:
        pass
    try:  # typing_extensions asks who made a generic alias (bs4 makes some in every find_all)
        import typing_extensions

        target = getattr(typing_extensions, "_has_generic_or_protocol_as_origin", None)
        if target is not None:
            add(target, "typing", "typing", "typing_extensions")
    except ImportError:
        pass
    bs4 = sys.modules.get("bs4")  # loaded already where a notebook uses it (coursekit.kernel's preloads)
    if bs4 is not None:  # it reads its caller's file and line for the warning it gives when no parser is named
        add(bs4.BeautifulSoup.__init__, "bs4", "bs4", "warnings")
    from coursekit import grading

    if "coursekit.cinema.isolated" in sys.modules:
        add(sys.modules["coursekit.cinema.isolated"]._spawn, "cinema", "coursekit", "subprocess", "os")
    add(grading._outside_the_runner, "grading", "coursekit", "os", "posixpath")
    add(grading._waiting_in, "grading", "coursekit", "os", "posixpath")
    add(grading._stop_thread, "grading", "coursekit")
    add(run_test, "runner", "coursekit")
    return found


def _under(name: str, prefixes) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _snapshot(prefixes) -> list[tuple[str, str, object, dict]]:
    """(module, label, namespace owner, copy of its namespace) for every module under ``prefixes`` and its classes."""
    taken = []
    for name, module in sorted(sys.modules.items()):
        if module is None or not _under(name, prefixes):
            continue
        try:
            namespace = vars(module)
        except TypeError:
            continue
        copy = dict(namespace)
        taken.append((name, name, module, copy, tuple(copy), tuple(copy.values())))
        for attr, value in list(namespace.items()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                copy = dict(vars(value))
                taken.append((name, f"{name}.{attr}", value, copy, tuple(copy), tuple(copy.values())))
    return taken


def _import_checks(names=None) -> None:
    """The test side of the assignments (``names``, or every one), loaded before any cell: in the
    snapshot, so no cell can alter it first."""
    import importlib
    import pkgutil

    from coursekit import checks

    if names is None:
        names = [f"coursekit.checks.{module.name}" for module in pkgutil.iter_modules(checks.__path__)]
    for name in names:
        if name.startswith("coursekit.checks."):
            importlib.import_module(name)


def install(key: bytes | None = None, tests: str | None = None, *, tools: bool = False, checks=None) -> None:
    """Add the hook (once per process). With ``key`` it signs the verdicts of ``run_test`` for the grader,
    which reads each test's code from the folder ``tests``.

    ``tools``: a student's own kernel, where JupyterLab's debugger may trace and profile as long as
    no cell's code is on the stack (a cell that does it gets the grader's verdict).
    ``checks``: the modules of ``coursekit.checks`` to load now (None: all of them)."""
    if _state.get("installed"):
        return
    import _hashlib
    import _thread
    import importlib.machinery
    import operator
    import weakref
    import pathlib

    from coursekit import grading  # noqa: F401 - in the snapshot, and its consumers must be known
    from coursekit import messages

    _import_checks(checks)
    if checks is None:  # a kernel that was not told what its notebook uses: bs4's consumer must be known
        try:
            import bs4  # noqa: F401
        except ImportError:
            pass

    roots = _trusted_roots()
    temp = tuple({os.path.realpath(tempfile.gettempdir()).rstrip("/") + "/",
                  os.path.abspath(tempfile.gettempdir()).rstrip("/") + "/", "/tmp/"})
    consumers = _consumers()
    consumer_owners: dict = {code: (name, []) for code, (name, _) in consumers.items()}
    tested: list = []
    guarded_paths: list = [list(sys.path), list(sys.meta_path), list(sys.path_hooks)]
    # The module object imported under each guarded name: a test's `import` finds it in sys.modules, so
    # another object put there (a copy whose checks pass everything) is a change like a rebound name.
    guarded_objects: list = []

    def take_snapshot() -> None:
        """What the tests rely on, as it is when the notebook's first cell starts (IPython has set up by then)."""
        relied = {prefix for _, prefixes in consumers.values() for prefix in prefixes}
        snapshot = _snapshot(set(GUARDED_MODULES) | relied)
        by_module: dict[str, list] = {}
        for entry in snapshot:
            by_module.setdefault(entry[0], []).append(entry)
        for code, (name, prefixes) in consumers.items():
            consumer_owners[code] = (name, [entry for module, entries in by_module.items()
                                            if _under(module, prefixes) for entry in entries])
        tested[:] = [entry for entry in snapshot if _under(entry[0], GUARDED_MODULES)]
        guarded_paths[:] = [list(sys.path), list(sys.meta_path), list(sys.path_hooks)]
        guarded_objects[:] = [(name, owner) for name, label, owner, *_ in tested if label == name]
    runner_code = run_test.__code__
    cinema_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cinema", "isolated.py")
    clock_callers = {grading._work.__code__, *(c for c in grading.Recorder.wrap.__code__.co_consts
                                               if getattr(c, "co_name", None) == "recorded")}
    guard_codes = {verify.__code__: "coursekit.check", clock.__code__: "coursekit.clock", arm.__code__: "coursekit.arm",
                   forbid.__code__: "coursekit.forbid", forbidden.__code__: "coursekit.forbidden",
                   run_loop.__code__: "coursekit.run_loop", on_a_run_loop.__code__: "coursekit.on_a_run_loop"}
    run_loop_caller = grading._work.__code__
    run_loops: dict[int, object] = {}  # id(loop) -> weak reference to it: the loops run_async runs answers on
    forbid_caller = grading.forbid_running.__wrapped__.__code__
    record_callers = {grading.Recorder.clear.__code__, *(c for c in grading.Recorder.wrap.__code__.co_consts
                                                          if getattr(c, "co_name", None) == "recorded")}
    records: dict[int, tuple] = {}  # id(recorder) -> (weak reference to it, the calls it recorded)
    reasons: list = []  # forbid_running's reasons, innermost last: only its own code pushes and pops them
    texts = {k: dict(v) for k, v in messages.MESSAGES.items() if k.startswith("guard_")}
    language = messages._language
    get_ident = _thread.get_ident
    is_not = operator.is_not
    # The hook reads only what it holds itself: rebinding a name of this module changes nothing it does.
    allowed_imports, proc_secrets, frame_attributes = ALLOWED_IMPORTS, PROC_SECRETS, FRAME_ATTRIBUTES
    process_events, always_refused, tool_events = PROCESS_EVENTS, ALWAYS_REFUSED, TOOL_EVENTS
    runner_helpers = dict(run_test.__kwdefaults__)
    normpath = os.path.normpath
    realpath = os.path.realpath
    getframe = sys._getframe
    hmac_digest = _hashlib.hmac_digest
    sha256 = _hashlib.openssl_sha256
    function = type(install)
    module_spec = importlib.machinery.ModuleSpec
    path_types = (pathlib.PosixPath, pathlib.PurePosixPath, pathlib.WindowsPath, pathlib.PureWindowsPath)
    busy: dict[int, bool] = {}
    sources: dict[str, str] = {}
    read_file = open
    armed = [False]
    readings: dict[int, tuple] = {}
    weakref_ref = weakref.ref
    trusted_files: dict[str, bool] = {}
    checked_frames: dict[int, object] = {}
    frame_events = {"sys._getframe", "sys._getframemodulename"}
    watched = frozenset(
        {"object.__getattr__", "object.__setattr__", "object.__delattr__", "exec", "import", "open",
         "marshal.loads", "marshal.load", "function.__new__", "coursekit.seal", "coursekit.check",
         "coursekit.test_source",
         "coursekit.clock", "coursekit.arm", "coursekit.forbid", "coursekit.forbidden", "coursekit.record",
         "coursekit.records", "coursekit.run_loop", "coursekit.on_a_run_loop"}
        | frame_events | process_events | always_refused)
    mutable = frozenset(MUTABLE_NAMES)
    missing = object()

    def say(key_: str, **values: str) -> str:
        entry = texts[key_]
        parts = [entry["en"], entry["zh"]] if language == "en+zh" else [entry.get(language, entry["en"])]
        return "\n".join(part.format(**values) for part in parts)

    def trusted(filename) -> bool:
        if type(filename) is not str:
            return False
        known = trusted_files.get(filename)
        if known is None:
            known = (filename.startswith(roots) and "/../" not in filename) or filename.startswith("<frozen ")
            trusted_files[filename] = known
        return known

    def changed(entries, strict: bool) -> list[str]:
        found = []
        for module, label, owner, copy, names, values in entries:
            current = vars(owner)
            # The common case, fast: nothing added, removed or rebound (identity of every value).
            if len(current) == len(names) and not any(map(is_not, map(current.get, names), values)):
                continue
            for name, value in copy.items():
                if current.get(name, missing) is not value and (module, name) not in mutable:
                    found.append(f"{label}.{name}")
            if strict and module.startswith(("coursekit", "asyncio", "looptime", "builtins")):
                for name in current.keys() - copy.keys():
                    value = current[name]
                    if not name.startswith("__") and type(value) is not type(sys) and (module, name) not in mutable:
                        found.append(f"{label}.{name}")
        return found

    def consumer_first(frame) -> str | None:
        """The consumer met walking up from ``frame`` before any student frame, if its modules are intact."""
        while frame is not None:
            code = frame.f_code
            entry = consumer_owners.get(code)
            if entry is None and code.co_name == "_spawn" and code.co_filename == cinema_file:
                entry = ("cinema", [])  # the chapter-4 site's starter, loaded after the guard
            if entry is not None:
                name, owners = entry
                if checked_frames.get(id(frame)) is not frame:
                    if changed(owners, strict=False):
                        return None
                    if len(checked_frames) > 32:
                        checked_frames.clear()
                    checked_frames[id(frame)] = frame
                if name == "traceback" and frame.f_locals.get("capture_locals"):
                    return None
                return name
            if not trusted(code.co_filename):
                return None
            frame = frame.f_back
        return None

    def cell_on_stack(frame) -> bool:
        while frame is not None:
            if not trusted(frame.f_code.co_filename):
                return True
            frame = frame.f_back
        return False

    def student_import(frame) -> bool:
        """Whether the first frame outside the import system is the student's."""
        while frame is not None:
            filename = frame.f_code.co_filename
            if not (filename.startswith("<frozen importlib") or "/importlib/" in filename):
                return not trusted(filename)
            frame = frame.f_back
        return False

    def imported_from_course(frame) -> bool:
        """An import system's exec of a module found in Python's or the course's own folders."""
        while frame is not None:
            if frame.f_code.co_name == "_load_unlocked":
                spec = frame.f_locals.get("spec")
                return type(spec) is module_spec and trusted(spec.origin)
            frame = frame.f_back
        return False

    def refuse(what: str) -> None:
        raise GuardError(say("guard_refused", what=what))

    def intact() -> None:
        found = changed(tested, strict=True)
        modules = sys.modules
        found += [f"sys.modules[{name!r}]" for name, module in guarded_objects if modules.get(name) is not module]
        if [list(sys.path), list(sys.meta_path), list(sys.path_hooks)] != guarded_paths:
            found.append("sys.path")
        if found:
            shown = ", ".join(found[:5]) + (" ..." if len(found) > 5 else "")
            raise GuardError(say("guard_changed", names=shown))

    def guard_event(event: str, args: tuple) -> None:
        caller = getframe(3)
        if event == "coursekit.seal" or event == "coursekit.test_source":
            if caller.f_code is not runner_code:
                refuse(event)
            frame_locals = caller.f_locals  # run_test with its own helpers, not ones it was handed
            if any(frame_locals.get(name, missing) is not value for name, value in runner_helpers.items()):
                refuse(event)
        elif event == "coursekit.record" or event == "coursekit.records":
            pass  # who may record is checked below; anyone may read what a recorder of theirs recorded
        elif guard_codes.get(caller.f_code) != event and caller.f_code is not runner_code:
            refuse(event)
        if event == "coursekit.arm":
            if not armed[0]:
                take_snapshot()
                armed[0] = True
        elif event == "coursekit.test_source":
            cell, box = args
            if tests is None or type(cell) is not str or not cell.replace("_", "").replace("-", "").isalnum():
                refuse(event)
            with read_file(f"{tests}/{cell}.py", encoding="utf-8") as f:
                sources[cell] = f.read()
            intact()  # a test starts only on the toolkit as the kernel started it
            box.append(sources[cell])
        elif event == "coursekit.forbid":
            if getframe(4).f_code is not forbid_caller:
                refuse(event)
            (reason,) = args
            if type(reason) is str:
                reasons.append(reason)
            elif reasons:
                reasons.pop()
        elif event == "coursekit.record":
            if getframe(3).f_code not in record_callers:
                refuse(event)
            recorder, call, fields = args
            known = records.get(id(recorder))
            if known is None or known[0]() is not recorder:
                known = records[id(recorder)] = (weakref_ref(recorder), [], {})
            if call is None:
                known[1].clear()
                known[2].clear()
            elif "started" in fields:  # a call begins: the guard's own record of it
                entry = dict(fields)
                known[1].append(entry)
                known[2][id(call)] = entry
            elif id(call) in known[2]:  # it ends (the recorded function holds `call` till then: its id is its own)
                known[2].pop(id(call)).update(fields)
        elif event == "coursekit.records":
            recorder, box = args
            known = records.get(id(recorder))
            box.append([dict(entry) for entry in known[1]] if known is not None and known[0]() is recorder else [])
        elif event == "coursekit.forbidden":
            args[0].append(reasons[-1] if reasons else None)
        elif event == "coursekit.run_loop":
            if getframe(4).f_code is not run_loop_caller:
                refuse(event)
            loop, running = args
            if running:
                run_loops[id(loop)] = weakref_ref(loop)
            else:
                run_loops.pop(id(loop), None)
        elif event == "coursekit.on_a_run_loop":
            loop, box = args
            known = run_loops.get(id(loop))
            box.append(known is not None and known() is loop)
        elif event == "coursekit.clock":
            if getframe(4).f_code not in clock_callers:
                refuse(event)
            loop, reading = args
            loop_id = id(loop)
            known = readings.get(loop_id)
            # Keyed by the loop itself (a weak reference): a new loop at a freed loop's address starts afresh.
            last = known[1] if known is not None and known[0]() is loop else None
            if reading is None:
                readings.pop(loop_id, None)
            elif last is not None and reading < last:
                raise GuardError(say("guard_clock", was=f"{last:g}", now=f"{reading:g}"))
            else:
                readings[loop_id] = (weakref_ref(loop), reading)
        else:
            intact()
            if event == "coursekit.seal" and key is not None:
                cell, nonce, box = args
                source = sources.get(cell)
                if source is None:
                    refuse(event)
                digest = sha256(source.encode("utf-8")).hexdigest()
                box.append(hmac_digest(key, f"{cell}\n{nonce}\n{digest}".encode("utf-8"), "sha256").hex())

    def check(event: str, args: tuple) -> None:
        if event.startswith("coursekit."):
            return guard_event(event, args)
        if not armed[0]:
            filename = getattr(args[0], "co_filename", "") if event == "exec" else ""
            if type(filename) is str and ("/ipykernel_" in filename or filename.startswith(("<ipython-input", "<test "))):
                take_snapshot()
                armed[0] = True  # a notebook's first cell
            else:
                return
        caller = getframe(2)
        if event.startswith("ctypes."):
            if consumer_first(caller) != "grading":
                refuse(event)
        elif event in always_refused:
            if not (tools and event in tool_events and not cell_on_stack(caller)):
                refuse(event)
        elif event in frame_events:
            if event == "sys._getframe" and consumer_first(caller) is None:
                refuse(event)
        elif event == "object.__getattr__":
            if args[1] in frame_attributes and consumer_first(caller) is None:
                refuse(f".{args[1]}")
        elif event == "object.__setattr__" or event == "object.__delattr__":
            target = args[0]
            if type(target) is function and trusted(target.__code__.co_filename):
                refuse(f"setting .{args[1]} of the course's or Python's own function")
        elif event == "import":
            if [list(sys.path), list(sys.meta_path), list(sys.path_hooks)] != guarded_paths:
                refuse("import with a changed sys.path")
            name = args[0] if type(args[0]) is str else ""
            if name.split(".")[0] not in allowed_imports and student_import(caller):
                refuse(f"import {name}")
        elif event == "exec":
            filename = getattr(args[0], "co_filename", "")
            if trusted(filename) and not (consumer_first(caller) == "import" and imported_from_course(caller)):
                refuse("exec of code that claims to come from Python's or the course's own files")
        elif event == "function.__new__":
            if trusted(getattr(args[0], "co_filename", "")):
                refuse("a function made from the code of Python's or the course's own functions")
        elif event == "marshal.loads" or event == "marshal.load":
            if consumer_first(caller) != "import":
                refuse(event)
        elif event == "open":
            path = args[0]
            if type(path) is int:
                return
            if type(path) is bytes:
                path = path.decode("utf-8", "replace")
            if type(path) in path_types:
                path = str(path)
            elif type(path) is not str:
                path = "<a path-like object>"
            # Every spelling of the path (//proc, /tmp/../proc, a link, a relative path from /proc) is checked.
            spellings = [normpath("/" + path.lstrip("/")) if path.startswith("/") else path]
            if not trusted(path):  # Python's and the course's folders are read-only: no link there to follow
                spellings.append(realpath(path))
            for seen in spellings:
                seen = "/" + seen.lstrip("/")
                if seen.startswith("/proc/") and not proc_secrets.isdisjoint(seen.split("/")):
                    refuse(f"open of {path}")
            mode = args[1] if len(args) > 1 else "r"
            flags = args[2] if len(args) > 2 else 0
            writing = (type(mode) is str and any(c in mode for c in "wax+")) or bool((flags or 0) & 0o3)
            if writing and not path.startswith(temp) and not (path.endswith(".pyc") and consumer_first(caller)):
                refuse(f"open of {path} for writing (only the temporary folder {temp[0]} is yours)")
        elif event in process_events:
            if consumer_first(caller) != "cinema":
                refuse(event)

    def hook(event: str, args: tuple) -> None:
        if event not in watched and not event.startswith("ctypes."):
            return
        me = get_ident()
        if busy.get(me):
            return
        busy[me] = True
        try:
            check(event, args)
        finally:
            busy[me] = False

    sys.addaudithook(hook)
    _state["installed"] = True


def arm() -> None:
    """From now on every rule applies (a kernel arms by itself when it runs its first cell)."""
    sys.audit("coursekit.arm")


def verify() -> None:
    """Raise GuardError naming what the tests rely on that was changed since the guard was installed."""
    sys.audit("coursekit.check")  # always: the hook decides (nothing here a cell could switch off)


def clock(loop: object, reading: float | None) -> None:
    """Record a reading of ``loop``'s clock; GuardError if it is earlier than the last one (None: forget the loop)."""
    sys.audit("coursekit.clock", loop, reading)


def run_loop(loop: object, running: bool) -> None:
    """``coursekit.grading``'s runner says that ``loop`` runs the code under test (or no longer does)."""
    sys.audit("coursekit.run_loop", loop, running)


def on_a_run_loop(loop: object) -> bool | None:
    """Whether ``loop`` is one the runner runs the code under test on; None when no guard is installed."""
    box: list = []
    sys.audit("coursekit.on_a_run_loop", loop, box)
    return box[0] if box else None


def forbid(reason: str | None) -> None:
    """``coursekit.grading.forbid_running``'s reason, kept by the hook (None: its block ended)."""
    sys.audit("coursekit.forbid", reason)


def forbidden() -> str | None:
    """The reason ``run_async`` may not run now, as the hook keeps it."""
    box: list = []
    sys.audit("coursekit.forbidden", box)
    return box[0] if box else None


def run_test(cell: str, nonce: str, names: tuple, *, _compile=compile, _exec=exec, _audit=sys.audit,
             _getframe=sys._getframe, _dict=dict, _print=print, _seal=SEAL, _list=list,
             _builtins=__import__("builtins")) -> None:
    """Run the grader's test cell ``cell`` in globals of its own; then print the seal the grader checks.

    The test's code comes from the grader through the guard (a file only the
    guard knows, in a folder the notebook cannot list), so it is never part
    of the notebook's history or of a cell IPython could show; a failing test
    shows what failed, not the hidden test. The test sees the real builtins
    and its own imports; from the notebook it takes only ``names`` (the
    exercise's functions and classes). Every name this function uses is bound
    when it is defined, so nothing the notebook rebinds can change what it does.
    """
    __tracebackhide__ = True
    notebook = _getframe(1).f_globals
    box = _list()
    _audit("coursekit.test_source", cell, box)
    code = _compile(box.pop(), f"<test {cell}>", "exec")
    scope = _dict(__name__="__test__", __builtins__=_builtins)
    for name in names:
        if name in notebook:
            scope[name] = notebook[name]
    _exec(code, scope)
    _audit("coursekit.seal", cell, nonce, box)
    if box:
        _print(f"{_seal} {cell} {nonce} {box[0]}")  # the grader finds it also after a print(..., end=" ")
