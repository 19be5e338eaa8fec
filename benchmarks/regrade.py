"""Are grades the same every time? Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/regrade.py [--repeat 20] [--assignments 01-crawler ...]

For every right and wrong submission in tests/submissions/, the source
notebook (hidden tests included) is filled with its answers and run once in a
kernel; then every graded test cell runs again ``--repeat`` times in the same
kernel, each time drawing new random inputs, exactly as a re-grade would.  A
cell scores its points when it shows no error and writes nothing to stderr
(nbgrader's rule).  The script prints, per submission, the points of each run
and whether they were the same every time, and the time it all took.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import sys
import time
from pathlib import Path

from nbclient import NotebookClient

from instructor import nbtools

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import submissions  # noqa: E402 - from tests/, on the path just above
MODULES = list(submissions.NAMES)


def scored(cell) -> bool:
    return not any(o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr") for o in cell.outputs)


def regrade(module, answers: dict[str, str], repeat: int) -> list[float]:
    source = nbtools.read(REPO / "source" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
    nb = nbtools.fill(source, {**nbtools.reference_answers(source), **answers})
    folder = REPO / "source" / module.ASSIGNMENT
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    graded = [(i, c) for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")]
    totals = []
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade_id") != "policy_check":
                client.execute_cell(cell, index)
        totals.append(sum(c.metadata["nbgrader"]["points"] for _, c in graded if scored(c)))
        for _ in range(repeat - 1):
            points = 0.0
            for index, cell in graded:
                again = copy.deepcopy(cell)
                again.outputs = []
                client.execute_cell(again, index)
                points += again.metadata["nbgrader"]["points"] if scored(again) else 0
            totals.append(points)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--modules", nargs="*", default=MODULES, help=f"among {MODULES}")
    args = parser.parse_args()
    started = time.perf_counter()
    unstable = 0
    count = 0
    for name in args.modules:
        module = importlib.import_module(f"submissions.{name}")
        for variant, (answers, expected, *_) in module.VARIANTS.items():
            began = time.perf_counter()
            totals = regrade(module, answers, args.repeat)
            same = len(set(totals)) == 1
            unstable += not same
            count += 1
            print(f"{module.ASSIGNMENT:11} {variant:28} {'same' if same else 'DIFFERS'} "
                  f"points {sorted(set(totals))} (expected {sum(expected.values()):g}) in {time.perf_counter() - began:.1f} s",
                  flush=True)
    print(f"{count} submissions graded {args.repeat} times each in {time.perf_counter() - started:.0f} s: "
          f"{count - unstable} always the same, {unstable} not")


if __name__ == "__main__":
    main()
