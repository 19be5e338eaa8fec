"""`make lab`: the student's copies, and the workspace JupyterLab opens on."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request

import pytest

from jupyterlab_server.workspaces_handler import WorkspacesManager

from conftest import ROOT, free_port
from coursekit import lab


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



@pytest.mark.slow
def test_jupyterlab_serves_the_course_workspace(course_root):
    folder = lab.prepare(course_root)
    port, token = free_port(), "course-test-token"
    command = lab.lab_command(
        course_root, folder, "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True",  # CI runs as root
    )
    server = subprocess.Popen(command, cwd=course_root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/lab/api/workspaces/{lab.WORKSPACE}?token={token}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    served = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not answer within 60 s"
                assert server.poll() is None, "JupyterLab exited"
                time.sleep(0.5)
        assert "notebook:my-work/01-crawler/crawler.ipynb" in served["data"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab/workspaces/{lab.WORKSPACE}?token={token}") as page:
            assert page.status == 200 and b"JupyterLab" in page.read()
    finally:
        server.terminate()
        server.wait(timeout=30)
