"""Read and fill nbgrader notebooks: the instructor's side of the course.

Used to build submissions the way a student would produce them (the release
notebook with answers typed into the solution cells), for the pipeline tests
and the autograding benchmark, and to list what must never reach students.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

_SOLUTION = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.MULTILINE)
_REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)^[ \t]*### END \1", re.MULTILINE | re.DOTALL)


def read(path: str | Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def nbgrader_cells(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """Cells that nbgrader tracks, by grade_id."""
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


def reference_answers(source_nb: nbformat.NotebookNode) -> dict[str, str]:
    """The instructor's solution of every solution cell, markers removed."""
    return {
        grade_id: _SOLUTION.sub("", cell.source)
        for grade_id, cell in nbgrader_cells(source_nb).items()
        if cell.metadata["nbgrader"].get("solution")
    }


def hidden_regions(source_nb: nbformat.NotebookNode) -> list[str]:
    """Text of every solution and hidden-test region: what students must not see."""
    return [m.group(2) for cell in source_nb.cells for m in _REGION.finditer(cell.source)]


def public_text(source_nb: nbformat.NotebookNode) -> str:
    """Everything a source notebook shows outside its solution and hidden-test regions."""
    return "\n".join(_REGION.sub("", cell.source) for cell in source_nb.cells)


def secret_lines(sources: list[nbformat.NotebookNode], lectures: list[nbformat.NotebookNode] = (), min_length: int = 12) -> list[str]:
    """Lines of solution and hidden-test regions that no student file may contain.

    A line that the visible part of a source notebook, or a lecture, shows
    anyway is no secret, nor is a line too short to be telling.
    """
    public = "\n".join([*(public_text(nb) for nb in sources), *(c.source for nb in lectures for c in nb.cells)])
    lines = {
        line.strip()
        for nb in sources
        for region in hidden_regions(nb)
        for line in region.splitlines()
    }
    return sorted(line for line in lines if len(line) >= min_length and line not in public)


def fill(release_nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of a release notebook with some solution cells replaced by answers."""
    nb = nbformat.from_dict(release_nb)
    cells = nbgrader_cells(nb)
    for grade_id, code in answers.items():
        if grade_id not in cells or not cells[grade_id].metadata["nbgrader"].get("solution"):
            raise KeyError(f"no solution cell {grade_id!r} in this notebook")
        cells[grade_id].source = code
    return nb


def graded_cell_seconds(executed_nb: nbformat.NotebookNode) -> list[float]:
    """Real seconds each graded test cell ran, from the timing nbclient records in an executed notebook."""
    from datetime import datetime

    def moment(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    return [
        (moment(c.metadata["execution"]["shell.execute_reply"]) - moment(c.metadata["execution"]["iopub.execute_input"])).total_seconds()
        for c in executed_nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    ]
