"""Autograding figures for chapter 1 (issue 2). Prints numbers; asserts nothing.

    make benchmark            # or: .venv/bin/python benchmarks/autograde.py [--repeat 5]

1. Real seconds spent in the graded test cells when autograding the reference
   solution (from the cell timing nbclient records in the autograded notebook).
2. Wall time of `make autograde` for one student, and for ten.
3. Autograding one submission against autograding the same notebook with every
   cell emptied (a separate assignment in the same course copy), alternated
   in one run; medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from instructor import nbtools
from instructor.course import CourseCopy

ASSIGNMENT, NOTEBOOK = "01-crawler", "crawler"
EMPTY = "00-empty"

os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


def reference_submission(course: CourseCopy) -> nbformat.NotebookNode:
    release = nbtools.read(course.root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    source = nbtools.read(course.root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    return nbtools.fill(release, nbtools.reference_answers(source))


def emptied(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Same cells, same kernel, no code and no nbgrader metadata."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        cell.source = ""
        cell.metadata.pop("nbgrader", None)
    return nb


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side of the ratio (default 5)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        course = CourseCopy(Path(tmp))
        # The emptied twin is an assignment of its own, released like the real one.
        empty_source = course.root / "source" / EMPTY
        empty_source.mkdir()
        nbformat.write(emptied(nbtools.read(course.root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")),
                       str(empty_source / f"{NOTEBOOK}.ipynb"))
        course.make("release")
        submission = reference_submission(course)

        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores")
        course.submit("student01", ASSIGNMENT, NOTEBOOK, submission)
        shutil.rmtree(empty_source)  # `make autograde` grades every assignment of source/
        one = timed(lambda: course.make("autograde"))
        seconds = nbtools.graded_cell_seconds(nbtools.read(course.root / "autograded" / "student01" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"))
        cells, count = sum(seconds), len(seconds)
        print(f"1. graded test cells of the reference solution: {cells:.3f} s real time in {count} cells")
        print(f"2. make autograde, 1 student:   {one:.2f} s")
        for n in range(2, 11):
            course.submit(f"student{n:02d}", ASSIGNMENT, NOTEBOOK, submission)
        ten = timed(lambda: course.make("autograde"))
        print(f"   make autograde, 10 students: {ten:.2f} s ({ten / 10:.2f} s per student)")

        course.submit("student01", EMPTY, NOTEBOOK, emptied(submission))
        full_times, empty_times = [], []
        for _ in range(args.repeat):
            full_times.append(timed(lambda: course.run("nbgrader", "autograde", ASSIGNMENT, "--student", "student01", "--force")))
            empty_times.append(timed(lambda: course.run("nbgrader", "autograde", EMPTY, "--student", "student01", "--force")))
        full, empty = statistics.median(full_times), statistics.median(empty_times)
        print(f"3. nbgrader autograde, one submission: median {full:.2f} s of {args.repeat} "
              f"({', '.join(f'{t:.2f}' for t in full_times)})")
        print(f"   same notebook, every cell emptied:  median {empty:.2f} s of {args.repeat} "
              f"({', '.join(f'{t:.2f}' for t in empty_times)})")
        print(f"   ratio of medians: {full / empty:.2f}x, of fastest runs: {min(full_times) / min(empty_times):.2f}x "
              f"(target <= 1.3x)")


if __name__ == "__main__":
    main()
