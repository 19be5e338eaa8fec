"""Grading a generated class, serial against parallel. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/class.py [--students 100] [--jobs 2]

Every student hands in every assignment; a fifth of the submissions carry a
typical mistake (from tests/submissions/). The class is graded twice in the
same course copy, `make autograde JOBS=1` then `make autograde JOBS=<jobs>`,
and the script prints both wall times, their ratio (target: parallel at most
0.65x serial on 2 cores), the time per notebook, the peak memory of the
grading (largest resident set of any one process, and of all of them at
once, sampled every 0.2 s), and whether both runs gave every student the same
points.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from nbgrader.api import Gradebook

from instructor import nbtools
from instructor.course import CourseCopy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
MODULES = [importlib.import_module(f"submissions.{name}") for name in ("crawler", "toolkit", "runtime", "coming_soon")]


def memory_sampler(stop: threading.Event, peaks: dict[str, int]) -> None:
    """Sum and largest RSS of every process but this one, every 0.2 s (KiB)."""
    me = os.getpid()
    while not stop.is_set():
        total = largest = 0
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != me:
                try:
                    with open(f"/proc/{entry}/statm") as f:
                        rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
                except (OSError, ValueError, IndexError):
                    continue
                total += rss
                largest = max(largest, rss)
        peaks["total"] = max(peaks.get("total", 0), total)
        peaks["largest"] = max(peaks.get("largest", 0), largest)
        stop.wait(0.2)


def grade(course: CourseCopy, jobs: int) -> tuple[float, dict[str, int]]:
    stop, peaks = threading.Event(), {}
    sampler = threading.Thread(target=memory_sampler, args=(stop, peaks), daemon=True)
    sampler.start()
    started = time.perf_counter()
    subprocess.run(["make", "--no-print-directory", "autograde", f"JOBS={jobs}"], cwd=course.root,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    return elapsed, peaks


def points(course: CourseCopy) -> dict[tuple[str, str], float]:
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        return {(s.assignment.name, s.student.id): s.score for a in gb.assignments for s in gb.assignment_submissions(a.name)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        course = CourseCopy(Path(tmp))
        course.make("release")
        for module in MODULES:
            release = nbtools.read(course.root / "release" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
            reference = nbtools.reference_answers(nbtools.read(course.root / "source" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb"))
            wrong = [answers for answers, expected, *_ in module.VARIANTS.values() if expected != module.FULL]
            for n in range(args.students):
                answers = wrong[n % len(wrong)] if n % 5 == 4 else {}
                course.submit(f"s{n:04d}", module.ASSIGNMENT, module.NOTEBOOK, nbtools.fill(release, {**reference, **answers}))
        notebooks = args.students * len(MODULES)
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores: {args.students} students, {notebooks} notebooks", flush=True)
        serial, serial_mem = grade(course, 1)
        first = points(course)
        print(f"JOBS=1: {serial:.0f} s ({serial / notebooks:.2f} s a notebook), peak memory {serial_mem['total'] / 1024:.0f} MiB "
              f"in all, {serial_mem['largest'] / 1024:.0f} MiB the largest process", flush=True)
        parallel, parallel_mem = grade(course, args.jobs)
        second = points(course)
        print(f"JOBS={args.jobs}: {parallel:.0f} s ({parallel / notebooks:.2f} s a notebook), peak memory "
              f"{parallel_mem['total'] / 1024:.0f} MiB in all, {parallel_mem['largest'] / 1024:.0f} MiB the largest process")
        print(f"ratio parallel/serial: {parallel / serial:.2f}x (target <= 0.65x); "
              f"same points for every submission: {first == second} ({len(first)} submissions)")


if __name__ == "__main__":
    main()
