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
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from nbgrader.api import Gradebook

from instructor import nbtools
from instructor.course import CourseCopy, clean_environment

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import submissions  # noqa: E402 - from tests/, on the path just above
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
MODULES = submissions.modules()


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (sandboxed kernels included: bwrap is a child of the grader)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory_sampler(root: int, stop: threading.Event, peaks: dict[str, int]) -> None:
    """Memory of the grading's processes, every 0.2 s (KiB): the sum of their proportional set sizes (a page
    shared by n processes counts 1/n in each: forked kernels share most of theirs with their zygote), the
    sum of their resident sets (shared pages counted in every process), and the largest resident set."""
    while not stop.is_set():
        pss = rss = largest = 0
        for pid in descendants(root):
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    fields = dict(line.split(":", 1) for line in f if line[:1].isupper())
                own, resident = int(fields["Pss"].split()[0]), int(fields["Rss"].split()[0])
            except (OSError, ValueError, KeyError):
                continue
            pss += own
            rss += resident
            largest = max(largest, resident)
        for key, value in (("total", pss), ("rss", rss), ("largest", largest)):
            peaks[key] = max(peaks.get(key, 0), value)
        stop.wait(0.2)


def grade(course: CourseCopy, jobs: int) -> tuple[float, dict[str, int], list[tuple[int, float]]]:
    """Wall time, peak memory, and (submissions done, seconds) as the run went."""
    stop, peaks, marks = threading.Event(), {}, []
    started = time.perf_counter()
    make = subprocess.Popen(["make", "--no-print-directory", "autograde", f"JOBS={jobs}"], cwd=course.root, env=clean_environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = threading.Thread(target=memory_sampler, args=(make.pid, stop, peaks), daemon=True)
    sampler.start()
    for line in make.stdout:
        done = re.match(r"\[(\d+)/\d+\]", line)
        if done:
            marks.append((int(done.group(1)), time.perf_counter() - started))
    make.wait()
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    return elapsed, peaks, marks


def growth(marks: list[tuple[int, float]], total: int) -> str:
    """Seconds at each quarter of the class: equal steps mean time grows linearly with its size."""
    quarters = []
    for k in (1, 2, 3, 4):
        target = total * k // 4
        seconds = next((t for n, t in marks if n >= target), None)
        if seconds is not None:
            quarters.append(f"{target}: {seconds:.0f} s")
    return ", ".join(quarters)


def memory(peaks: dict[str, int]) -> str:
    return (f"peak memory {peaks['total'] / 1024:.0f} MiB in all (proportional set sizes; resident sets summed: "
            f"{peaks['rss'] / 1024:.0f} MiB), {peaks['largest'] / 1024:.0f} MiB the largest process")


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
        serial, serial_mem, serial_marks = grade(course, 1)
        first = points(course)
        print(f"JOBS=1: {serial:.0f} s ({serial / notebooks:.2f} s a notebook), {memory(serial_mem)}", flush=True)
        print(f"  submissions done by then: {growth(serial_marks, notebooks)}", flush=True)
        parallel, parallel_mem, parallel_marks = grade(course, args.jobs)
        second = points(course)
        print(f"JOBS={args.jobs}: {parallel:.0f} s ({parallel / notebooks:.2f} s a notebook), {memory(parallel_mem)}")
        print(f"  submissions done by then: {growth(parallel_marks, notebooks)}")
        print(f"ratio parallel/serial: {parallel / serial:.2f}x (target <= 0.65x); "
              f"same points for every submission: {first == second} ({len(first)} submissions)")


if __name__ == "__main__":
    main()
