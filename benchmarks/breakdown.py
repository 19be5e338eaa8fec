"""Where one notebook's grading time goes, per assignment. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/breakdown.py [--students 3] [--sandbox on|off]

A course copy gets ``--students`` submissions of every assignment (reference
answers, the fifth student a typical mistake, as benchmarks/class.py does).
They are graded here, in this process, one after another, through nbgrader's
own API as a grading worker of ``make autograde`` does (instructor.autograde),
with timers wrapped around nbgrader's steps and the grader's kernel handling.
For each assignment it prints the mean seconds a notebook spends in:

- each nbgrader preprocessor (sanitising: ClearOutput, OverwriteCells...;
  grading: Execute, SaveAutoGrades...), Execute split into starting the
  sandbox and the kernel process, waiting for the kernel to answer (its
  imports), the setup cell, the student's cells, the test cells, other cells,
  and shutting the kernel down;
- nbgrader's own steps outside the preprocessors (gradebook, copying files,
  reading and writing notebooks): the rest of ``NbGraderAPI.autograde``.

The first submission of the run is left out of the means (it imports what the
worker imports once).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import submissions  # noqa: E402 - from tests/, on the path just above
sys.path.insert(0, str(REPO))
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"

from instructor import nbtools  # noqa: E402
from instructor.course import CourseCopy  # noqa: E402

MODULES = submissions.modules()
spent: dict[str, float] = defaultdict(float)


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (/proc/stat): a warm kernel is no child of this process,
    so its CPU is not in os.times(). Run the benchmark on an otherwise idle machine."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timed(owner, name: str, label) -> None:
    """Add the time of every call of ``owner.name`` to ``spent[label]`` (label: a string or a function of the call)."""
    original = getattr(owner, name)

    def key(args):
        return label(*args) if callable(label) else label

    if asyncio.iscoroutinefunction(original):
        @functools.wraps(original)
        async def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                spent[key(args)] += time.perf_counter() - started
    else:
        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[key(args)] += time.perf_counter() - started
    setattr(owner, name, wrapper)


def cell_kind(executor, cell, *rest) -> str:
    meta = cell.metadata.get("nbgrader", {})
    if cell.cell_type != "code":
        return "  cell: markdown"
    if meta.get("grade") and not meta.get("solution"):
        return "  cell: tests"
    if meta.get("solution"):
        return "  cell: student's answers"
    if "setup" in meta.get("grade_id", "") or "import" in cell.source.split("\n", 1)[0]:
        return "  cell: setup"
    return "  cell: other (Try-it, examples)"


def instrument() -> None:
    from nbconvert.preprocessors import Preprocessor
    from nbclient.util import run_sync
    from nbgrader.converters.autograde import Autograde

    from instructor.execute import BoundedExecute

    timed(Preprocessor, "__call__", lambda self, *a: f"preprocessor {type(self).__name__}")
    timed(Autograde, "init_assignment", "nbgrader: init_assignment (gradebook, copying)")
    timed(BoundedExecute, "async_start_new_kernel", "  kernel: sandbox and process start")
    timed(BoundedExecute, "async_start_new_kernel_client", "  kernel: until it answers (its imports)")
    timed(BoundedExecute, "async_execute_cell", cell_kind)
    timed(BoundedExecute, "_async_cleanup_kernel", "  kernel: shutdown")
    # nbclient's synchronous twins are bound to the coroutine functions themselves: bind them to the timed ones.
    for sync, coroutine in (("start_new_kernel", "async_start_new_kernel"), ("execute_cell", "async_execute_cell"),
                            ("start_new_kernel_client", "async_start_new_kernel_client"),
                            ("_cleanup_kernel", "_async_cleanup_kernel")):
        setattr(BoundedExecute, sync, run_sync(getattr(BoundedExecute, coroutine)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=3)
    parser.add_argument("--sandbox", choices=("on", "off"), default="on")
    args = parser.parse_args()
    if args.sandbox == "off":
        os.environ["COURSE_SANDBOX"] = "off"
    with tempfile.TemporaryDirectory() as tmp:
        course = CourseCopy(Path(tmp))
        course.make("release")
        work = []
        for module in MODULES:
            release = nbtools.read(course.root / "release" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
            source = nbtools.read(course.root / "source" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
            reference = nbtools.reference_answers(source)
            wrong = [answers for answers, expected, *_ in module.VARIANTS.values() if expected != module.FULL]
            for n in range(args.students):
                answers = wrong[n % len(wrong)] if n % 5 == 4 else {}
                course.submit(f"s{n:04d}", module.ASSIGNMENT, module.NOTEBOOK, nbtools.fill(release, {**reference, **answers}))
                work.append((module.ASSIGNMENT, f"s{n:04d}"))

        os.chdir(course.root)
        from nbgrader.apps import NbGraderAPI
        from traitlets.config.loader import PyFileConfigLoader

        from instructor import autograde

        started = time.perf_counter()
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
        api = NbGraderAPI(config=config)
        instrument()
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, sandbox {args.sandbox}: "
              f"{args.students} students; loading nbgrader and the config: {time.perf_counter() - started:.2f} s")
        rows: dict[str, list[dict[str, float]]] = defaultdict(list)
        for number, (assignment, student) in enumerate(work):
            spent.clear()
            started, cpu = time.perf_counter(), busy_seconds()
            result = api.autograde(assignment, student, force=True, create=True)
            total = time.perf_counter() - started
            if not result["success"]:
                print(f"{assignment} {student}: FAILED: {autograde.failure_reason(result.get('log', ''))}")
            row = dict(spent)
            row["total"] = total
            row["cpu"] = busy_seconds() - cpu
            if number:
                rows[assignment].append(row)
        for assignment, samples in rows.items():
            keys = sorted({k for row in samples for k in row} - {"total", "cpu"}, key=lambda k: (k.startswith("  "), k))
            mean = {k: statistics.mean(row.get(k, 0.0) for row in samples) for k in keys + ["total", "cpu"]}
            inside = sum(v for k, v in mean.items() if k.startswith("preprocessor") or k.startswith("nbgrader"))
            print(f"\n{assignment}: {mean['total']:.2f} s a notebook (mean of {len(samples)}), "
                  f"{mean['cpu']:.2f} s of CPU (the machine's, all cores: the grader, its zygote and kernels)")
            for k in keys:
                if not k.startswith("  "):
                    print(f"  {mean[k]:6.3f} s  {k}")
            print(f"  {mean['total'] - inside:6.3f} s  nbgrader: the rest (gradebook, reading and writing notebooks)")
            print("  of which Execute:")
            execute = mean.get("preprocessor Execute", 0.0) or mean.get("preprocessor BoundedExecute", 0.0)
            parts = 0.0
            for k in keys:
                if k.startswith("  "):
                    print(f"    {mean[k]:6.3f} s  {k.strip()}")
                    parts += mean[k]
            print(f"    {execute - parts:6.3f} s  the rest of Execute")


if __name__ == "__main__":
    main()
