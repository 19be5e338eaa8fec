"""`make lab`: the student's copies, and the workspace JupyterLab opens on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from jupyterlab_server.workspaces_handler import WorkspacesManager

from conftest import ROOT, free_port
from coursekit import lab
from labdriver import start_jupyterlab, stop_jupyterlab


@pytest.fixture
def course_root(tmp_path):
    for folder in ("release", "notebooks"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    return tmp_path


def test_assignments_are_copied_once_and_work_is_kept(course_root):
    copied = lab.copy_assignments(course_root)
    assert [p.name for p in copied] == sorted(p.name for p in (ROOT / "release").iterdir() if p.is_dir())
    mine = course_root / "my-work" / "01-crawler" / "crawler.ipynb"
    mine.write_text("my answers", encoding="utf-8")
    assert lab.copy_assignments(course_root) == []
    assert mine.read_text(encoding="utf-8") == "my answers"


def test_workspace_shows_first_lecture_and_its_assignment(course_root):
    folder = lab.prepare(course_root)
    data = WorkspacesManager(str(folder)).load(lab.WORKSPACE)["data"]
    dock = data["layout-restorer:data"]["main"]["dock"]
    widgets = [area["widgets"][0] for area in dock["children"]]
    assert widgets == ["notebook:notebooks/01-crawler.ipynb", "notebook:my-work/01-crawler/crawler.ipynb"]
    for widget in widgets:
        assert (course_root / data[widget]["data"]["path"]).is_file()


def test_the_chinese_edition_has_its_own_workspace(course_root):
    """course-zh: the Chinese lecture beside the same copy of the assignment (one copy, whichever edition)."""
    (course_root / "notebooks" / "zh").mkdir(exist_ok=True)
    shutil.copy(course_root / "notebooks" / "01-crawler.ipynb", course_root / "notebooks" / "zh" / "01-crawler.ipynb")
    folder = lab.prepare(course_root)
    data = WorkspacesManager(str(folder)).load(lab.workspace_name("zh"))["data"]
    dock = data["layout-restorer:data"]["main"]["dock"]
    widgets = [area["widgets"][0] for area in dock["children"]]
    assert widgets == ["notebook:notebooks/zh/01-crawler.ipynb", "notebook:my-work/01-crawler/crawler.ipynb"]
    assert lab.workspace_name("zh") == "course-zh"
    command = lab.lab_command(course_root, folder, language="zh")
    assert "--LabApp.default_url=/lab/workspaces/course-zh" in command



@pytest.mark.slow
def serve(command, cwd, port, token, env=None):
    """JupyterLab started in cwd and answering; its process and log (the browser tests' driver)."""
    log_path = cwd / "jupyterlab.log"
    server, log = start_jupyterlab(command, cwd, env if env is not None else dict(os.environ), log_path,
                                   f"http://127.0.0.1:{port}", token, timeout=60)
    return server, log_path, log


def stop(server, log_path, log) -> str:
    """Stop it; what it printed."""
    stop_jupyterlab(server, log)
    return log_path.read_text(encoding="utf-8")


def test_jupyterlab_serves_the_course_workspace(course_root):
    folder = lab.prepare(course_root)
    port, token = free_port(), "course-test-token"
    command = lab.lab_command(
        course_root, folder, "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True",  # CI runs as root
    )
    server, *log = serve(command, course_root, port, token)
    try:
        url = f"http://127.0.0.1:{port}/lab/api/workspaces/{lab.WORKSPACE}?token={token}"
        with urllib.request.urlopen(url, timeout=5) as response:
            served = json.load(response)
        assert "notebook:my-work/01-crawler/crawler.ipynb" in served["data"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab/workspaces/{lab.WORKSPACE}?token={token}") as page:
            assert page.status == 200 and b"JupyterLab" in page.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}") as page:  # the bare address
            assert page.url.split("?")[0].endswith(f"/lab/workspaces/{lab.WORKSPACE}"), page.url
    finally:
        printed = stop(server, *log)
    # The address printed for --no-browser opens the workspace, not a bare Launcher.
    assert f":{port}/lab/workspaces/{lab.WORKSPACE}?token=" in printed, printed


def test_binder_configuration_opens_the_workspace(course_root, tmp_path_factory):
    """What postBuild leaves behind is enough: a plain `jupyter lab`, as Binder starts it, opens the workspace."""
    config = tmp_path_factory.mktemp("jupyter-config")
    lab.configure_student(config, course_root)
    lab.prepare(course_root)
    settings = json.loads((config / "jupyter_lab_config.json").read_text(encoding="utf-8"))
    assert settings["LabApp"]["workspaces_dir"] == str(course_root / ".jupyter" / "workspaces")
    port, token = free_port(), "course-test-token"
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--ServerApp.port={port}",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True"]
    server, *log = serve(command, course_root, port, token, env=dict(os.environ, JUPYTER_CONFIG_DIR=str(config)))
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}") as page:
            assert page.url.split("?")[0].endswith(f"/lab/workspaces/{lab.WORKSPACE}"), page.url
        url = f"http://127.0.0.1:{port}/lab/api/workspaces/{lab.WORKSPACE}?token={token}"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert "notebook:my-work/01-crawler/crawler.ipynb" in json.load(response)["data"]
    finally:
        stop(server, *log)


@pytest.mark.parametrize("uid, allowed", [(0, True), (1000, False)])
def test_jupyterlab_is_allowed_to_start_as_root_only_as_root(monkeypatch, course_root, uid, allowed):
    monkeypatch.setattr(os, "geteuid", lambda: uid)
    command = lab.lab_command(course_root, course_root / "workspaces")
    assert ("--allow-root" in command) == allowed


def test_the_student_notebooks_open_clean_in_this_python(course_root):
    """JupyterLab writes the kernel's language_info into a notebook when its kernel starts: the same
    language_info on disk means no unsaved-changes dot on opening."""
    from ipykernel.ipkernel import IPythonKernel

    lab.prepare(course_root)  # course_root is a student repository: no source/
    notebooks = [*(course_root / "notebooks").rglob("*.ipynb"), *(course_root / "my-work").rglob("*.ipynb")]
    assert notebooks
    for path in notebooks:
        assert json.loads(path.read_text(encoding="utf-8"))["metadata"]["language_info"] == IPythonKernel.language_info
    assert lab.stamp_language_info(notebooks) == []  # the next start changes nothing


def test_the_file_browser_hides_the_installs_egg_info(tmp_path):
    lab.configure_student(tmp_path)
    server = json.loads((tmp_path / "jupyter_server_config.d" / "zz-course-student.json").read_text(encoding="utf-8"))
    assert "*.egg-info" in server["ContentsManager"]["hide_globs"]
    assert "__pycache__" in server["ContentsManager"]["hide_globs"]  # Jupyter's own list is kept
