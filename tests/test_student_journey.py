"""The student README, followed in a real browser, on the published student repository.

`make publish` builds the repository; what Binder's postBuild does is done to
it (the course's student configuration, the copies in my-work/ and the
workspace); a plain `jupyter lab` is started in it as Binder starts one, with
the published coursekit on the path. Then, as the README says: open the launch
link's workspace, find the assignment beside the lecture, solve one exercise,
save and run it, Validate, download the notebook, and upload it back as a new
Binder session would. Screenshots: screenshots/student-*.png.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, free_port, needs_chromium, shoot
from coursekit.lab import WORKSPACE
from instructor import nbtools, publish
from labdriver import PANEL_JS, panel, run_all, settings_dir, start_jupyterlab, stop_jupyterlab, wait_for_idle_panel

pytestmark = [pytest.mark.slow, needs_chromium]

TOKEN = "course-student-journey"
LECTURE = "notebooks/01-crawler.ipynb"
ASSIGNMENT = "my-work/01-crawler/crawler.ipynb"
EXERCISE = "crawl_page"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The student repository after Binder's build, served by a plain `jupyter lab` started in it."""
    repo = publish.build(tmp_path_factory.mktemp("dist") / "student", "course-org/coroutines-student")
    readme = (repo / "README.md").read_text(encoding="utf-8")
    config = tmp_path_factory.mktemp("jupyter-config")
    # The published coursekit, not the course's own: what a student's install imports.
    env = dict(os.environ, PYTHONPATH=str(repo), JUPYTER_CONFIG_DIR=str(config))
    python = str(Path(sys.executable))
    # postBuild's steps (there at sys-prefix level; here the test's own config folder).
    subprocess.run([python, "-m", "coursekit.lab", "--configure-student", "user"], cwd=repo, env=env, check=True)
    subprocess.run([python, "-m", "coursekit.lab", "--prepare"], cwd=repo, env=env, check=True, capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--ServerApp.port={port}",
               "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", "--ServerApp.allow_root=True",
               "--LabApp.expose_app_in_browser=True",
               f"--LabApp.user_settings_dir={settings_dir(tmp_path_factory.mktemp('lab-settings'))}"]
    server, log = start_jupyterlab(command, repo, env, tmp_path_factory.mktemp("log") / "jupyterlab.log", url, TOKEN)
    yield {"repo": repo, "url": url, "readme": readme}
    stop_jupyterlab(server, log)


@pytest.fixture(scope="module")
def page(published, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    page.set_default_timeout(90_000)
    yield page
    page.close()


def saved_source(published, grade_id: str, timeout: float = 90, until=lambda source: True) -> str:
    """The cell as saved on disk, once ``until(source)`` holds.

    Read from the disk, not through the server: jupyter_server moves a notebook aside as
    ``.invalid`` when a read meets it half written, so polling its contents API while a save
    is under way (as a loaded machine makes likely) would break the very save it waits for.
    """
    path = published["repo"] / ASSIGNMENT
    deadline = time.monotonic() + timeout
    while True:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            source = "".join(next(c["source"] for c in nb["cells"]
                                  if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id))
            if until(source):
                return source
        except (OSError, ValueError, StopIteration):
            pass  # not there yet, or half written
        assert time.monotonic() < deadline, f"{ASSIGNMENT} on disk never had the expected {grade_id} cell"
        time.sleep(0.2)


def answer() -> str:
    return nbtools.reference_answers(nbtools.read(ROOT / "source" / "01-crawler" / "crawler.ipynb"))[EXERCISE]


def test_1_the_launch_link_opens_lecture_and_assignment_side_by_side(published, page):
    link = publish.launch_link("course-org/coroutines-student")
    assert link in published["readme"]
    path = link.split("urlpath=")[1]  # what Binder opens once the server is up
    assert path == f"lab/workspaces/{WORKSPACE}"
    page.goto(f"{published['url']}/{path}?token={TOKEN}")
    wait_for_idle_panel(page, LECTURE)
    wait_for_idle_panel(page, ASSIGNMENT)
    visible = page.evaluate("""() => Array.from(window.jupyterapp.shell.widgets('main'))
                                 .filter(w => w.isVisible).map(w => w.context?.path)""")
    assert set(visible) == {LECTURE, ASSIGNMENT}, visible  # both in view at once, not two tabs
    page.wait_for_timeout(1000)  # the kernels' language_info has reached the models by now
    dirty = page.evaluate("(paths) => paths.map((p) => (" + PANEL_JS + ")(p).context.model.dirty)", [LECTURE, ASSIGNMENT])
    assert dirty == [False, False], dirty  # no unsaved-changes dot before any edit
    assert page.locator(".jp-FileBrowser").first.is_visible()
    assert page.get_by_role("menuitem", name="Nbgrader").count() == 0
    shoot(page, "student-1-launch")


def test_2_one_exercise_solved_saved_and_passing(published, page):
    code = answer()
    page.evaluate("""([path, gradeId, code]) => {
        const panel = (""" + PANEL_JS + """)(path);
        const cells = panel.content.model.cells;
        for (let i = 0; i < cells.length; i++) {
          const cell = cells.get(i);
          if (cell.getMetadata('nbgrader')?.grade_id === gradeId) cell.sharedModel.setSource(code);
        }
        window.jupyterapp.shell.activateById(panel.id);
      }""", [ASSIGNMENT, EXERCISE, code])
    page.keyboard.press("Control+s")  # the README's way to save
    saved = saved_source(published, EXERCISE, until=lambda source: "NotImplementedError" not in source)
    assert saved.strip() == code.strip()
    cells = run_all(page, ASSIGNMENT)
    # Run All goes on past the unfinished exercises to the last cell (their cells are tagged raises-exception).
    assert all(c["count"] for c in cells if c["source"].strip()), [c["grade_id"] for c in cells if not c["count"]]
    by_id = {c["grade_id"]: c for c in cells if c["grade_id"]}
    assert not [o for o in by_id[f"test_{EXERCISE}"]["outputs"] if o["output_type"] == "error"]
    assert by_id[f"test_{EXERCISE}"]["count"], "the exercise's test did not run"
    page.locator(".jp-Cell").filter(has_text="crawl_page returned").first.scroll_into_view_if_needed()
    shoot(page, "student-2-exercise")


def test_3_validate_lists_only_the_exercises_still_to_do(page):
    panel(page, ASSIGNMENT).get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog-content")
    dialog.get_by_text("Validation Results").wait_for()
    failed = dialog.locator(".validation-failed pre").all_inner_texts()
    assert failed, dialog.inner_text()
    assert any("crawl_one_by_one" in text for text in failed)
    # The dialog opens on the first exercise still to do and what is wrong with it, not on a test's source.
    lines = [line for line in dialog.inner_text().splitlines() if line.strip()]
    assert any("Exercise crawl_one_by_one: not done yet" in line for line in lines[:5]), lines[:8]
    assert not any(f"run_async({EXERCISE}," in text for text in failed), failed
    shoot(page, "student-3-validate")
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")


def test_4_download_then_upload_it_back_in_a_new_session(published, page, tmp_path):
    # Download: the file browser, my-work/01-crawler/, right-click, Download.
    page.evaluate("() => window.jupyterapp.commands.execute('filebrowser:go-to-path', {path: 'my-work/01-crawler'})")
    item = page.locator(".jp-DirListing-item").filter(has_text="crawler.ipynb").first
    item.click(button="right")
    with page.expect_download() as download:
        page.get_by_role("menuitem", name="Download", exact=True).click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "crawler.ipynb"
    nb = json.loads(saved.read_text(encoding="utf-8"))
    kept = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == EXERCISE)
    assert "NotImplementedError" not in "".join(kept["source"])
    # A new session starts from a fresh copy; uploading the download over it brings the work back.
    marker = "# resumed from my download"
    kept["source"] = marker + "\n" + "".join(kept["source"])
    saved.write_text(json.dumps(nb), encoding="utf-8")
    with page.expect_file_chooser() as chooser:
        page.locator(".jp-FileBrowser-toolbar").get_by_title("Upload Files").click()
    chooser.value.set_files(str(saved))
    page.get_by_role("button", name="Overwrite").click()
    assert saved_source(published, EXERCISE, until=lambda source: marker in source).startswith(marker)
    shoot(page, "student-4-uploaded")
