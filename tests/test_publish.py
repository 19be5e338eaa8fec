"""`make publish`: the public student repository holds nothing students must not see."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

from conftest import ASSIGNMENTS, LECTURES, ROOT, VENV_BIN
from coursekit import lab
from instructor import publish
from instructor.course import clean_environment
from instructor import nbtools

REPO_SLUG = "course-org/coroutines-student"


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    return publish.build(tmp_path_factory.mktemp("dist") / "student", REPO_SLUG)


def files(folder):
    return [p for p in folder.rglob("*") if p.is_file()]


def test_only_student_material_is_copied(student):
    top = {p.name for p in student.iterdir()}
    assert top == {*publish.COPIED, "README.md", "README.zh.md", "postBuild", ".gitignore", "pyproject.toml", "Makefile"}
    names = {p.name for p in files(student)}
    assert "gradebook.db" not in names and not any(n.endswith(".db") for n in names)
    assert not any(p.is_relative_to(student / "tests") for p in files(student))
    # Only the student side of the support package: nothing that grades.
    assert not (student / "instructor").exists()
    assert "instructor.sandbox" not in (student / "pyproject.toml").read_text(encoding="utf-8")
    for content in (p.read_bytes() for p in files(student)):
        assert not content.startswith(b"SQLite format 3")


def test_no_solution_or_hidden_test_anywhere(student):
    sources = [nbtools.read(p) for a in ASSIGNMENTS for p in (ROOT / "source" / a).glob("*.ipynb")]
    lectures = [nbtools.read(p) for p in LECTURES]
    secrets = nbtools.secret_lines(sources, lectures)
    assert len(secrets) > 50, "too few hidden lines to check: are the regions marked?"
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in files(student)}
    for line in secrets:
        leaks = [str(p.relative_to(student)) for p, text in texts.items() if line in text]
        assert not leaks, f"{line!r} from a solution or hidden test appears in {leaks}"
    for text in texts.values():
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text


def test_every_lecture_and_assignment_is_there(student):
    assert sorted(p.name for p in (student / "notebooks").glob("*.ipynb")) == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (student / "release").iterdir()) == ASSIGNMENTS


def test_readme_launches_binder_and_explains_handing_in(student):
    text = (student / "README.md").read_text(encoding="utf-8")
    link = f"https://mybinder.org/v2/gh/{REPO_SLUG}/HEAD?urlpath=lab/workspaces/{lab.workspace_name('en')}"
    assert f"[![Binder](https://mybinder.org/badge_logo.svg)]({link})" in text
    for step in ("python -m coursekit.start", "py -m coursekit.start", "make lab", "**Download**", "**Upload**",
                 "**Overwrite**", "**Validate**", "Restart Kernel and Run All Cells", "crawler (1).ipynb"):
        assert step in text, step
    for assignment in ASSIGNMENTS:  # where each copy is, and which file to hand in
        notebook = next((ROOT / "release" / assignment).glob("*.ipynb")).name
        assert f"| {assignment} | `my-work/{assignment}/{notebook}` | `{notebook}` |" in text
    assert "{" not in text.replace("{{", "")  # every placeholder filled
    assert "(README.zh.md)" in text


def test_the_chinese_readme_opens_the_chinese_edition(student):
    text = (student / "README.zh.md").read_text(encoding="utf-8")
    link = f"https://mybinder.org/v2/gh/{REPO_SLUG}/HEAD?urlpath=lab/workspaces/{lab.workspace_name('zh')}"
    assert f"[![Binder](https://mybinder.org/badge_logo.svg)]({link})" in text
    for step in ("python -m coursekit.start --language=zh", "**Download**", "**Upload**", "**Overwrite**",
                 "**Validate**", "notebooks/zh/", "(README.md)"):
        assert step in text, step
    assert "{" not in text
    assert sorted(p.name for p in (student / "notebooks" / "zh").glob("*.ipynb")) == [p.name for p in LECTURES]


def test_student_setup_is_student_sized(student):
    import tomllib

    project = tomllib.loads((student / "pyproject.toml").read_text(encoding="utf-8"))
    ours = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["dependencies"] == ours["project"]["dependencies"]
    assert "optional-dependencies" not in project["project"] and "entry-points" not in project["project"]
    assert set(project) == {"build-system", "project", "tool"} and set(project["tool"]) == {"setuptools"}
    env = clean_environment()  # as a student runs it: nothing from the make that runs these tests
    listing = subprocess.run(["make", "--no-print-directory", "help"], cwd=student, capture_output=True, text=True, env=env).stdout
    targets = {line.split()[1] for line in listing.splitlines() if line.startswith("make ")}
    assert targets == {"lab", "clean"}, listing
    dry = subprocess.run(["make", "--no-print-directory", "-n", "lab"], cwd=student, capture_output=True, text=True, env=env).stdout
    assert dry.strip() == "python3 -m coursekit.start"
    # The launcher needs nothing installed: it imports from the standard library only.
    code = (student / "coursekit" / "start.py").read_text(encoding="utf-8")
    imports = re.findall(r"^(?:from|import) (\w+)", code, re.MULTILINE)
    assert set(imports) <= {"__future__", "argparse", "os", "subprocess", "sys", "venv", "pathlib"}, imports


def test_binder_files(student):
    post_build = (student / "postBuild").read_text(encoding="utf-8").splitlines()
    assert post_build[0].startswith("#!") and "set -e" in post_build[:3]
    assert os.access(student / "postBuild", os.X_OK)
    assert "python -m coursekit.lab --configure-student sys-prefix" in post_build
    assert "python -m coursekit.lab --prepare" in post_build
    env = yaml.safe_load((student / "environment.yml").read_text(encoding="utf-8"))
    assert "python=3.12" in env["dependencies"]
    assert not (student / "binder").exists()  # repo2docker reads one place only


def test_student_configuration_leaves_only_validate(tmp_path):
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path))
    subprocess.run([str(VENV_BIN / "python"), "-m", "coursekit.lab", "--configure-student", "user"],
                   env=env, check=True)
    result = subprocess.run([str(VENV_BIN / "jupyter"), "server", "extension", "list"], env=env,
                            capture_output=True, text=True)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    assert re.search(r"nbgrader\.server_extensions\.validate_assignment enabled", listing), listing
    for name in ("formgrader", "course_list", "assignment_list"):
        assert re.search(rf"nbgrader\.server_extensions\.{name} disabled", listing), listing
    result = subprocess.run([str(VENV_BIN / "jupyter"), "labextension", "list"], env=env,
                            capture_output=True, text=True)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    for plugin in lab.LAB_PLUGINS_OFF:
        assert plugin in listing.split("Disabled extensions:")[-1], listing
    assert "validate-assignment" not in listing


def test_make_publish_writes_dist_student():
    result = subprocess.run(["make", "--no-print-directory", "-n", "publish"], cwd=ROOT, capture_output=True, text=True)
    assert "-m instructor.publish dist/student" in result.stdout


def test_the_chinese_edition_of_the_repository(tmp_path):
    """make publish EDITION=zh: the assignments in Chinese only, the Chinese README first, Binder on course-zh."""
    from coursekit.messages import declared_language

    student = publish.build(tmp_path / "student", REPO_SLUG, "zh")
    for notebook in (student / "release").glob("*/*.ipynb"):
        nb = nbtools.read(notebook)
        assert declared_language(nb.metadata) == "zh"
        assert not any("**中文**" in c.source for c in nb.cells if c.cell_type == "markdown")
    first = (student / "README.md").read_text(encoding="utf-8")
    assert first.startswith("# 揭秘 Python 协程") and "(README.en.md)" in first and "中文版" in first
    english = (student / "README.en.md").read_text(encoding="utf-8")
    assert "(README.md)" in english and "the assignments here are in Chinese" in english
    assert lab.release_language(student) == "zh"
    config = tmp_path / "config"
    lab.configure_student(config, student)
    settings = yaml.safe_load((config / "jupyter_lab_config.json").read_text(encoding="utf-8"))
    assert settings["LabApp"]["default_url"] == f"/lab/workspaces/{lab.workspace_name('zh')}"
