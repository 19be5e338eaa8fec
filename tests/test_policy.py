"""coursekit.policy: every honest answer passes untouched; what has no place in an answer is named, wherever
it names an attribute, in the notebook's language, with cell numbers as JupyterLab shows them."""

from __future__ import annotations

import functools
import importlib

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import ROOT
from coursekit import messages, policy
from instructor import nbtools
import submissions
from submissions import answered
from submissions.honest import HONEST as HONEST_CORPUS
from submissions.hostile import ATTACKS as HOSTILE

MODULES = {module.__name__.split(".")[-1]: module for module in submissions.modules()}

SETUP = """
import asyncio
import functools
from coursekit.grading import expect, run_async

async def crawl_page(url):
    await asyncio.sleep(1)
    return f"OK {url}"
"""
TEST = "run = run_async(crawl_with_tasks, ['url_1'])\nexpect(run.result, ['OK url_1'], 'result')"


def cells(*student_cells: str) -> list[dict]:
    """A markdown cell, the course's setup, the student's cells (from cell 3 on, as JupyterLab counts), a test."""
    return [
        new_markdown_cell("# An assignment"),
        new_code_cell(SETUP, metadata={"nbgrader": {"locked": True}}),
        *(new_code_cell(source) for source in student_cells),
        new_code_cell(TEST, metadata={"nbgrader": {"grade": True, "solution": False}}),
    ]


def check(*student_cells: str, language: str = "en") -> list[policy.Violation]:
    return policy.check_cells(cells(*student_cells), language=language)


# -- honest answers ------------------------------------------------------------------------------------------


def with_extra_cells(nb, sources):
    """The student's extra cells right after the first code cell, as tests/test_redteam.py adds them."""
    first = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    for offset, source in enumerate(sources, start=1):
        nb.cells.insert(first + offset, new_code_cell(source))
    return nb


@pytest.mark.parametrize("name", sorted(HONEST_CORPUS))
def test_every_honest_answer_of_the_corpus_passes(name):
    entry = HONEST_CORPUS[name]
    nb = with_extra_cells(answered(MODULES[entry["module"]], entry["answers"], ROOT), entry.get("extra_cells", []))
    assert policy.report(policy.check_cells(nb.cells)) == ""


@pytest.mark.parametrize("module, variant", [(m, v) for m in sorted(MODULES) for v in MODULES[m].VARIANTS])
def test_every_right_or_wrong_variant_passes(module, variant):
    nb = answered(MODULES[module], MODULES[module].VARIANTS[variant][0], ROOT)
    assert policy.report(policy.check_cells(nb.cells)) == ""


@pytest.mark.parametrize("path", sorted(ROOT.glob("source/*/*.ipynb")), ids=lambda p: p.parent.name)
def test_the_reference_solutions_pass_every_cell_checked(path):
    nb = nbtools.read(path)
    assert policy.report(policy.check_cells(nb.cells, trusted=[False] * len(nb.cells))) == ""


HONEST = {
    # Each style that the screening refused once (issue 19), and more.
    "reimports": "import asyncio\nimport contextlib\nfrom bs4 import BeautifulSoup\nfrom typing import Any",
    "type name": "def describe(x, fn):\n    return f'{type(x).__name__} from {fn.__name__}'",
    "class name in repr": "class Crawler:\n    def __repr__(self):\n        return f'{self.__class__.__name__}()'",
    "main guard": "if __name__ == '__main__':\n    print('defined')",
    "logging": "import logging\n\nlogger = logging.getLogger(__name__)\nlogger.debug('x %s', 1)",
    "itemgetter": "import operator\n\nkey = operator.itemgetter(0, 1)",
    "stderr and traceback": (
        "import sys\nimport traceback\n\ntry:\n    1 / 0\nexcept Exception as error:\n    traceback.print_exc()\n"
        "    print(f'failed: {error!r}', file=sys.stderr)\n"
        "    traceback.print_exception(type(error), error, error.__traceback__)\n"
        "    print(error.__traceback__.tb_lineno)"
    ),
    "future annotations": "from __future__ import annotations\n\ndef f(x: int) -> int:\n    return x",
    "quoted annotations": (
        "class Timer:\n    __slots__ = ('when', 'seq')\n\n    def __lt__(self, other: 'Timer') -> 'bool':\n"
        "        return (self.when, self.seq) < (other.when, other.seq)\n\n"
        "timers: list[Timer] = []\n\ndef make() -> 'list[Timer]':\n    return timers"
    ),
    "template in a variable": "TEMPLATE = '{label}: {seconds:.2f} s'\nprint(TEMPLATE.format(label='a', seconds=1.0))",
    "str.format literal": "print('{}: {:.2f} s'.format('a', 1.0))\nprint(f'{\"x\"!r:>10}')",
    "all_tasks in a debug print": "SHOW = False\n\nasync def f():\n    if SHOW:\n        print(asyncio.all_tasks())",
    "own dataclass field": (
        "from dataclasses import dataclass, field\n\n@dataclass(order=True)\nclass Movie:\n    title: str\n"
        "    poster: str | None = field(default=None, compare=False)\n\nmovie = Movie('x')\nmovie.poster = '/img/x.png'"
    ),
    "call of a call": "from collections import deque\n\nclass S:\n    def __init__(self):\n        self.ready = deque()\n\n"
                      "    def run(self):\n        self.ready.popleft()()",
    "helpers named worker and string": "async def worker(queue):\n    return await queue.get()\n\nstring = 'abc'",
    "pathlib": "import pathlib\n\npath = pathlib.PurePosixPath('/cinema', 'later', 'beijing')\nprint(path.name, pathlib.Path('x').exists())",
    "help dir vars": "help(len)\nprint(len(dir()), len(vars()))",
    "a class's own time": "class Tick:\n    def __init__(self, time):\n        self.time = time\n\n    def later(self):\n        self.time += 1",
    "a clock kept by one's own object": (
        "import time\n\nclass Timer:\n    def __init__(self, loop):\n        self.loop = loop\n"
        "        self.time = time.monotonic\n\nasync def f():\n    timer = Timer(asyncio.get_running_loop())\n"
        "    timer.time = timer.loop.time\n    timer.started = timer.loop.time()"
    ),
    "an event registry of one's own": (
        "class Bus:\n    def __init__(self, events):\n        self.events = events\n\n"
        "    def listen(self, callback):\n        self.events.register(callback)"
    ),
    "autoawait": "%autoawait asyncio",
    "the loop's clock read": (
        "async def f():\n    loop = asyncio.get_running_loop()\n    clock = loop.time\n    start = loop.time()\n"
        "    return clock() - start"
    ),
    "rebinding any name": "expect = print\nsorted = list\nrun_async = None\ndel functools",
    "defining __eq__": "class Point:\n    def __eq__(self, other):\n        return True",
    "getattr with a default": "def status(response):\n    return getattr(response, 'status', None)",
    "reading a file": "with open('data.txt', encoding='utf-8') as f:\n    text = f.read()",
    "a temporary folder": (
        "import os\nimport pathlib\nimport tempfile\n\nwith tempfile.TemporaryDirectory() as folder:\n"
        "    path = os.path.join(folder, 'out.txt')\n    with open(path, 'w') as f:\n        f.write('x')\n"
        "    pathlib.Path(folder, 'y.txt').write_text('y')"
    ),
    "time magics": "%time await crawl_page('url_1')\n%timeit -n 3 -r 1 sum(range(10))",
    "time cell magic": "%%time\nawait asyncio.sleep(0)\nprint('done')",
    "capture": "%%capture output\nprint('quiet')",
    "help magic": "asyncio.gather?",
    "the course's magics": "%load_ext coursekit.magics",
    "selectors and json in strings": "SELECTOR = '#showing-soon div.item'\nDATA = '{\"title\": \"x\"}'",
    "task names": "async def f():\n    return asyncio.create_task(crawl_page('u'), name=f'{crawl_page.__name__}(u)')",
    "super": "class CrawlError(Exception):\n    def __init__(self, url):\n        super().__init__(url)\n        self.url = url",
}


@pytest.mark.parametrize("name", HONEST)
def test_honest_styles_pass(name):
    assert policy.report(check(HONEST[name])) == ""


# -- what has no place in an answer ---------------------------------------------------------------------------

BUILTIN_FUNCTION = "print"  # `print.__self__` is the module builtins

HOLES = {
    # hooks
    "settrace": ("import sys\nsys.settrace(lambda *a: None)", "hooks", "sys.settrace"),
    "setprofile": ("import sys\nsys.setprofile(None)", "hooks", "sys.setprofile"),
    "threading settrace": ("import threading\nthreading.settrace(print)", "hooks", "threading.settrace"),
    "addaudithook": ("import sys\nsys.addaudithook(print)", "hooks", "sys.addaudithook"),
    "ipython events": ("get_ipython().events.register('post_run_cell', print)", "hooks", "get_ipython"),
    "ipython shell in a variable": ("shell = get_ipython()\nshell.events.register('pre_run_cell', print)", "hooks",
                                    "events.register"),
    "loop in a variable": ("async def f():\n    loop = asyncio.get_running_loop()\n    clock = loop\n"
                           "    clock.time = clock.time", "clock", "clock.time"),
    "ipython transformers": ("shell = get_ipython()\nshell.input_transformers_post.append(str)", "hooks",
                             "input_transformers_post"),
    "ipython through exit": ("exit._ip.events.register('post_run_cell', print)", "hooks", "_ip"),
    "ipython through the display hook": ("import sys\nshell = sys.displayhook.shell", "hooks", "sys.displayhook"),
    "ipython through a string": ("globals()['get_ipython']().ast_transformers.append(1)", "hooks", "get_ipython"),
    "meta_path": ("import sys\nsys.meta_path.insert(0, object())", "hooks", "sys.meta_path"),
    "path_hooks": ("import sys\nsys.path_hooks.append(print)", "hooks", "sys.path_hooks"),
    "sys.path changed": ("import sys\nsys.path.insert(0, '/tmp/answers')", "hooks", "sys.path"),
    "sys.modules": ("from asyncio.base_events import sys as system\nsystem.modules['x'] = 1", "hooks", "sys.modules"),
    # code made at run time
    "exec": ("exec('x = 1')", "exec", "`exec`"),
    "eval": ("eval('1')", "exec", "`eval`"),
    "compile": ("code = compile('1', 'x', 'eval')", "exec", "`compile`"),
    "__import__": ("os = __import__('os')", "exec", "`__import__`"),
    "importlib": ("import importlib\nimportlib.import_module('os')", "exec", "import importlib"),
    "exec through builtins": ("from reprlib import builtins as python\npython.exec('1')", "exec", "builtins.exec"),
    "exec by getattr": ("from reprlib import builtins as python\ngetattr(python, 'exec')('1')", "exec",
                        "builtins.exec"),
    "exec rebound first": ("exec = exec\nexec('1')", "exec", "`exec`"),
    "exec in a quoted annotation": ("from typing import get_type_hints\n\ndef f(x: 'exec(PAYLOAD) or int'):\n"
                                    "    return x\n\nget_type_hints(f)", "exec", "`exec`"),
    # frames and code objects
    "_getframe": ("import sys\nframe = sys._getframe()", "frames", "sys._getframe"),
    "f_back": ("def f(frame):\n    return frame.f_back", "frames", "f_back"),
    "gi_frame": ("def f(gen):\n    return gen.gi_frame", "frames", "gi_frame"),
    "cr_frame": ("async def f():\n    return asyncio.current_task().get_coro().cr_frame", "frames", "cr_frame"),
    "tb_frame": ("try:\n    1 / 0\nexcept Exception as e:\n    scope = e.__traceback__.tb_frame", "frames", "tb_frame"),
    "f_locals": ("def f(frame):\n    return frame.f_locals['expected']", "frames", "f_locals"),
    "__code__": ("def f():\n    pass\nexpect.__code__ = f.__code__", "frames", "__code__"),
    "__globals__": ("namespace = expect.__globals__", "frames", "__globals__"),
    "__closure__": ("cells = expect.__closure__", "frames", "__closure__"),
    "__builtins__": ("__builtins__['exec']('1')", "frames", "__builtins__"),
    "__subclasses__": ("classes = object.__subclasses__()", "frames", "__subclasses__"),
    "__self__ of a builtin": (f"python = {BUILTIN_FUNCTION}.__self__", "frames", "__self__"),
    "task stack": ("def f(task):\n    return task.get_stack()", "frames", "get_stack"),
    "inspect by another name": ("from asyncio.coroutines import inspect as frames\nframes.stack()", "frames", "inspect.stack"),
    "code attributes": ("def f(g):\n    return g.co_consts", "frames", "co_consts"),
    "name glued together": ("name = '_' * 2 + 'globals' + '_' * 2\nnamespace = getattr(expect, name)", "frames",
                            "__globals__"),
    "attrgetter": ("import operator\nreach = operator.attrgetter('gi_frame.f_back')", "frames", "gi_frame.f_back"),
    # the garbage collector, ctypes
    "gc": ("import gc\nobjects = gc.get_objects()", "gc", "import gc"),
    "ctypes": ("import ctypes", "gc", "import ctypes"),
    "ctypes by another name": ("from coursekit.grading import ctypes", "gc", "ctypes"),
    # the loop's clock
    "setup_looptime": ("async def f():\n    asyncio.get_running_loop().setup_looptime(start=0)", "clock", "setup_looptime"),
    "looptime internals": ("async def f():\n    loop = asyncio.get_running_loop()\n    loop._LoopTimeEventLoop__now = 0",
                           "clock", "_LoopTimeEventLoop__now"),
    "import looptime": ("import looptime", "clock", "import looptime"),
    "assigning loop.time": ("async def f():\n    loop = asyncio.get_running_loop()\n    loop.time = lambda: 0.0", "clock",
                            "loop.time"),
    "setattr loop.time": ("async def f():\n    setattr(asyncio.get_running_loop(), 'time', lambda: 0.0)", "clock", "time"),
    # processes
    "subprocess": ("import subprocess", "processes", "import subprocess"),
    "os.system": ("import os\nos.system('ls')", "processes", "os.system"),
    "kill through an alias": ("from asyncio.base_events import os as system_os\nsystem_os.kill(1, 9)", "processes",
                              "os.kill"),
    "asyncio subprocess": ("async def f():\n    await asyncio.create_subprocess_exec('ls')", "processes",
                           "create_subprocess_exec"),
    "process pool": ("import concurrent.futures\npool = concurrent.futures.ProcessPoolExecutor(2)", "processes",
                     "ProcessPoolExecutor"),
    "shell escape": ("!ls ../../../source", "processes", "!ls"),
    "shell output": ("files = !ls", "processes", "!ls"),
    "bash cell": ("%%bash\nls", "processes", "%%bash"),
    # files outside the temporary folder
    "open for writing": ("with open('answers.txt', 'w') as f:\n    f.write('x')", "files", "open('answers.txt', 'w')"),
    "Path.write_text": ("import pathlib\npathlib.Path('out.txt').write_text('x')", "files", "write_text"),
    "writefile": ("%%writefile ../../../nbgrader_config.py\nc = 1", "files", "%%writefile"),
    "sqlite": ("import sqlite3\ndb = sqlite3.connect('../../../gradebook.db')", "files", "sqlite3.connect"),
    # a module changed for everyone
    "patch asyncio": ("asyncio.sleep = None", "patch", "asyncio.sleep"),
    "patch builtins": ("import builtins\nbuiltins.expect = print", "patch", "builtins.expect"),
    "module namespace": ("vars(asyncio)['sleep'] = None", "patch", "vars(asyncio)"),
    # magics
    "config": ("%config Application.log_level = 0", "magic", "%config"),
    "run": ("%run ../../../source/01-crawler/crawler.ipynb", "magic", "%run"),
}

# Every place where code names an attribute (issue 19's holes).
PLACES = {
    "match class pattern": ("match expect:\n    case object(__globals__=namespace):\n        namespace.update(x=1)",
                            "frames", "__globals__"),
    "format field": ("def f(gen):\n    return '{0.gi_frame.f_back}'.format(gen)", "frames", "gi_frame"),
    "nested format spec": ("def f(a, gen):\n    return '{0:{1.gi_frame.f_back.f_locals[expected]}}'.format(a, gen)",
                           "frames", "gi_frame"),
    "format string in a variable": ("TEMPLATE = '{0.cr_frame}'\n\ndef f(x):\n    return TEMPLATE.format(x)", "frames",
                                    "cr_frame"),
    "format string glued together": ("TEMPLATE = '{0.' + 'gi_frame}'", "frames", "gi_frame"),
    "f-string spec": ("def f(a, gen):\n    return f'{a:{gen.gi_frame}}'", "frames", "gi_frame"),
    "time magic": ("%time expect.__code__ = None", "frames", "__code__"),
    "timeit options": ("%timeit -n1 -r1 sys.settrace(None)", "hooks", "settrace"),
    "time cell body": ("%%time\nimport sys\nsys.settrace(None)", "hooks", "sys.settrace"),
    "time cell body with a shell line": ("%%time\n!ls\nx = 1", "processes", "!ls"),
    "time cell body with a magic line": ("%%time\n%config Application.log_level = 0\nx = 1", "magic", "%config"),
    "time cell body importing": ("%%time\nimport os\nos.system('ls')", "processes", "os.system"),
    "capture body": ("%%capture\nnamespace = expect.__globals__", "frames", "__globals__"),
    "help on an attribute": (f"{BUILTIN_FUNCTION}.__self__?", "frames", "__self__"),
    "run_cell_magic with a variable": ("body = 'x = 1'\nget_ipython().run_cell_magic('time', '', body)", "unreadable",
                                       "run_cell_magic"),
    "run_line_magic with a variable": ("line = 'x'\nget_ipython().run_line_magic('time', line)", "unreadable",
                                       "run_line_magic"),
    "method alias": ("class Surgeon:\n    def install(self, code):\n        self.__code__ = code\n\n    patch = install\n\n"
                     "Surgeon.patch(expect, None)", "frames", "__code__"),
    "method alias on the clock": ("def frozen():\n    return 0.0\n\nclass Clock:\n    def install(self):\n"
                                  "        self.time = frozen\n\n    patch = install\n\n"
                                  "async def f():\n    Clock.patch(asyncio.get_running_loop())", "clock", "time"),
    "star import": ("from sys import *", "hooks", "from sys import *"),
    "import of a name": ("from sys import settrace as trace", "hooks", "settrace"),
}


@pytest.mark.parametrize("name", [*HOLES, *PLACES])
def test_what_has_no_place_in_an_answer_is_named(name):
    code, rule, what = {**HOLES, **PLACES}[name]
    found = check(code)
    assert any(v.rule == rule and what in v.what for v in found), [(v.rule, v.what) for v in found]
    assert all(v.cell == 3 and v.total == 4 and v.line >= 1 for v in found), [(v.cell, v.total, v.line) for v in found]


# The red team's attacks (tests/submissions/hostile.py) that need code the check names: hooks, exec, frames, gc and
# ctypes, processes, files, patched modules, magics. The others (rebinding names, __eq__, exhausting resources,
# exits) need none: tests that share nothing with the notebook, compare exact built-in values and run in the
# sandbox make them harmless, and later attacks on the bounds are no matter for a static check.
NAMED_ATTACKS = """
c1_rebind_del_builtins c1_rebind_loop_with_except_targets c2_patch_asyncio c2_patch_builtins_setattr c2_patch_code_object
c2_patch_module_attribute c2_patch_module_attribute_bypass c2_patch_module_globals c2_patch_self_parameter
c2_patch_self_parameter_shell c2_patch_setattr c2_patch_sys_modules_importlib c3_trace_setprofile_bypass
c3_trace_settrace c3_trace_threading c4_ast_transformer c4_custom_exc_bypass c4_events c4_input_transformer
c4_input_transformer_bypass c4_magic_config c4_magic_load_writefile c4_magic_run c4_magic_shell
c5_read_classmates_bypass c5_read_source_bypass c5_read_source_open c6_gradebook_extra_credit_bypass
c6_gradebook_poison_tests c6_gradebook_sqlite c7_plant_course_config c7_plant_ipython_startup
c7_plant_writefile_startup c8_kill_parent c8_killpg c8_leftover_fork_bypass c8_leftover_multiprocessing
c8_leftover_process_pool c8_leftover_subprocess_daemon c9_fork_bomb c10_oracle_format_frames c10_oracle_format_globals
c10_oracle_gc c10_oracle_inspect_stack c10_oracle_traceback_frames c10_oracle_type_hints c11_builtins_exec_takeover
c11_ctypes_run_string c11_environment c11_kernel_protocol c11_network_fetch c11_overwrite_classmate c11_proc_snoop
c11_type_hints_takeover
""".split()


@functools.lru_cache(maxsize=None)
def release_and_reference(module: str):
    m = MODULES[module]
    release = nbtools.read(ROOT / "release" / m.ASSIGNMENT / f"{m.NOTEBOOK}.ipynb")
    return release, nbtools.reference_answers(nbtools.read(ROOT / "source" / m.ASSIGNMENT / f"{m.NOTEBOOK}.ipynb"))


@pytest.mark.parametrize("name", NAMED_ATTACKS)
def test_every_attack_that_needs_such_code_is_named(name):
    if name not in HOSTILE:
        pytest.skip(f"{name} is no longer among the red team's attacks")
    attack = HOSTILE[name]
    release, reference = release_and_reference(attack["module"])
    base = nbtools.fill(release, reference) if attack["base"] == "reference" else release
    nb = with_extra_cells(nbtools.fill(base, attack["answers"]), attack["extra_cells"])
    assert policy.check_cells(nb.cells), f"{name} ({attack['why']}) passes the check"


# -- how it is said ----------------------------------------------------------------------------------------------


def test_cells_are_numbered_as_jupyterlab_shows_them():
    (violation,) = check("x = 1", "import sys\n\nsys.settrace(None)")
    assert (violation.cell, violation.total, violation.line, violation.index) == (4, 5, 3, 3)
    assert violation.code == "sys.settrace(None)"
    assert str(violation).startswith("cell 4 (JupyterLab: Cell 4/5), line 3: `sys.settrace` installs a hook")


def test_a_finding_inside_a_cell_magic_names_its_own_line():
    (violation,) = check("%%time\nx = 1\nnamespace = expect.__globals__")
    assert (violation.line, violation.code) == (3, "namespace = expect.__globals__")


@pytest.mark.parametrize("rule", policy.RULES)
def test_every_rule_says_what_the_line_does_and_why_in_english_and_chinese(rule):
    violation = policy.Violation(3, 1, rule, "`x`", "x", 4)
    english, chinese = violation.reason_in("en"), violation.reason_in("zh")
    assert "`x`" in english and "`x`" in chinese
    assert "autograder" in english and "自动评分" in chinese


def test_the_reasons_are_in_the_notebooks_language():
    code = "import gc"
    english = policy.report(check(code, language="en"))
    chinese = policy.report(check(code, language="zh"))
    both = policy.report(check(code, language="en+zh"))
    assert "cell 3 (JupyterLab: Cell 3/4), line 1: `import gc` reaches every object in the kernel" in english
    assert "第 3 个单元格（JupyterLab 显示 Cell 3/4），第 1 行：`import gc` 会触及内核里的每一个对象" in chinese
    assert "垃圾回收器" not in english and "garbage collector" not in chinese
    assert both.index("garbage collector") < both.index("垃圾回收器")


def test_whom_the_check_speaks_to(monkeypatch):
    monkeypatch.delenv("COURSEKIT_LANGUAGE", raising=False)
    assert policy.language_of({"coursekit": {"language": "zh"}}) == "zh"
    assert policy.language_of({"coursekit": {"language": "en+zh"}}) == "en+zh"
    assert policy.language_of({}) == "en"
    monkeypatch.setenv("COURSEKIT_LANGUAGE", "zh")
    assert policy.language_of({"coursekit": {"language": "en+zh"}}) == "zh"
    assert policy.language_of({"coursekit": {"language": "en"}}) == "en"


def test_the_policy_messages_are_in_every_language():
    for key in ("policy_where", "policy_failed", "policy_change", "policy_passed", "policy_missing", "screening_note",
                "screening_kept", "screening_error", *(f"policy_{rule}" for rule in policy.RULES)):
        assert set(messages.MESSAGES[key]) == set(messages.LANGUAGES), key


def test_a_cell_that_does_not_parse_is_left_to_python():
    assert check("def broken(:\n    pass") == []


def test_a_changed_course_cell_is_checked_like_the_students():
    nb = answered(MODULES["crawler"], {}, ROOT)
    setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    assert policy.is_trusted(setup)
    setup.source += "\nimport gc\n"
    assert not policy.is_trusted(setup)
    assert [v.what for v in policy.check_cells(nb.cells)] == ["`import gc`"]


def write(tmp_path, language: str, *student_cells: str):
    import nbformat

    nb = new_notebook(cells=cells(*student_cells))
    nb.metadata["coursekit"] = {"language": language}
    nbformat.write(nb, tmp_path / "work.ipynb")


def test_check_notebook_reads_the_saved_file_in_its_language(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("COURSEKIT_LANGUAGE", raising=False)
    write(tmp_path, "en", "import ctypes")
    with pytest.raises(policy.PolicyError, match=r"(?s)will not run.*cell 3 \(JupyterLab: Cell 3/4\), line 1: "
                                                 r"`import ctypes`.*Change them, save"):
        policy.check_notebook("work.ipynb")
    write(tmp_path, "zh", "import ctypes")
    with pytest.raises(policy.PolicyError, match="第 3 个单元格（JupyterLab 显示 Cell 3/4），第 1 行：`import ctypes`"):
        policy.check_notebook("work.ipynb")
    write(tmp_path, "zh", "import asyncio\nexpect = print")
    policy.check_notebook("work.ipynb")
    assert "自动评分都会运行" in capsys.readouterr().out
    write(tmp_path, "en", "import ctypes")
    for execution in ("autograde", "validate"):  # the grader screens the notebook itself, and so does validate
        monkeypatch.setenv("NBGRADER_EXECUTION", execution)
        policy.check_notebook("work.ipynb")


def test_the_autograder_runs_the_reasons_instead_of_the_cell():
    from instructor.screening import neutralised

    source = "import sys\n\nsys.settrace(None)"
    for language, words in (("en", "the autograder did not run this cell"), ("zh", "自动评分没有运行这个单元格")):
        found = check(source, language=language)
        replaced = neutralised(source, found)
        namespace: dict = {}
        with pytest.raises(RuntimeError) as raised:
            exec(compile(replaced, "<cell>", "exec"), namespace)  # noqa: S102 - the cell as the grader runs it
        said = "".join(str(raised.value).split())
        assert "".join(words.split()) in said
        assert "".join(found[0].reason_in(language).split()) in said
        assert "#     sys.settrace(None)" not in replaced and "# sys.settrace(None)" in replaced
        first, *rest = str(raised.value).splitlines()  # nbgrader validate cuts its report's lines at 87 characters
        assert len(first) <= 87 - 4 - len("RuntimeError: ") and all(len(line) <= 87 - 4 for line in rest)
