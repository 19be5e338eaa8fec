"""coursekit.policy: honest answers in every style pass; what could rewrite a grade is named."""

from __future__ import annotations

import pytest

from coursekit import policy

SETUP = """
import asyncio
import functools
from coursekit.grading import expect, run_async

async def crawl_page(url):
    await asyncio.sleep(1)
    return f"OK {url}"
"""
TEST = "run = run_async(crawl_with_tasks, ['url_1'])\nexpect(run.result, ['OK url_1'], 'result')"


def check(*student_cells: str) -> list[policy.Violation]:
    cells = [{"cell_type": "code", "source": SETUP, "metadata": {"nbgrader": {"locked": True}}}]
    cells += [{"cell_type": "code", "source": source, "metadata": {}} for source in student_cells]
    cells += [{"cell_type": "code", "source": TEST, "metadata": {"nbgrader": {"grade": True, "solution": False}}}]
    return policy.check_cells(cells)


HONEST = {
    "tasks": "async def crawl_with_tasks(urls):\n    tasks = [asyncio.create_task(crawl_page(u)) for u in urls]\n    return [await t for t in tasks]",
    "taskgroup": "async def crawl_with_tasks(urls):\n    async with asyncio.TaskGroup() as tg:\n        ts = [tg.create_task(crawl_page(u)) for u in urls]\n    return [t.result() for t in ts]",
    "wait": "async def crawl_with_tasks(urls):\n    ts = [asyncio.create_task(crawl_page(u)) for u in urls]\n    done, pending = await asyncio.wait(ts, return_when=asyncio.FIRST_COMPLETED)\n    for t in pending:\n        t.cancel()\n    return [t.result() for t in done]",
    "as_completed": "async def crawl_with_tasks(urls):\n    return [await f for f in asyncio.as_completed([crawl_page(u) for u in urls])]",
    "class": (
        "class Crawler:\n    def __init__(self, urls):\n        self._urls = list(urls)\n        self.results = {}\n"
        "    async def __aenter__(self):\n        return self\n    async def __aexit__(self, *exc):\n        return False\n"
        "    async def run(self):\n        self._tasks = [asyncio.create_task(crawl_page(u)) for u in self._urls]\n"
        "        return await asyncio.gather(*self._tasks)\n\n"
        "async def crawl_with_tasks(urls):\n    async with Crawler(urls) as c:\n        return await c.run()"
    ),
    "closure": "def counter():\n    count = 0\n    def bump():\n        nonlocal count\n        count += 1\n        return count\n    return bump",
    "partial": "from functools import partial\nfetch = partial(crawl_page, 'url_1')\nlater = functools.partial(crawl_page, 'url_2')",
    "contextmanager": (
        "import contextlib\n@contextlib.asynccontextmanager\nasync def async_timed(label):\n"
        "    loop = asyncio.get_running_loop()\n    start = loop.time()\n    try:\n        yield\n    finally:\n"
        "        print(f'{label}: {loop.time() - start:.2f} s')"
    ),
    "queue": (
        "async def pipeline(items):\n    queue = asyncio.Queue(2)\n    async def worker():\n        while True:\n"
        "            item = await queue.get()\n            try:\n                await crawl_page(item)\n            finally:\n"
        "                queue.task_done()\n    workers = [asyncio.create_task(worker()) for _ in range(3)]\n"
        "    for item in items:\n        await queue.put(item)\n    await queue.join()\n    for w in workers:\n        w.cancel()"
    ),
    "callbacks": "def on_each_done(tasks, record):\n    for task in tasks:\n        task.add_done_callback(lambda t: record(t.get_name(), t.exception() or t.result()))",
    "try_it_cell": "run_async(crawl_with_tasks, ['url_3', 'url_1'])\nurls = ['url_2']\nrun = run_async(crawl_page, 'url_2')\nrun.result",
    "top_level_await_and_time_magic": "%time await crawl_page('url_1')\nresult = await crawl_page('url_2')",
    "time_cell_magic": "%%time\nawait asyncio.sleep(0)",
    "help": "asyncio.gather?",
    "semaphore_aiohttp": (
        "import aiohttp\nfrom bs4 import BeautifulSoup\n\nasync def fetch(session, url, limit):\n    async with limit:\n"
        "        async with session.get(url) as response:\n            response.raise_for_status()\n"
        "            return BeautifulSoup(await response.text(), 'lxml').select_one('#mainpic img')['src']"
    ),
    "class_with_closures_and_errors": (
        "import dataclasses\n\nclass CrawlError(Exception):\n    def __init__(self, url):\n        super().__init__(f'failed {url}')\n"
        "        self.url = url\n\n@dataclasses.dataclass\nclass Pool:\n    size: int\n    done: int = 0\n\n"
        "    @classmethod\n    def of(cls, size):\n        return cls(size)\n\n"
        "    async def run(self, urls):\n        limit = asyncio.Semaphore(self.size)\n        async def one(url):\n"
        "            async with limit:\n                self.done += 1\n                return await crawl_page(url)\n"
        "        try:\n            return await asyncio.gather(*(one(u) for u in urls))\n        except CrawlError as error:\n"
        "            raise CrawlError(error.url) from error\n\nasync def crawl_with_tasks(urls):\n    pool = Pool.of(3)\n"
        "    if not isinstance(pool, Pool):\n        raise CrawlError('x')\n    return await pool.run(urls)"
    ),
    "format_literal": "message = '{} of {}'.format(1, 2)\nprint(f'{message!r:>10}')",
    "blocking_mistake_is_not_a_policy_matter": "import time\nasync def crawl_page_slow(url):\n    time.sleep(1)",
}


@pytest.mark.parametrize("name", HONEST)
def test_honest_answers_pass(name):
    assert check(HONEST[name]) == []


def _allowed_module_holding_builtins() -> str:
    """An allowed module with `builtins` among its names, on this Python (dataclasses dropped it in 3.12)."""
    import importlib

    for name in ("dataclasses", "aiohttp.multipart"):
        if hasattr(importlib.import_module(name), "builtins"):
            return name
    raise AssertionError("no allowed module holds builtins here: pick another for the attack")


BUILTINS_HOLDER = _allowed_module_holding_builtins()

ATTACKS = {
    "rebind a helper": ("expect = lambda *a, **k: None", "`expect` is a name the tests use"),
    "rebind through global": ("def f():\n    global run_async\n    run_async = None", "`run_async` is a name the tests use"),
    "rebind a builtin": ("sorted = list", "`sorted` is a name the tests use"),
    "rebind by import": ("from asyncio import sleep as expect", "`expect` is a name the tests use"),
    "rebind by for": ("for expect in [1]:\n    pass", "`expect` is a name the tests use"),
    "delete a helper": ("del expect", "`expect` is a name the tests use"),
    "patch code": ("expect.__code__ = (lambda *a: None).__code__", "special attributes"),
    "patch a module": ("asyncio.sleep = None", "setting `.sleep`"),
    "patch through an alias": ("loop = asyncio\nloop.sleep = None", "may only be used as `asyncio.name`"),
    "pass a module": ("def f(m):\n    m.x = 1\nf(asyncio)", "may only be used as `asyncio.name`"),
    "import sys": ("import sys\nsys.setprofile(None)", "`import sys`"),
    "import coursekit module": ("import coursekit.grading as g", "`import coursekit.grading`"),
    "from coursekit import module": ("from coursekit import grading", "`from coursekit import ...`"),
    "ipython": ("get_ipython().events.register('post_run_cell', print)", "`get_ipython`"),
    "magic": ("%config Application.log_level = 0", "%config"),
    "cell magic": ("%%capture\nprint(1)", "%capture"),
    "shell": ("!cat ../../../source/*/*.ipynb", "%!"),
    "time magic hides code": ("%time expect.__code__ = None", "special attributes"),
    "exec": ("exec('x = 1')", "`exec`"),
    "eval": ("eval('1')", "`eval`"),
    "open": ("open('/etc/passwd')", "`open`"),
    "getattr": ("getattr(expect, 'x')", "`getattr`"),
    "dunder string": ("name = 'a__b'", "a string holding `__`"),
    "frames": ("async def f():\n    return asyncio.current_task().get_coro().cr_frame", "`.get_coro`"),
    "stack": ("def f(t):\n    return t.get_stack()", "`.get_stack`"),
    "tracebacks": ("try:\n    1 / 0\nexcept Exception as e:\n    e.__traceback__", "special attributes"),
    "private": ("loop = asyncio.get_running_loop()\nloop._ready", "`._ready`"),
    "gc": ("import gc", "`import gc`"),
    "inspect": ("import inspect", "`import inspect`"),
    "os": ("import os\nos.kill(os.getppid(), 9)", "`import os`"),
    "exit": ("exit()", "`exit`"),
    "system exit": ("raise SystemExit", "`SystemExit`"),
    "dynamic format": ("fmt = '{0.x}'\nfmt.format(expect)", "`.format` is allowed on a string literal only"),
    "eq override": ("class Always:\n    def __eq__(self, other):\n        return True", "defining `__eq__`"),
    "metaclass": ("class M(type): pass\nclass X(metaclass=M): pass", "class keywords"),
    "type builder": ("X = type('X', (), {})", "`type(...)` with three arguments"),
    "redirect": ("import contextlib\nwith contextlib.redirect_stdout(None):\n    pass", "`.redirect_stdout`"),
    "star import": ("from asyncio import *", "import *"),
    "relative import": ("from . import x", "from . import"),
    "all tasks": ("def f():\n    return asyncio.all_tasks()", "`.all_tasks`"),
    "exception handler": ("asyncio.get_running_loop().set_exception_handler(None)", "`.set_exception_handler`"),
    # Found by the red team (tests/submissions/hostile.py), each once a way past the rules:
    "helper as self": ("class P:\n    def m(self):\n        self.__code__ = None\nP.m(expect)", "special attributes"),
    "loop as self": ("class P:\n    def m(self):\n        self.time = None\nP.m(asyncio.get_running_loop())", "the class `P` may only be"),
    "class passed around": ("class P:\n    def m(self):\n        self.x = 1\ndef use(c, o):\n    c.m(o)\nuse(P, expect)", "the class `P` may only be"),
    "module by name": ("from asyncio.base_events import sys", "gives the module sys"),
    "builtins by name": (f"from {BUILTINS_HOLDER} import builtins", "gives the module builtins"),
    "module through attributes": ("asyncio.base_events.sys.modules", "is the module sys"),
    "private coursekit name": ("from coursekit.grading import ctypes", "from coursekit.grading import ctypes"),
    "type hints": ("from typing import get_type_hints", "that name is not for answers"),
    "string annotation": ("def f(x: 'exec(payload)'):\n    pass", "annotations must be expressions"),
    "format traversal": ("'{0.gi_frame.f_back}'.format(gen)", "may not reach into attributes"),
    "bytes dunder": ("payload = b'__import__'", "a string holding `__`"),
    "ipython by attribute": ("import IPython\nIPython.get_ipython()", "`import IPython`"),
    "subprocess": ("async def f():\n    await asyncio.create_subprocess_exec('python')", "`.create_subprocess_exec`"),
    "type of type": ("X = type(int)('X', (), {})", "calling the result of a call"),
    "rebind inside time magic": ("%time expect = None", "`expect` is a name the tests use"),
    "decorated self": ("class P:\n    @functools.partial(lambda f: f)\n    def m(self):\n        self.x = 1", "setting `.x`"),
    "class decorator": ("@(lambda c: c)\nclass P:\n    pass", "a class may only be decorated with @dataclass"),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_attacks_are_named(name):
    code, reason = ATTACKS[name]
    found = check(code)
    assert found, f"{name} passed the policy"
    assert any(reason in v.reason for v in found), [v.reason for v in found]
    assert all(v.cell == 1 and v.line >= 1 for v in found)


def test_a_violation_names_cell_line_and_code():
    (violation,) = check("x = 1\nexpect = None")
    assert (violation.cell, violation.line, violation.code) == (1, 2, "expect = None")
    assert "cell 1, line 2" in str(violation)


def test_a_cell_that_does_not_parse_is_left_to_python():
    assert check("def broken(:\n    pass") == []


def test_check_notebook_reads_the_saved_file(tmp_path, monkeypatch):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(SETUP, metadata={"nbgrader": {"locked": True}}), new_code_cell("expect = 1")])
    nbformat.write(nb, tmp_path / "work.ipynb")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    with pytest.raises(policy.PolicyError, match="cell 1, line 1: `expect` is a name the tests use"):
        policy.check_notebook("work.ipynb")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    policy.check_notebook("work.ipynb")  # the autograder screens the notebook itself
