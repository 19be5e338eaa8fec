"""Hand-written submissions, right and wrong, for each assignment.

Each variant overrides some solution cells of the reference solution (or of
the untouched release) and states the points each graded cell must get.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import nbformat

# One module of submissions per assignment, named after its notebook, in the order of the assignments.
NAMES = ("crawler", "toolkit", "runtime", "coming_soon", "beyond")


def modules() -> list[ModuleType]:
    return [importlib.import_module(f"submissions.{name}") for name in NAMES]


def answered(module: ModuleType, answers: dict[str, str], root: Path, edition: str = "bilingual") -> nbformat.NotebookNode:
    """The student version of ``module``'s assignment in ``root`` (an edition of it), filled with the reference
    solution and ``answers`` in place of some of its cells: a submission as a student would hand it in."""
    from instructor import editions, nbtools

    release = nbtools.read(root / "release" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
    reference = nbtools.reference_answers(nbtools.read(root / "source" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb"))
    return nbtools.fill(editions.edition(release, edition), {**reference, **answers})
