"""The browser tests on a loaded machine: run them N times in a row while busy loops hold every core.

    .venv/bin/python benchmarks/browser_load.py [--runs 10] [--burners 2]

Each run is one pytest process over tests/test_browser.py and
tests/test_student_journey.py; the burners are plain Python busy loops, one
per core (--burners). Prints each run's result and time, then how many passed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTS = ["tests/test_browser.py", "tests/test_student_journey.py"]


def burn() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    burners = [multiprocessing.Process(target=burn, daemon=True) for _ in range(args.burners)]
    for process in burners:
        process.start()
    passed = 0
    try:
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.burners} busy loops", flush=True)
        for run in range(1, args.runs + 1):
            started = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS], cwd=REPO,
                                    capture_output=True, text=True)
            summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
            passed += result.returncode == 0
            print(f"run {run}: {summary} ({time.perf_counter() - started:.0f} s)", flush=True)
            if result.returncode != 0:
                print(result.stdout[-4000:], flush=True)
    finally:
        for process in burners:
            process.kill()
    print(f"{passed} of {args.runs} runs passed with {args.burners} busy loops")


if __name__ == "__main__":
    main()
