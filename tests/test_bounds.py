"""Bounds a submission cannot lift, each shown by grading a submission through the real nbgrader.

Each test submits one student's notebook (the reference answers, with one
hostile part) in a copy of the course and runs ``nbgrader autograde`` for that
student, sandbox on, as the course's config sets it up; the screening is
taken out of the copy's config, so that what is shown is the bound itself:

* the grader's own folder for the kernel (``course-kernel-*``) does not grow;
* one 300 MB ``print`` never reaches the grader's memory, and the other
  answers keep their points;
* a cell that holds the GIL and ignores its interrupt has its kernel replaced:
  the run lasts the cell's limit and a few seconds more, the exercise scores
  nothing, the student's other answers are graded;
* the notebook's time limit still bounds a notebook whose cells keep getting
  stuck.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell
from nbgrader.api import Gradebook

from instructor import nbtools, sandbox
from instructor.course import CourseCopy
from submissions import crawler

pytestmark = [
    pytest.mark.slow,
    pytest.mark.long(1.5),
    pytest.mark.skipif(sandbox._probe() is not None, reason="bubblewrap cannot run here"),
]

ASSIGNMENT, NOTEBOOK = crawler.ASSIGNMENT, crawler.NOTEBOOK

# nbgrader autograde, in a process that reports its own peak resident memory on its way out (the
# kernels are its descendants, so RUSAGE_CHILDREN of the run would count the kernel's 300 MB too).
WRAPPER = """
import atexit, resource, sys
atexit.register(lambda: print(f"PEAK_RSS_KB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr))
sys.argv = ["nbgrader", *sys.argv[1:]]
from nbgrader.apps.nbgraderapp import main
main()
"""

# A backtracking regular expression run in a worker thread holds the GIL for ever: the main thread
# never runs the interrupt's handler (in the main thread itself, Python 3.11 checks signals in re).
STUCK = 're.match(r"(a+)+$", "a" * 40 + "b")'


@pytest.fixture(scope="module")
def course(tmp_path_factory, released):
    course = CourseCopy(tmp_path_factory.mktemp("bounds"))
    with open(course.root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write('\nc.Autograde.sanitize_preprocessors = [p for p in c.Autograde.sanitize_preprocessors '
                'if p.__name__ != "ScreenCode"]\n')
    course.copy_release(released)
    return course


def submission(course: CourseCopy, answers: dict[str, str] | None = None, extra: list[str] = ()):
    """The reference answers (some replaced by ``answers``), with ``extra`` cells after the setup cell."""
    release = nbtools.read(course.root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    reference = nbtools.reference_answers(nbtools.read(course.root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"))
    nb = nbtools.fill(release, {**reference, **(answers or {})})
    first_code = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    for offset, source in enumerate(extra, start=1):
        nb.cells.insert(first_code + offset, new_code_cell(source))
    return nb


def autograde(course: CourseCopy, student: str, nb, *options: str, tmp: Path | None = None) -> dict:
    """Submit ``nb`` as ``student`` and grade it: how long it took, the grader's peak memory, the log."""
    course.submit(student, ASSIGNMENT, NOTEBOOK, nb)
    env = {"TMPDIR": str(tmp)} if tmp else {}
    started = time.perf_counter()
    result = course.run(str(course.root / ".venv" / "bin" / "python"), "-c", WRAPPER, "autograde", ASSIGNMENT,
                        "--student", student, "--force", *options, check=False, **env)
    elapsed = time.perf_counter() - started
    log = result.stdout + result.stderr
    peak = re.search(r"PEAK_RSS_KB (\d+)", log)
    return {"seconds": elapsed, "peak_mb": int(peak.group(1)) / 1024 if peak else None, "log": log,
            "returncode": result.returncode}


def points(course: CourseCopy, student: str) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        try:
            nb = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
        except Exception:
            return {}
        return {grade.name: grade.score for grade in nb.grades}


def autograded(course: CourseCopy, student: str):
    return nbtools.read(course.root / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb")


def text_of(cell) -> str:
    text = "".join(o.get("text", "") + "\n".join(o.get("traceback", [])) for o in cell.get("outputs", []))
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.fixture(scope="module")
def baseline(course):
    """The reference answers alone: full points, and what grading them costs."""
    run = autograde(course, "reference", submission(course))
    assert points(course, "reference") == crawler.FULL, run["log"][-3000:]
    print(f"\nreference: {run['seconds']:.1f} s, grader peak {run['peak_mb']:.0f} MB")
    return run


def test_plain_nbgrader_autograde_says_it_is_sandboxed_and_prints_no_kernel_banner(baseline):
    first = baseline["log"].lstrip().splitlines()[0]
    assert first.startswith("nbgrader autograde: every kernel runs in a bubblewrap sandbox"), first
    assert "Ctrl-C will not work" not in baseline["log"] and "--existing" not in baseline["log"]


def folder_bytes(folder: Path) -> int:
    """What the grader's folder itself holds (the link to the sandbox's sockets is not followed)."""
    total = 0
    for root, dirs, files in os.walk(folder):
        for name in files + dirs:
            try:
                total += os.lstat(os.path.join(root, name)).st_size if name in files else 0
            except OSError:
                pass
    return total


def test_the_graders_kernel_folder_does_not_grow(course, tmp_path):
    fill = """
import os, sys, time
connection_file = sys.argv[sys.argv.index("-f") + 1]
folder = os.path.dirname(connection_file)
print("folder", folder, sorted(os.listdir(folder)))
for target in (os.path.join(folder, "fill"), os.path.join(folder, "s", "fill"), connection_file):
    written = 0
    try:
        with open(target, "ab") as f:
            while written < 50 << 20:
                f.write(b"x" * (1 << 20))
                f.flush()
                written += 1 << 20
        print(target, "wrote", written)
    except OSError as error:
        print(target, "stopped after", written, "errno", error.errno)
time.sleep(3)  # the folder is watched while this kernel lives
"""
    seen: dict[str, int] = {}
    done = threading.Event()

    def watch():
        while not done.is_set():
            for folder in tmp_path.glob("course-kernel-*"):
                seen[folder.name] = max(seen.get(folder.name, 0), folder_bytes(folder))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run = autograde(course, "filler", submission(course, extra=[fill]), tmp=tmp_path)
    finally:
        done.set()
        watcher.join()
    (cell,) = [c for c in autograded(course, "filler").cells if "connection_file" in c.source]
    out = text_of(cell)
    print(out, seen)
    assert out.count("stopped after 0 errno") == 3, out
    # The sandbox's own tmpfs where the grader's folder is (read-only for another user, or full), its
    # sockets' folder (locked once the kernel answered, or full), the connection file (bound read-only).
    assert re.search(r"-[a-z0-9_]+/fill stopped after 0 errno (13|28)\b", out)
    assert re.search(r"/s/fill stopped after 0 errno (13|28)\b", out)
    assert re.search(r"connection.json stopped after 0 errno 30\b", out)
    assert seen, "the grader's kernel folder was never seen"
    assert max(seen.values()) < 16 << 10, seen  # the connection file and the link to the sockets
    assert not list(tmp_path.glob("course-kernel-*")), "the folder outlived its kernel"
    assert points(course, "filler") == crawler.FULL, run["log"][-3000:]


def test_a_300_mb_print_stays_out_of_the_graders_memory(course, baseline):
    run = autograde(course, "printer", submission(course, extra=['print("x" * 300_000_000)']))
    print(f"300 MB print: {run['seconds']:.1f} s, grader peak {run['peak_mb']:.0f} MB "
          f"(reference: {baseline['peak_mb']:.0f} MB)")
    assert run["peak_mb"] is not None and run["peak_mb"] < 400, run["log"][-3000:]
    assert points(course, "printer") == crawler.FULL, run["log"][-3000:]
    (cell,) = [c for c in autograded(course, "printer").cells if "300_000_000" in c.source]
    assert "OutputTooLarge" in text_of(cell) and "8 MB" in text_of(cell), text_of(cell)


def test_a_cell_that_ignores_its_interrupt_costs_its_limit_and_its_own_points(course, baseline):
    limit = 10
    # Stuck in the test's run only (a Try-it cell passes two urls), in the worker thread run_async uses.
    answer = f"""
async def crawl_with_tasks(urls: list[str]) -> list[str]:
    if len(urls) > 2:
        import re
        {STUCK}
    tasks = [asyncio.create_task(crawl_page(url)) for url in urls]
    return [await task for task in tasks]
"""
    run = autograde(course, "backtracker", submission(course, {"crawl_with_tasks": answer}),
                    f"--Execute.timeout={limit}", "--SandboxProvisioner.time_limit=90")
    print(f"stuck cell: {run['seconds']:.1f} s (reference: {baseline['seconds']:.1f} s, cell limit {limit} s)")
    assert points(course, "backtracker") == {**crawler.FULL, "test_crawl_with_tasks": 0}, run["log"][-3000:]
    (cell,) = [c for c in autograded(course, "backtracker").cells
               if c.metadata.get("nbgrader", {}).get("grade_id") == "test_crawl_with_tasks"]
    assert "ran past its time limit (10 s)" in text_of(cell), text_of(cell)
    assert run["seconds"] < baseline["seconds"] + limit + 15


def test_the_notebooks_time_limit_holds_when_cells_keep_getting_stuck(course, baseline):
    stuck = f"import re, threading, time\nthreading.Thread(target=lambda: {STUCK}, daemon=True).start()\ntime.sleep(1)"
    run = autograde(course, "staller", submission(course, extra=[stuck] * 6),
                    "--Execute.timeout=4", "--SandboxProvisioner.time_limit=20")
    print(f"six stuck cells, 20 s for the notebook: {run['seconds']:.1f} s")
    assert "replacing the kernel" in run["log"] and re.search(r"ran longer than 20 s in all", run["log"]), \
        run["log"][-3000:]
    assert sum(points(course, "staller").values()) == 0  # a notebook out of time fails, as it always did
    # Without the notebook's limit, six stuck cells would take over 54 s (each 4 s, 5 s of grace, a new kernel).
    assert run["seconds"] < baseline["seconds"] + 20 + 15  # grading itself costs what the reference's did
