"""A throw-away copy of the course, driven through its Makefile.

The pipeline tests and the autograding benchmark grade submissions in such a
copy, so the repository's release/, gradebook and submissions stay untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent


class CourseCopy:
    """Makefile, config and source/ copied into ``root``; .venv linked, not rebuilt."""

    def __init__(self, root: Path, repo: Path = REPO):
        self.root = root
        for name in ("Makefile", "pyproject.toml", "nbgrader_config.py", "README.md"):
            shutil.copy2(repo / name, root / name)  # copy2 keeps mtimes: make sees .venv up to date
        shutil.copytree(repo / "source", root / "source", copy_function=shutil.copy2)
        (root / ".venv").symlink_to(sys.prefix)  # the environment running this (CI has one per Python)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(args, cwd=self.root, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def make(self, target: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("make", "--no-print-directory", target, check=check)

    def submit(self, student: str, assignment: str, notebook: str, nb: nbformat.NotebookNode) -> Path:
        """Place a notebook where nbgrader expects a collected submission."""
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{notebook}.ipynb"
        nbformat.write(nb, str(path))
        return path
