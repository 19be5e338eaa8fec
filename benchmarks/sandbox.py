"""What the grading sandbox costs. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/sandbox.py [--students 4] [--repeat 3]

1. `nbgrader autograde` of the same class (every assignment, reference
   answers) with the sandbox off (COURSE_SANDBOX=off) and on, alternated in
   one run; medians and their ratio (target: at most 1.2x).
2. The time one hostile submission that only waits (a cell awaiting a long
   sleep, then `time.sleep` in every following cell) adds to the run, with
   the course's limits (60 s a cell, 120 s a notebook).
3. The bounds of instructor/execute.py, each on the reference answers of
   assignment 1 with one hostile part, against the reference answers alone:
   the grading process's peak resident memory with a cell that prints 300 MB,
   and the time a cell holding the GIL (a backtracking regular expression in
   the test's worker thread, deaf to the interrupt) adds, with the course's
   limits; the points each gets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from nbformat.v4 import new_code_cell

from nbgrader.api import Gradebook

from instructor import nbtools
from instructor.course import CourseCopy

os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
ASSIGNMENTS = {"01-crawler": "crawler", "02-toolkit": "toolkit", "03-runtime": "runtime", "04-crawler": "coming_soon",
               "05-beyond": "beyond"}


def autograde_all(course: CourseCopy) -> float:
    started = time.perf_counter()
    for assignment in ASSIGNMENTS:
        result = course.run("nbgrader", "autograde", assignment, "--force", check=False)
        if result.returncode and "refused" in result.stderr:
            raise SystemExit(result.stderr)
    return time.perf_counter() - started


# nbgrader autograde in a process that prints its own peak resident memory on its way out.
MEASURED = """
import atexit, resource, sys
atexit.register(lambda: print(f"PEAK_RSS_KB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr))
sys.argv = ["nbgrader", *sys.argv[1:]]
from nbgrader.apps.nbgraderapp import main
main()
"""

STUCK_ANSWER = """
async def crawl_with_tasks(urls: list[str]) -> list[str]:
    if len(urls) > 2:
        import re
        re.match(r"(a+)+$", "a" * 40 + "b")
    tasks = [asyncio.create_task(crawl_page(url)) for url in urls]
    return [await task for task in tasks]
"""


def graded_alone(course: CourseCopy, student: str, nb) -> tuple[float, float, float]:
    """Seconds, the grading process's peak MB, and the points of one submission of assignment 1."""
    course.submit(student, "01-crawler", "crawler", nb)
    started = time.perf_counter()
    result = course.run(sys.executable, "-c", MEASURED, "autograde", "01-crawler", "--student", student, "--force",
                        check=False)
    seconds = time.perf_counter() - started
    peak = [line for line in result.stderr.splitlines() if line.startswith("PEAK_RSS_KB")]
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        grades = gb.find_submission_notebook("crawler", "01-crawler", student).grades
        score = sum(grade.score for grade in grades)
    return seconds, int(peak[-1].split()[1]) / 1024 if peak else float("nan"), score


def bounds(course: CourseCopy) -> None:
    release = nbtools.read(course.root / "release" / "01-crawler" / "crawler.ipynb")
    answers = nbtools.reference_answers(nbtools.read(course.root / "source" / "01-crawler" / "crawler.ipynb"))
    reference = nbtools.fill(release, answers)
    printer = nbtools.fill(release, answers)
    printer.cells.insert(2, new_code_cell('print("x" * 300_000_000)'))
    stuck = nbtools.fill(release, {**answers, "crawl_with_tasks": STUCK_ANSWER})
    for name, nb in (("reference answers", reference), ("a 300 MB print", printer), ("a GIL-holding regex", stuck)):
        seconds, peak, score = graded_alone(course, name.replace(" ", "-"), nb)
        print(f"   {name}: {seconds:.1f} s, grading process peak {peak:.0f} MB, {score:g} points")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = CourseCopy(Path(tmp))
        course.make("release")
        for assignment, notebook in ASSIGNMENTS.items():
            release = nbtools.read(course.root / "release" / assignment / f"{notebook}.ipynb")
            answers = nbtools.reference_answers(nbtools.read(course.root / "source" / assignment / f"{notebook}.ipynb"))
            for n in range(args.students):
                course.submit(f"student{n:02d}", assignment, notebook, nbtools.fill(release, answers))
        notebooks = args.students * len(ASSIGNMENTS)
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {notebooks} notebooks per run")
        off_times, on_times = [], []
        for _ in range(args.repeat):
            os.environ["COURSE_SANDBOX"] = "off"
            off_times.append(autograde_all(course))
            os.environ.pop("COURSE_SANDBOX")
            on_times.append(autograde_all(course))
        off, on = statistics.median(off_times), statistics.median(on_times)
        print(f"1. sandbox off: median {off:.1f} s ({', '.join(f'{t:.1f}' for t in off_times)}), "
              f"{off / notebooks:.2f} s a notebook")
        print(f"   sandbox on:  median {on:.1f} s ({', '.join(f'{t:.1f}' for t in on_times)}), "
              f"{on / notebooks:.2f} s a notebook")
        print(f"   ratio on/off: {on / off:.2f}x (target <= 1.2x)")

        release = nbtools.read(course.root / "release" / "01-crawler" / "crawler.ipynb")
        slow = nbtools.fill(release, {})
        slow.cells.insert(2, new_code_cell("import asyncio\nawait asyncio.sleep(10_000)"))
        for n in range(3):
            slow.cells.insert(3 + n, new_code_cell("import time\ntime.sleep(10_000)"))
        course.submit("slowpoke", "01-crawler", "crawler", slow)
        started = time.perf_counter()
        result = course.run("nbgrader", "autograde", "01-crawler", "--student", "slowpoke", "--force", check=False)
        added = time.perf_counter() - started
        print(f"2. one hostile slow submission: {added:.1f} s of grading (kernel killed: "
              f"{'ran longer than' in result.stdout + result.stderr})")
        print("3. bounds, assignment 1 graded alone:")
        bounds(course)


if __name__ == "__main__":
    main()
