"""Build the public student repository: ``python -m instructor.publish DEST OWNER/REPO``.

Binder launches are public and keep nothing, so the repository students
launch holds the lectures, the student versions of the assignments and the
student side of the support package, and nothing from source/, tests/,
instructor/ or the gradebook: no solution and no hidden test.  Its setup is
student-sized: a Makefile with `make lab` only, `python -m coursekit.start`
for those without make (Windows), a pyproject without the grading sandbox or
the test tools, and a README that takes a student from the launch link to a
handed-in notebook (instructor/templates/student_readme.md).  ``make
publish`` runs it into dist/student/.

Validate gives the autograder's verdict there too: the repository's
nbgrader_config.py (``coursekit.validation.write_config``) makes ``nbgrader
validate`` screen a notebook as the autograder does, and postBuild writes one
into the environment's Jupyter config directory, which nbgrader reads
wherever it runs (the Validate button validates in the Jupyter server, which
reads the folder it started in and the Jupyter config directories; ``nbgrader
validate`` in a folder of the repository reads the same directories).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from coursekit import validation
from coursekit.lab import workspace_name
from instructor import editions
from instructor.course import REPO

# What students get, besides the files written below. Nothing else is copied.
COPIED = ["notebooks", "release", "coursekit", "environment.yml"]
# The sections of pyproject.toml a student's install needs: no grading sandbox, no test tools.
PYPROJECT_KEPT = ["[build-system]", "[project]", "[tool.setuptools.packages.find]"]
README = Path(__file__).parent / "templates" / "student_readme.md"  # and student_readme.zh.md (中文)
POST_BUILD = """#!/bin/bash
# Binder runs this once, after installing environment.yml.
set -e
pip install --no-deps -e .
# 3 s off every JupyterLab start (coursekit/start.py says why)
pip uninstall -y -q rfc3987-syntax || true
# A quiet JupyterLab that opens lecture 1 beside the student's copy of assignment 1.
python -m coursekit.lab --configure-student sys-prefix
python -m coursekit.lab --prepare
# Validate gives the autograder's verdict from any folder (coursekit/validation.py).
python -m coursekit.validation --configure sys-prefix
"""
MAKEFILE = """# The course, for students. Without make: python -m coursekit.start (Windows: py -m coursekit.start)
PYTHON ?= python3

.PHONY: help lab clean

help:
\t@echo "make lab     set up (the first time) and open the course in JupyterLab"
\t@echo "make clean   remove the course's Python environment (.venv); your work in my-work/ stays"

lab:
\t$(PYTHON) -m coursekit.start $(LAB_ARGS)

clean:
\trm -rf .venv
"""
GITIGNORE = ".venv/\n__pycache__/\n*.egg-info/\n.ipynb_checkpoints/\n.jupyter/\nmy-work/\n"


def launch_link(repo: str, language: str = "en") -> str:
    """Binder, opening the course's workspace: lecture 1 (in that language) beside the student's copy of assignment 1."""
    return f"https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/workspaces/{workspace_name(language)}"


def student_pyproject(text: str) -> str:
    """pyproject.toml with the PYPROJECT_KEPT sections only; the comments above a section go with it."""
    sections: dict[str, list[str]] = {}
    current, pending = None, []
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            current = line.strip()
            sections[current] = pending
            pending = []
        elif current is None or not line.strip() or line.startswith("#"):
            pending.append(line)
            continue
        sections[current].append(line)
    return "\n".join("".join(sections[name]).strip("\n") + "\n" for name in PYPROJECT_KEPT)


def assignment_table(language: str = "en", edition: str = "bilingual") -> str:
    """Where each copy is and what to hand in; a Chinese reader of a bilingual repository works in my-work/zh/."""
    chinese = language == "zh" and edition == "bilingual"
    head = "| 作业 | 你的副本：在这里做 | 提交的文件 |" if language == "zh" else "| Assignment | Your copy: work here | Hand in |"
    rows = [head, "|---|---|---|"]
    for folder in sorted(p for p in (REPO / "release").iterdir() if p.is_dir()):
        for notebook in sorted(folder.glob("*.ipynb")):
            copy = f"my-work/{'zh/' if chinese else ''}{folder.name}/{notebook.name}"
            rows.append(f"| {folder.name} | `{copy}` | `{notebook.name}` |")
    return "\n".join(rows)


# What each README says of the assignments' language, by edition.
ASSIGNMENTS_IN = {
    "bilingual": ("the assignments are bilingual in `my-work/` and Chinese in `my-work/zh/`: work in either, "
                  "they are graded alike",
                  "作业有两份副本：`my-work/zh/` 里是中文版（中文链接打开的就是它），`my-work/` 里是中英双语版。"
                  "选一份做就好：两份的代码、测试、评分和要交的文件名都完全相同；中文版里测试的提示也全是中文。"),
    "en": ("the assignments here are in English", "这里的作业是英文版；评分工具的提示也是英文。"),
    "zh": ("the assignments here are in Chinese", "这里的作业是中文版，评分工具的提示和测试给出的说明也都是中文。"),
}


def readme_file(language: str, edition: str) -> str:
    """README.md in the language of the edition (English for the bilingual one), README.<language>.md beside it."""
    first = "zh" if edition == "zh" else "en"
    return "README.md" if language == first else f"README.{language}.md"


def readme(repo: str, language: str = "en", edition: str = "bilingual") -> str:
    lectures = ", ".join(f"`{p.name}`" for p in sorted((REPO / "notebooks").glob("*.ipynb")))
    template = README if language == "en" else README.with_suffix(f".{language}.md")
    names = {code: readme_file(code, edition) for code in ("en", "zh")}
    return template.read_text(encoding="utf-8").format(
        link=launch_link(repo), link_zh=launch_link(repo, "zh"), repo=repo, folder=repo.split("/")[-1],
        lectures=lectures, assignments=assignment_table(language, edition), readme_en=names["en"], readme_zh=names["zh"],
        assignments_in=ASSIGNMENTS_IN[edition][0], assignments_in_zh=ASSIGNMENTS_IN[edition][1],
        work_zh="my-work/zh/<作业>/" if edition == "bilingual" else "my-work/<作业>/",
    )


def build(dest: Path, repo: str, edition: str = "bilingual") -> Path:
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
    (dest / "pyproject.toml").write_text(student_pyproject((REPO / "pyproject.toml").read_text(encoding="utf-8")),
                                         encoding="utf-8")
    editions.rewrite(dest / "release", edition)
    if edition == "bilingual":  # the Chinese launch link opens a Chinese copy: release/zh -> my-work/zh (coursekit.lab)
        chinese = dest / "release" / "zh"
        for folder in sorted(p for p in (REPO / "release").iterdir() if p.is_dir()):
            shutil.copytree(folder, chinese / folder.name, ignore=ignore)
        editions.rewrite(chinese, "zh")
    (dest / "Makefile").write_text(MAKEFILE, encoding="utf-8")
    for language in ("en", "zh"):
        (dest / readme_file(language, edition)).write_text(readme(repo, language, edition), encoding="utf-8")
    post_build = dest / "postBuild"
    post_build.write_text(POST_BUILD, encoding="utf-8")
    post_build.chmod(0o755)
    (dest / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    validation.write_config(dest)  # nbgrader_config.py: Validate screens as the autograder does
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", nargs="?", type=Path)
    parser.add_argument("repo", nargs="?", help="OWNER/REPO of the public student repository")
    parser.add_argument("--edition", choices=editions.EDITIONS, default="bilingual",
                        help="the assignments in both languages (default), or in English or Chinese only")
    args = parser.parse_args()
    if not args.dest or not args.repo:
        parser.error("give DEST and OWNER/REPO")
    try:
        written = build(args.dest, args.repo, args.edition)
    except editions.NotBilingual as error:
        raise SystemExit(str(error)) from None
    print(f"student repository ({args.edition}) written to {written}; launch links: {launch_link(args.repo)} "
          f"(中文: {launch_link(args.repo, 'zh')})")


if __name__ == "__main__":
    main()
