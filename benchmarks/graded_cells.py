"""Real time the graded test cells of each assignment spend on its reference solution. Prints numbers.

    .venv/bin/python benchmarks/graded_cells.py [--students 5]

Each assignment's reference solution is handed in by --students students and
graded by `make autograde` (sandboxed, one at a time); the timing nbclient
records in every autograded notebook gives the seconds its graded cells ran.
Chapter 4's target: at most 1.5 s, its tests waiting out real latencies and
client timeouts on a real server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from instructor import nbtools
from instructor.course import CourseCopy

os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = CourseCopy(Path(tmp))
        course.make("release")
        notebooks = {}
        for source in sorted((course.root / "source").glob("*/*.ipynb")):
            assignment, notebook = source.parent.name, source.stem
            release = nbtools.read(course.root / "release" / assignment / source.name)
            answers = nbtools.fill(release, nbtools.reference_answers(nbtools.read(source)))
            for n in range(args.students):
                course.submit(f"s{n:02d}", assignment, notebook, answers)
            notebooks[assignment] = source.name
        course.make("autograde")
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; reference solution, {args.students} gradings each")
        for assignment, name in notebooks.items():
            totals = [sum(nbtools.graded_cell_seconds(nbtools.read(path)))
                      for path in sorted((course.root / "autograded").glob(f"*/{assignment}/{name}"))]
            print(f"{assignment}: graded cells {statistics.median(totals):.2f} s median, {max(totals):.2f} s max "
                  f"({', '.join(f'{t:.2f}' for t in totals)})")


if __name__ == "__main__":
    main()
