"""Build the public student repository: ``python -m instructor.publish DEST OWNER/REPO``.

Binder launches are public and keep nothing, so the repository students
launch holds the lectures, the student versions of the assignments and this
support package, and nothing from source/, tests/ or the gradebook: no
solution and no hidden test.  ``make publish`` runs it into dist/student/.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from instructor.course import REPO

# What students get, besides the files written below. Nothing else is copied.
COPIED = ["notebooks", "release", "coursekit", "pyproject.toml", "environment.yml", "Makefile"]
POST_BUILD = """#!/bin/bash
# Binder runs this once, after installing environment.yml.
set -e
pip install --no-deps -e .
python -m coursekit.lab --configure-student sys-prefix
python -m coursekit.lab --prepare
"""


def launch_link(repo: str, path: str = "notebooks/01-crawler.ipynb") -> str:
    return f"https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/{path}"


def readme(repo: str) -> str:
    link = launch_link(repo)
    lectures = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assignments = sorted(p.name for p in (REPO / "release").iterdir() if p.is_dir())
    return f"""# Demystifying Python Coroutines (揭秘 Python 协程): student edition

[![Binder](https://mybinder.org/badge_logo.svg)]({link})

Lectures and exercises on Python's `asyncio`, to run in JupyterLab.

## Start in your browser (nothing to install)

Click the **launch binder** badge above, or open {link}

JupyterLab opens on the first lecture. Binder is free and public, and it
**keeps nothing**: when you close the tab or stay idle for a while, your
session and your changes are gone. Download your work before you leave:
right-click the notebook in the file browser, then **Download**.

## Or on your own computer

You need Python 3.11 or newer, `make` and `git`:

```bash
git clone https://github.com/{repo}.git
cd {repo.split("/")[-1]}
make lab
```

`make lab` creates `.venv`, installs the course and opens the first lecture
beside your copy of its assignment.

## What is here

* `notebooks/`: the lectures ({", ".join(lectures)}). Read them and run every
  cell (**Run ▸ Run All Cells**).
* `release/`: the assignments ({", ".join(assignments)}). Your own copies are
  made in `my-work/`, the first time JupyterLab starts; work there.
* `coursekit/`: the course's helper package that the notebooks import.

## Doing an assignment

Replace each `raise NotImplementedError()` with your code; keep the function
names and signatures. The **Try it** cells and the visible tests show what
your code did and how long it took on a virtual clock (sleeps cost no real
time there). Before handing in, **Kernel ▸ Restart Kernel and Run All Cells**,
then press **Validate** in the notebook's toolbar.

## Handing in

Download the notebook (`my-work/<assignment>/<notebook>.ipynb`) and hand in
that `.ipynb` file the way your instructor asks. Do not rename it. Your
instructor grades it with hidden tests that use other, random inputs: code
that passes only the visible examples does not get the points.
"""


def build(dest: Path, repo: str) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore)
        else:
            shutil.copy2(source, dest / name)
    # The grading sandbox is the instructor's: its entry point names a package students do not get.
    pyproject = (dest / "pyproject.toml").read_text(encoding="utf-8")
    sandbox_entry = pyproject.index('# nbgrader_config.py makes it the default')
    end = pyproject.index("[project.optional-dependencies]")
    (dest / "pyproject.toml").write_text(pyproject[:sandbox_entry] + pyproject[end:], encoding="utf-8")
    (dest / "README.md").write_text(readme(repo), encoding="utf-8")
    post_build = dest / "postBuild"
    post_build.write_text(POST_BUILD, encoding="utf-8")
    post_build.chmod(0o755)
    (dest / ".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\n.ipynb_checkpoints/\n.jupyter/\nmy-work/\n", encoding="utf-8")
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", nargs="?", type=Path)
    parser.add_argument("repo", nargs="?", help="OWNER/REPO of the public student repository")
    args = parser.parse_args()
    if not args.dest or not args.repo:
        parser.error("give DEST and OWNER/REPO")
    print(f"student repository written to {build(args.dest, args.repo)}; launch link: {launch_link(args.repo)}")


if __name__ == "__main__":
    main()
