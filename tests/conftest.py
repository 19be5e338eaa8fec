"""What every test module shares: where the course is, and what it holds."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from instructor.course import REPO as ROOT

VENV_BIN = Path(sys.executable).parent

# nbgrader starts alembic and jupyter by name.
os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))


def free_port() -> int:
    """A TCP port nobody listens on right now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_in_kernel(*sources: str, allow_errors: bool = False) -> list[list]:
    """Run code cells in a fresh python3 kernel, as a notebook would; the outputs of each cell."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(source) for source in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=allow_errors).execute()
    return [cell.outputs for cell in nb.cells]
