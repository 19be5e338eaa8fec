"""Every lecture notebook runs top to bottom, as Run All would, without error or stderr."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import LECTURES, ROOT

pytestmark = pytest.mark.slow


def test_there_are_lectures():
    assert any(p.name == "01-crawler.ipynb" for p in LECTURES)


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_runs_clean(path):
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    problems = []
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"cell {number}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {number} wrote to stderr: {output.text.strip()[:300]}")
    assert not problems, "\n".join(problems)
