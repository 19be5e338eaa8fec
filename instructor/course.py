"""A throw-away copy of the course, driven through its Makefile.

The pipeline tests and the autograding benchmark grade submissions in such a
copy, so the repository's release/, gradebook and submissions stay untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent


# What a make that calls us passes down (make test PYTHON=... VENV=.venv-3.12 in CI): a copy has its
# own .venv link, and a student's repository its own Makefile, so none of it may leak into them.
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "VENV", "PYTHON")


def clean_environment(**extra: str) -> dict[str, str]:
    """os.environ without the variables a calling make passes down, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES}
    env.update(extra)
    return env


class CourseCopy:
    """Makefile, config and source/ copied into ``root``; .venv linked, not rebuilt."""

    def __init__(self, root: Path, repo: Path = REPO):
        self.root = root
        for name in ("Makefile", "pyproject.toml", "nbgrader_config.py", "README.md"):
            shutil.copy2(repo / name, root / name)  # copy2 keeps mtimes: make sees .venv up to date
        shutil.copytree(repo / "source", root / "source", copy_function=shutil.copy2)
        (root / ".venv").symlink_to(sys.prefix)  # the environment running this (CI has one per Python)

    def run(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        """Run a command in the copy, as an instructor would (``env``: extra environment variables)."""
        result = subprocess.run(args, cwd=self.root, capture_output=True, text=True, env=clean_environment(**env))
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def make(self, target: str, *variables: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``make target VAR=value ...`` in the copy."""
        return self.run("make", "--no-print-directory", target, *variables, check=check)

    def copy_release(self, released: Path) -> None:
        """What ``make release`` makes (release/ and the gradebook), taken from a copy where it ran.

        The tests need a released course in many copies, and the release takes 20 s of CPU: it is the same
        in every copy of the same source/ (the settings that differ between tests' copies are the grader's).
        The gradebook is copied newer than source/, so make does not release again."""
        shutil.copytree(released / "release", self.root / "release", dirs_exist_ok=True)
        shutil.copyfile(released / "gradebook.db", self.root / "gradebook.db")

    def submit(self, student: str, assignment: str, notebook: str, nb: nbformat.NotebookNode) -> Path:
        """Place a notebook where nbgrader expects a collected submission."""
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{notebook}.ipynb"
        nbformat.write(nb, str(path))
        return path
