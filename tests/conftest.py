"""What every test module shares: where the course is, and what it holds."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

from instructor.course import REPO as ROOT

VENV_BIN = Path(sys.executable).parent

# nbgrader starts alembic and jupyter by name.
os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
ZH_LECTURES = sorted((ROOT / "notebooks" / "zh").glob("*.ipynb"))  # the Chinese edition (中文版)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "screenshots"
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: .ci/run installs Debian's chromium")


@pytest.fixture(scope="session")
def released(tmp_path_factory) -> Path:
    """A course copy where `make release` ran, once for the whole session (every xdist process shares it):
    tests copy its release into their own copies (CourseCopy.copy_release) instead of releasing again."""
    import fcntl

    from instructor.course import CourseCopy

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder above every xdist process's own
    folder = shared / "released"
    with open(shared / "released.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process releases; the others wait for it
        if not (folder / "released.ok").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            CourseCopy(folder).make("release")
            (folder / "released.ok").touch()
    return folder


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield chromium
        chromium.close()


def shoot(page, name: str) -> Path:
    """Keep what the page shows in screenshots/<name>.png."""
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def free_port() -> int:
    """A TCP port nobody listens on right now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Files marked ``long(minutes)`` first, the longest first: make test hands out whole files (--dist
    loadfile) in this order, so the longest start at once and the suite ends sooner."""

    def minutes(item) -> float:
        mark = item.get_closest_marker("long")
        return mark.args[0] if mark is not None else 0.0

    items.sort(key=minutes, reverse=True)


def run_in_kernel(*sources: str, allow_errors: bool = False) -> list[list]:
    """Run code cells in a fresh python3 kernel, as a notebook would; the outputs of each cell."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(source) for source in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=allow_errors).execute()
    return [cell.outputs for cell in nb.cells]
