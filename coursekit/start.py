"""Set up the course and open it, on Linux, macOS or Windows: ``python -m coursekit.start``.

Run from the course folder with any Python 3.11 or newer; nothing else is
needed (no make, no shell).  The first time, it creates ``.venv`` there and
installs the course into it; afterwards it only starts JupyterLab on the
first lecture beside your copy of its assignment (``coursekit.lab``).  It
installs again when pyproject.toml changes.

    python -m coursekit.start                 # Windows: py -m coursekit.start
    python -m coursekit.start --no-browser    # anything else goes to JupyterLab

``make lab`` and ``make install`` run it too (``--install-only``,
``--extras test``), so there is one way to install the course.  Standard
library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLDEST = (3, 11)
# jsonschema[format-nongpl] (via nbformat and jupyter-events) brings rfc3987-syntax, which builds 35
# Earley parsers when imported: 3 s more for every JupyterLab start and every nbgrader command. No
# Jupyter schema uses the formats it checks, and jsonschema skips them without it (jsonschema #1428).
SLOW_TO_IMPORT = ["rfc3987-syntax"]


def venv_python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def install(folder: Path, extras: str = "") -> Path:
    """Create the environment if missing; install the course if pyproject.toml is newer than the last install."""
    python = venv_python(folder)
    if not python.exists():
        print(f"creating {folder.name} (a Python environment for the course, in {folder.parent})", flush=True)
        venv.create(folder, with_pip=True)
    stamp = folder / ".installed"
    if stamp.exists() and stamp.stat().st_mtime >= (ROOT / "pyproject.toml").stat().st_mtime:
        return python
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    print(f"installing the course into {folder.name} (a few minutes, the first time)", flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target], check=True)
    subprocess.run([str(python), "-m", "pip", "uninstall", "--disable-pip-version-check", "-y", "-q", *SLOW_TO_IMPORT],
                   check=True, stderr=subprocess.DEVNULL)
    stamp.touch()
    return python


def as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


ROOT_NOTE = ("You are root here (a container or a cloud shell, as a rule): JupyterLab will start with --allow-root, "
             "which Jupyter asks for as root. On your own computer, run the course as your own user instead.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.start", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv", help="where the environment goes (default: .venv)")
    parser.add_argument("--extras", default="", help="optional dependencies to install too (the course's own: test)")
    parser.add_argument("--install-only", action="store_true", help="set up, do not start JupyterLab")
    args, lab_args = parser.parse_known_args(argv)
    if sys.version_info < OLDEST:
        found = ".".join(map(str, sys.version_info[:3]))
        return f"The course needs Python 3.11 or newer; this is {found}. Install a newer Python and run this with it."
    if not args.install_only and as_root():
        print(ROOT_NOTE, flush=True)  # said before the install, not after a minute of it
    python = install(args.venv.resolve(), args.extras)
    if args.install_only:
        return 0
    lab = subprocess.Popen([str(python), "-m", "coursekit.lab", *lab_args], cwd=ROOT)
    while True:
        try:
            return lab.wait()
        except KeyboardInterrupt:  # Ctrl-C reaches JupyterLab too; it asks, and stops on a second one
            continue


if __name__ == "__main__":
    sys.exit(main())
