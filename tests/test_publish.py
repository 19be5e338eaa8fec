"""`make publish`: the public student repository holds nothing students must not see."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
import yaml
from jupyterlab_server.workspaces_handler import WorkspacesManager

from conftest import ASSIGNMENTS, LECTURES, ROOT, VENV_BIN
from coursekit import lab, policy
from instructor import publish
from instructor.course import clean_environment
from instructor import nbtools
from submissions import crawler

pytestmark = pytest.mark.long(1)  # started among the first (tests/conftest.py): ending last, it held the suite up

REPO_SLUG = "course-org/coroutines-student"


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    return publish.build(tmp_path_factory.mktemp("dist") / "student", REPO_SLUG)


def files(folder):
    return [p for p in folder.rglob("*") if p.is_file()]


def test_only_student_material_is_copied(student):
    top = {p.name for p in student.iterdir()}
    assert top == {*publish.COPIED, "README.md", "README.zh.md", "postBuild", ".gitignore", "pyproject.toml", "Makefile",
                   "nbgrader_config.py"}
    names = {p.name for p in files(student)}
    assert "gradebook.db" not in names and not any(n.endswith(".db") for n in names)
    assert not any(p.is_relative_to(student / "tests") for p in files(student))
    # Only the student side of the support package: nothing that grades.
    assert not (student / "instructor").exists()
    assert "instructor.sandbox" not in (student / "pyproject.toml").read_text(encoding="utf-8")
    for content in (p.read_bytes() for p in files(student)):
        assert not content.startswith(b"SQLite format 3")
    # Its Python (Validate's config and screening included) needs neither instructor/ nor a gradebook.
    for path in (p for p in files(student) if p.suffix == ".py"):
        code = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(instructor|nbgrader\.api)\b", code, re.MULTILINE), path
        assert "Gradebook" not in code, path


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
    assert sorted(p.name for p in (student / "release").iterdir()) == sorted([*ASSIGNMENTS, "zh"])
    # The Chinese edition beside the bilingual one: same cells, Chinese text only.
    from coursekit.messages import declared_language

    assert sorted(p.name for p in (student / "release" / "zh").iterdir()) == ASSIGNMENTS
    for notebook in (student / "release" / "zh").glob("*/*.ipynb"):
        chinese, bilingual = nbtools.read(notebook), nbtools.read(student / "release" / notebook.relative_to(student / "release" / "zh"))
        assert declared_language(chinese.metadata) == "zh"
        assert [c.get("id") for c in chinese.cells] == [c.get("id") for c in bilingual.cells]
        assert [c.source for c in chinese.cells if c.cell_type == "code"] == [c.source for c in bilingual.cells if c.cell_type == "code"]


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


def test_the_chinese_readme_opens_the_chinese_edition(student, tmp_path):
    text = (student / "README.zh.md").read_text(encoding="utf-8")
    link = f"https://mybinder.org/v2/gh/{REPO_SLUG}/HEAD?urlpath=lab/workspaces/{lab.workspace_name('zh')}"
    assert f"[![Binder](https://mybinder.org/badge_logo.svg)]({link})" in text
    for step in ("python -m coursekit.start --language=zh", "**Download**", "**Upload**", "**Overwrite**",
                 "**Validate**", "notebooks/zh/", "(README.md)"):
        assert step in text, step
    assert "{" not in text
    assert sorted(p.name for p in (student / "notebooks" / "zh").glob("*.ipynb")) == [p.name for p in LECTURES]
    for assignment in ASSIGNMENTS:  # a Chinese reader works in the Chinese copy, and hands in the same file name
        notebook = next((ROOT / "release" / assignment).glob("*.ipynb")).name
        assert f"| {assignment} | `my-work/zh/{assignment}/{notebook}` | `{notebook}` |" in text
    # Binder's postBuild: the Chinese workspace opens the Chinese lecture beside the Chinese copy.
    built = shutil.copytree(student, tmp_path / "built")
    workspaces = WorkspacesManager(str(lab.prepare(built)))
    for language, pair in {"zh": ["notebook:notebooks/zh/01-crawler.ipynb", "notebook:my-work/zh/01-crawler/crawler.ipynb"],
                           "en": ["notebook:notebooks/01-crawler.ipynb", "notebook:my-work/01-crawler/crawler.ipynb"]}.items():
        dock = workspaces.load(lab.workspace_name(language))["data"]["layout-restorer:data"]["main"]["dock"]
        assert [area["widgets"][0] for area in dock["children"]] == pair, language


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
    assert "python -m coursekit.validation --configure sys-prefix" in post_build  # Validate screens from any folder
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


# -- Validate in the student repository gives the autograder's verdict ------------------------------------------------
# Each case writes the student's copy of 01-crawler (my-work/, as `make lab` and Binder's postBuild make it) in a
# student repository of its own, and runs nbgrader from the course's environment with no Jupyter config of the
# user's: only what the student repository brings applies.

# Right answers, but for a line the autograder does not run: without the screening, validate says "Success!".
REFUSED = {
    "exec": ("exec", 3, """import asyncio

exec("x = 1")


async def crawl_page(url: str) -> str:
    print(f"crawling {url}")
    await asyncio.sleep(int(url.split("_")[-1]))
    print(f"OK {url}")
    return f"OK {url}"
"""),
    "getframe": ("frames", 7, """import sys


async def crawl_page(url: str) -> str:
    print(f"crawling {url}")
    await asyncio.sleep(int(url.split("_")[-1]))
    caller = sys._getframe()
    print(f"OK {url}")
    return f"OK {url}"
"""),
}


def student_copy(root, answers: dict[str, str]):
    """The student's copy of 01-crawler in the student repository ``root``: its release notebook, answered with
    the reference solution and ``answers``. The notebook, as written, and its path."""
    lab.copy_assignments(root)
    path = root / "my-work" / crawler.ASSIGNMENT / f"{crawler.NOTEBOOK}.ipynb"
    reference = nbtools.reference_answers(nbtools.read(ROOT / "source" / crawler.ASSIGNMENT / f"{crawler.NOTEBOOK}.ipynb"))
    nb = nbtools.fill(nbtools.read(path), {**reference, **answers})
    nbformat.write(nb, str(path))
    return nb, path


def student_environment(config_dir) -> dict[str, str]:
    """A student's environment: Jupyter's config in ``config_dir`` (the user's own is left out)."""
    env = clean_environment(JUPYTER_CONFIG_DIR=str(config_dir))
    env.pop("COURSEKIT_LANGUAGE", None)  # the notebook says its language (these are bilingual)
    env.pop("NBGRADER_EXECUTION", None)
    return env


def nbgrader_validate(path, cwd, config_dir) -> str:
    result = subprocess.run([str(VENV_BIN / "nbgrader"), "validate", str(path)], cwd=cwd, capture_output=True,
                            text=True, env=student_environment(config_dir), timeout=300)
    return result.stdout + result.stderr


def squeezed(text: str) -> str:
    """Without whitespace: validate's report wraps and indents the reasons."""
    return "".join(text.split())


def configure_like_post_build(root, config_dir) -> None:
    """What postBuild's `python -m coursekit.validation --configure sys-prefix` does, into ``config_dir``
    (run in the student repository: its own coursekit writes it)."""
    subprocess.run([sys.executable, "-m", "coursekit.validation", "--configure", str(config_dir)], cwd=root,
                   check=True, capture_output=True, env=student_environment(config_dir))


def assert_refused(output: str, finding: policy.Violation, total: int) -> None:
    assert "VALIDATION FAILED" in output, output
    assert "Success!" not in output, output
    for language in ("en", "zh"):  # the release is bilingual: the reasons in English, then in Chinese
        assert squeezed(policy.say(language, "screening_error").split("\n")[0]) in squeezed(output), output
        said = f"{finding.where_in(language)}{policy.say(language, 'colon')}{finding.reason_in(language)}"
        assert squeezed(said) in squeezed(output), output
    assert f"Cell {finding.cell}/{total}" in output


def test_the_student_config_screens_with_the_repository_s_own_coursekit(tmp_path):
    """The published nbgrader_config.py, read from anywhere, takes coursekit from beside it and sets Validate's steps."""
    root = publish.build(tmp_path / "student", REPO_SLUG)
    script = (
        "import sys\n"
        "from traitlets.config.loader import PyFileConfigLoader\n"
        "PyFileConfigLoader('nbgrader_config.py', sys.argv[1]).load_config()\n"
        "import coursekit.validation\n"
        "from nbgrader.validator import Validator\n"
        "print(coursekit.validation.__file__)\n"
        "print([p.__name__ for p in Validator().preprocessors])\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(root)], cwd=tmp_path, capture_output=True, text=True,
                            env=student_environment(tmp_path / "no-config"), check=True)
    where, steps = result.stdout.strip().splitlines()[-2:]
    assert where == str(root / "coursekit" / "validation.py")
    assert steps == str(["CheckCellMetadata", "ClearOutput", "ScreenForValidation", "Execute"])


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_validate_in_the_student_repository_refuses_what_the_autograder_refuses(tmp_path, case):
    rule, line, answer = REFUSED[case]
    root = publish.build(tmp_path / "student", REPO_SLUG)
    nb, path = student_copy(root, {"crawl_page": answer})
    (finding,) = policy.check_cells(nb.cells, language="en+zh")
    assert (finding.rule, finding.line) == (rule, line)
    output = nbgrader_validate(path.relative_to(root), root, tmp_path / "no-config")  # in the repository's folder
    assert_refused(output, finding, len(nb.cells))


@pytest.mark.slow
def test_the_reference_solution_validates_in_the_student_repository(tmp_path):
    root = publish.build(tmp_path / "student", REPO_SLUG)
    nb, path = student_copy(root, {})
    assert policy.check_cells(nb.cells) == []
    output = nbgrader_validate(path.relative_to(root), root, tmp_path / "no-config")
    assert "Success! Your notebook passes all the tests." in output, output


@pytest.mark.slow
def test_validate_in_a_folder_of_the_student_repository(tmp_path):
    """`nbgrader validate` in my-work/01-crawler reads no nbgrader_config.py there: postBuild's in Jupyter's config
    directory makes it screen; without it, the refused cell passes."""
    root = publish.build(tmp_path / "student", REPO_SLUG)
    nb, path = student_copy(root, {"crawl_page": REFUSED["exec"][2]})
    (finding,) = policy.check_cells(nb.cells, language="en+zh")
    unconfigured = nbgrader_validate(path.name, path.parent, tmp_path / "no-config")
    assert "Success!" in unconfigured, unconfigured  # why postBuild writes it
    configure_like_post_build(root, tmp_path / "config")
    assert_refused(nbgrader_validate(path.name, path.parent, tmp_path / "config"), finding, len(nb.cells))


@pytest.mark.slow
@pytest.mark.parametrize("server_in", ["repository", "elsewhere"])
def test_the_validate_button_in_the_student_repository(tmp_path, server_in):
    """The Validate button's handler reads nbgrader_config.py from the server's working directory and Jupyter's
    config directories: started in the repository (make lab, Binder), or elsewhere with postBuild's config."""
    root = publish.build(tmp_path / "student", REPO_SLUG)
    nb, path = student_copy(root, {"crawl_page": REFUSED["getframe"][2]})
    config = tmp_path / "config"
    if server_in == "elsewhere":
        configure_like_post_build(root, config)
    cwd = root if server_in == "repository" else tmp_path
    script = (
        "import json, logging, sys, types\n"
        "from nbgrader.server_extensions.validate_assignment.handlers import ValidateAssignmentHandler as H\n"
        "handler = types.SimpleNamespace(root_dir=sys.argv[1], log=logging.getLogger('validate'))\n"
        "handler.load_config = lambda: H.load_config(handler)\n"
        "print(json.dumps(H.validate_notebook(handler, sys.argv[2]), ensure_ascii=False))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(root), path.relative_to(root).as_posix()], cwd=cwd,
                            capture_output=True, text=True, env=student_environment(config), timeout=300)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["success"], answer
    failed = answer["value"].get("failed", [])
    assert any("the autograder did not run this cell" in cell["raw_error"]
               and "自动评分没有运行这个单元格" in cell["raw_error"] for cell in failed), answer
