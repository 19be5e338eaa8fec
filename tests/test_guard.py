"""coursekit.guard in a real kernel, and the grader's half of sealed tests (instructor.sealing).

Each notebook here runs in a fresh ipykernel with the guard on (the assignment's setup cell
installs it, as in a student's kernel, unless COURSEKIT_GUARD=off).
"""

from __future__ import annotations

import os

from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook, new_output

from instructor.sealing import Sealer, free_names

SETUP = "import asyncio\nfrom coursekit.grading import run_async\nfrom coursekit import guard\nassert guard.installed()"


def run_cells(*sources: str) -> list[str]:
    """Run the setup cell then ``sources`` in a guarded kernel; each cell's output as one text."""
    nb = new_notebook(cells=[new_code_cell(SETUP), *(new_code_cell(s) for s in sources)])
    env = {k: v for k, v in os.environ.items() if k != "COURSEKIT_GUARD"}  # on by default
    client = NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True)
    client.execute(env=env)
    texts = []
    for cell in nb.cells:
        parts = []
        for output in cell.outputs:
            if output.output_type == "stream":
                parts.append(f"[{output.name}]{output.text}")
            elif output.output_type == "error":
                parts.append(f"[error]{output.ename}: {output.evalue}")
        texts.append("".join(parts))
    assert texts[0] == "", texts[0]
    return texts[1:]


REFUSED = {
    "frame": "import sys\nsys._getframe()",
    "frame through a format field": "def g():\n    yield 1\n'{0.gi_frame}'.format(g())",
    "frame through a match class pattern": "def g():\n    yield 1\nmatch g():\n    case object(gi_frame=f):\n        pass",
    "traceback's frame": "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    e.__traceback__.tb_frame",
    "inspect.stack": "import inspect\ninspect.stack()",
    "the garbage collector": "import gc\ngc.get_objects()",
    "tracing": "import sys\nsys.settrace(lambda *a: None)",
    "a new audit hook": "import sys\nheard = []\nsys.addaudithook(lambda *a: heard.append(a))\nsys.audit('x')\n"
                        "print('heard', len(heard))",
    "code objects": "(lambda: 0).__code__.replace(co_name='x')",
    "a function from the toolkit's code": "import types\nfrom coursekit import grading\n"
                                          "types.FunctionType(grading.expect.__code__, {})",
    "exec of code that claims the toolkit's file": "from coursekit import grading\n"
                                                   "exec(compile('x = 1', grading.__file__, 'exec'))",
    "the toolkit's code replaced": "from coursekit import grading\ngrading.expect.__code__ = (lambda *a, **k: None).__code__",
    "a process": "import subprocess\nsubprocess.run(['true'])",
    "the kernel's first environment": "open('/proc/self/environ').read()",
    "the kernel's first environment, spelled //proc": "open('//proc/self/environ').read()",
    "the kernel's first environment, through ..": "open('/tmp/../proc/self/environ').read()",
    "the kernel's first environment, through a link": "import tempfile\nlink = os.path.join(tempfile.mkdtemp(), 'e')\n"
                                                      "os.symlink('/proc/self/environ', link)\nopen(link).read()",
    "writing outside the temporary folder": "open(os.path.expanduser('~/x.txt'), 'w')",
    "frames handed over by traceback.walk_stack": "import traceback\nnext(traceback.walk_stack(None))",
    "frames through a deferred call": "box = []\nimport sys\nasyncio.get_running_loop().call_soon(box.extend, map(sys._getframe, [0]))\n"
                                      "await asyncio.sleep(0)\nprint('got', len(box))",
}


def test_what_has_no_place_in_an_answer_is_refused():
    texts = run_cells("import os", *REFUSED.values())
    for (what, _), text in zip(REFUSED.items(), texts[1:]):
        if what == "frames through a deferred call":  # the callback's error is the loop's: the box stays empty
            assert "got 0" in text, (what, text)
        elif what == "a new audit hook":  # refused hooks are not added, in silence (PEP 578)
            assert text == "[stdout]heard 0\n", (what, text)
        else:
            assert "GuardError" in text and "not allowed while a graded notebook runs" in text, (what, text)


HONEST = {
    "traceback.print_exc": "import sys, traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n"
                           "    traceback.print_exc(file=sys.stdout)",
    "logging": "import logging\nlogging.getLogger('answer').warning('careful')",
    "a task's repr": "task = asyncio.get_running_loop().create_task(asyncio.sleep(0))\nprint(repr(task)[:5])\nawait task",
    "a dataclass": "from dataclasses import dataclass\n@dataclass\nclass Timer:\n    due: float\n"
                   "t = Timer(1.0)\nt.due = 2.0\nprint(t)",
    "a namedtuple and an enum": "import collections, enum\nP = collections.namedtuple('P', 'x y')\n"
                                "Color = enum.Enum('Color', 'RED GREEN')\nprint(P(1, 2), Color.RED)",
    "a file in the temporary folder": "import tempfile, os\npath = os.path.join(tempfile.gettempdir(), 'guard-test.txt')\n"
                                      "open(path, 'w').write('x')\nos.remove(path)\nprint('written')",
    "an error of the student's own, shown": "def f():\n    raise ValueError('mine')\nf()",
    "run_async": "async def f():\n    await asyncio.sleep(3)\n    return 3\nprint(run_async(f).loop_time)",
}


def test_honest_code_runs_as_usual():
    texts = run_cells(*HONEST.values())
    for (what, _), text in zip(HONEST.items(), texts):
        if what == "an error of the student's own, shown":
            assert text == "[error]ValueError: mine", (what, text)
        else:
            assert "GuardError" not in text and "[error]" not in text, (what, text)
    assert "ZeroDivisionError" in texts[0] and "careful" in texts[1] and "written" in texts[5]
    assert texts[-1].strip() == "[stdout]3.0"


def test_a_debugger_may_trace_in_a_students_kernel_but_a_cell_may_not():
    """JupyterLab's debugger traces from its own threads; a cell that traces gets the grader's verdict."""
    debugger, cell = run_cells(
        "import sys, threading\nthread = threading.Thread(target=sys.settrace, args=(None,))\n"
        "thread.start()\nthread.join()\nprint('traced')",
        "import sys\nsys.settrace(None)")
    assert debugger == "[stdout]traced\n", debugger
    assert "GuardError" in cell and "sys.settrace" in cell, cell


def test_a_replaced_toolkit_name_fails_the_next_run_with_its_name():
    (text,) = run_cells("from coursekit import grading\ngrading._equal = lambda a, b: True\n"
                        "async def f():\n    return 1\nrun_async(f)")
    assert "GuardError" in text and "coursekit.grading._equal" in text


def test_a_toolkit_name_replaced_while_the_answer_runs_fails_the_verdict():
    """Patched inside the run, to fool the checks that follow it and put back before the next: caught at the verdict."""
    (text,) = run_cells(
        "from coursekit.grading import expect\n"
        "async def f():\n    from coursekit import grading\n    real = grading._equal\n"
        "    def once(a, b):\n        grading._equal = real\n        return True\n"
        "    grading._equal = once\n    return 1\n"
        "run = run_async(f)\nexpect(run.result, 2, 'the result')")
    assert "GuardError" in text and "coursekit.grading._equal" in text, text


def test_the_guard_cannot_be_switched_off_from_its_module():
    (text,) = run_cells("from coursekit import guard, grading\nguard._state.clear()\n"
                        "guard.PROC_SECRETS = frozenset()\nguard.FRAME_ATTRIBUTES = frozenset()\n"
                        "grading._equal = lambda a, b: True\nguard.verify()")
    assert "GuardError" in text and "coursekit.grading._equal" in text, text


def test_a_prediction_cannot_lift_the_ban_on_running():
    (text,) = run_cells(
        "from coursekit import grading\nasync def f():\n    return 1\n"
        "with grading.forbid_running('predict, do not run'):\n    grading._forbid.reason = None\n"
        "    with grading.forbid_running('x'):\n        pass\n    run_async(f)")
    assert "AssertionError" in text and "predict, do not run" in text, text


def test_a_clock_set_back_is_caught():
    """A sequential crawl that sets the clock back between pages would look concurrent to the recorder."""
    (text,) = run_cells(
        "from coursekit.grading import Recorder\nrecorder = Recorder()\n"
        "async def page(n):\n    await asyncio.sleep(n)\ncrawl = recorder.wrap(page, 'page')\n"
        "async def f():\n    loop = asyncio.get_running_loop()\n    import warnings\n"
        "    warnings.simplefilter('ignore')\n    for n in (2, 3):\n        await crawl(n)\n"
        "        loop.setup_looptime(start=0.5)\n    return 1\nrun_async(f)")
    assert "GuardError" in text and "went back from 2 s to 0.5 s" in text, text


def test_free_names_are_what_a_test_takes_from_the_notebook():
    source = ("import asyncio\nfrom coursekit.grading import expect\n\ndef check(func, n):\n    run = func(n)\n"
              "    expect(run, helper(n), 'x')\n\nfor k in range(2):\n    check(crawl_page, k)\nbackground_saves.clear()\n")
    assert free_names(source) == ("background_saves", "crawl_page", "helper")


def test_a_seal_counts_only_with_this_kernels_key_this_run_and_this_code(tmp_path):
    import hashlib
    import hmac

    sealer = Sealer(str(tmp_path))
    call, nonce = sealer.prepare("test_x", "assert True\n")
    assert "run_test('test_x'" in call and nonce in call
    assert (tmp_path / os.path.basename(sealer.tests) / "test_x.py").read_text() == "assert True\n"

    def cell_with(line: str):
        cell = new_code_cell("")
        cell.outputs = [new_output("stream", name="stdout", text=f"printed\n{line}\n")]
        return cell

    def seal(key: bytes, cell_id: str, run: str, source: str) -> str:
        digest = hashlib.sha256(source.encode()).hexdigest()
        return "coursekit-seal {} {} {}".format(cell_id, run, hmac.new(key, f"{cell_id}\n{run}\n{digest}".encode(),
                                                                        "sha256").hexdigest())

    good = cell_with(seal(sealer.key, "test_x", nonce, "assert True\n"))
    assert sealer.finish(good, "test_x", nonce, "assert True\n")
    assert good.outputs[0].text == "printed\n"  # the seal is taken out of what the student sees
    glued = new_code_cell("")  # the student's function printed with end=" " last
    glued.outputs = [new_output("stream", name="stdout", text="OK url_1 " + seal(sealer.key, "test_x", nonce,
                                                                                  "assert True\n") + "\n")]
    assert sealer.finish(glued, "test_x", nonce, "assert True\n") and glued.outputs[0].text == "OK url_1 "
    for forged in (seal(b"k" * 32, "test_x", nonce, "assert True\n"), seal(sealer.key, "test_y", nonce, "assert True\n"),
                   seal(sealer.key, "test_x", "0" * 32, "assert True\n"), seal(sealer.key, "test_x", nonce, "pass\n")):
        assert not sealer.finish(cell_with(forged), "test_x", nonce, "assert True\n"), forged
    assert not (tmp_path / os.path.basename(sealer.tests) / "test_x.py").exists()


def test_the_kernel_entry_point_erases_its_secrets(tmp_path):
    """coursekit.kernel takes the key and the tests' folder out of every copy of the environment."""
    import subprocess
    import sys

    code = ("import os, posix, sys\nsys.argv = ['x']\nfrom coursekit import kernel\n"
            "key, tests = kernel._take('COURSEKIT_SEAL_KEY'), kernel._take('COURSEKIT_TESTS')\n"
            "left = [v for v in (os.environ.get('COURSEKIT_SEAL_KEY'), os.environb.get(b'COURSEKIT_SEAL_KEY'),\n"
            "        posix.environ.get(b'COURSEKIT_SEAL_KEY'), os.environ.get('COURSEKIT_TESTS')) if v]\n"
            "print(key, tests, left)")
    env = {**os.environ, "COURSEKIT_SEAL_KEY": "ab" * 32, "COURSEKIT_TESTS": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"{'ab' * 32} {tmp_path} []"


def test_the_grading_kernel_keeps_no_secret_in_its_first_environment(tmp_path):
    """/proc/<pid>/environ keeps what a process started with: the kernel starts again without its secrets."""
    import subprocess
    import sys
    import time

    from jupyter_client.connect import write_connection_file

    connection, _ = write_connection_file(str(tmp_path / "kernel.json"))
    env = {**os.environ, "COURSEKIT_SEAL_KEY": "ab" * 32, "COURSEKIT_TESTS": str(tmp_path / "tests")}
    kernel = subprocess.Popen([sys.executable, "-m", "coursekit.kernel", "-f", connection], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        environ = b""
        while time.monotonic() < deadline:
            environ = open(f"/proc/{kernel.pid}/environ", "rb").read()
            if b"COURSEKIT_SECRETS_FD" in environ:  # the second image has started
                break
            time.sleep(0.1)
        assert b"COURSEKIT_SECRETS_FD" in environ
        assert b"ab" * 32 not in environ and str(tmp_path / "tests").encode() not in environ
    finally:
        kernel.kill()
        kernel.wait()


def test_calls_recorded_are_kept_where_the_answer_cannot_add_any():
    """The recorded function's closure leads to its recorder; what the guard kept is what the test reads."""
    (text,) = run_cells(
        "from coursekit.grading import Recorder, Call\nrecorder = Recorder()\n"
        "async def page(n):\n    await asyncio.sleep(n)\npage = recorder.wrap(page, 'page')\n"
        "async def f():\n    await page(1)\n    mine = page.__closure__\n"
        "    for cell in mine:\n        if isinstance(cell.cell_contents, Recorder):\n"
        "            cell.cell_contents._calls.append(Call('page', (2,), 0.0))\n"
        "run_async(f)\nprint(len(recorder.calls), len(recorder._calls))\n"
        "try:\n    recorder.of = lambda name=None: []\nexcept AttributeError:\n    print('read-only')")
    assert text == "[stdout]1 2\nread-only\n", text


def test_a_grading_kernel_loads_what_its_notebook_imports_and_no_more():
    """instructor.sealing.preloads reads the setup and test cells; coursekit.kernel.preload imports them."""
    import subprocess
    import sys
    from pathlib import Path

    import nbformat

    from instructor.sealing import preloads

    release = Path(__file__).resolve().parent.parent / "release"
    found = {path.stem: preloads(nbformat.read(path, as_version=4).cells) for path in release.glob("*/*.ipynb")}
    assert set(found) == {"crawler", "toolkit", "runtime", "coming_soon", "beyond"}
    for name, modules in found.items():
        assert f"coursekit.checks.{name}" in modules, (name, modules)
        assert ("aiohttp" in modules) == ("bs4" in modules) == (name == "coming_soon"), (name, modules)

    nb = nbformat.read(release / "01-crawler" / "crawler.ipynb", as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source = "import aiohttp\nimport json\n" + answer.source  # the student's imports are not preloaded
    setup = nb.cells[next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")]
    setup.source = "import subprocess\nfrom . import relative\n" + setup.source  # nor what no answer may import
    modules = preloads(nb.cells)
    assert not {"aiohttp", "json", "subprocess", "relative"} & set(modules), modules

    code = ("import sys\nfrom coursekit import kernel\nchecks = kernel.preload(sys.argv[1])\n"
            "print(checks, 'aiohttp' in sys.modules, 'bs4' in sys.modules)")
    run = lambda names: subprocess.run([sys.executable, "-c", code, names], capture_output=True, text=True,
                                       check=True).stdout.split()
    assert run(",".join(found["crawler"])) == ["['coursekit.checks.crawler']", "False", "False"]
    assert run(",".join(found["coming_soon"])) == ["['coursekit.checks.coming_soon']", "True", "True"]


def test_a_module_swapped_in_sys_modules_fails_the_next_run_with_its_name():
    """A test imports its checks through sys.modules: a stand-in put there is caught like a rebound name."""
    (text,) = run_cells("import sys, types\nsys.modules['random'] = types.ModuleType('random')\n"
                        "async def f():\n    return 1\nrun_async(f)")
    assert "GuardError" in text and "sys.modules['random']" in text, text


def test_what_the_test_reads_of_a_call_is_the_guards_record_not_the_call_objects():
    """The answer can reach the Call objects (the closure of the function it is handed); changing them changes nothing."""
    (text,) = run_cells(
        "from coursekit.grading import Recorder\nrecorder = Recorder()\n"
        "async def page(n):\n    await asyncio.sleep(n)\npage = recorder.wrap(page, 'page')\n"
        "async def f():\n    await page(1)\n    for call in recorder.calls + recorder._calls:\n"
        "        call.started, call.ended, call.outcome = 7.0, 7.0, 'cancelled'\n"
        "run_async(f)\nprint([(c.started, c.ended, c.outcome) for c in recorder.calls])")
    assert text == "[stdout][(0.0, 1.0, 'returned')]\n", text


def test_a_loop_of_the_answers_own_is_not_believed_even_with_the_runners_mark_forged():
    """Only the loops run_async runs answers on give recorded times; a thread that copies the runner's mark gets NaN."""
    (text,) = run_cells(
        "import threading, types\nfrom coursekit import grading\nfrom coursekit.grading import Recorder\n"
        "recorder = Recorder()\nasync def page(n):\n    await asyncio.sleep(n)\npage = recorder.wrap(page, 'page')\n"
        "def elsewhere():\n    grading._here.outcome = types.SimpleNamespace(returned=False)\n"
        "    loop = asyncio.new_event_loop()\n"
        "    loop.run_until_complete(page(0.01))\n    loop.close()\n"
        "thread = threading.Thread(target=elsewhere)\nthread.start()\nthread.join()\n"
        "print(recorder.calls[0].started)")
    assert text == "[stdout]nan\n", text
