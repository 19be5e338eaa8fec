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
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, free_port, needs_chromium, shoot
from coursekit.lab import WORKSPACE
from coursekit.timeline import ONE_LINE
from instructor import nbtools, publish
from labdriver import PANEL_JS, panel, run_all, settings_dir, start_jupyterlab, stop_jupyterlab, wait_for_idle_panel

pytestmark = [pytest.mark.slow, pytest.mark.once, needs_chromium]

TOKEN = "course-student-journey"
LECTURE = "notebooks/01-crawler.ipynb"
ASSIGNMENT = "my-work/01-crawler/crawler.ipynb"
EXERCISE = "crawl_page"
CHINESE_LECTURE = "notebooks/zh/01-crawler.ipynb"
CHINESE_ASSIGNMENT = "my-work/zh/01-crawler/crawler.ipynb"


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
    # The file browser is folded into its icon at the left edge, so the notebooks get the width; one click opens it.
    assert not page.locator(".jp-FileBrowser").first.is_visible()
    folder_icon = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='filebrowser']")
    folder_icon.click()
    page.locator(".jp-DirListing-item").filter(has_text="my-work").first.wait_for()
    assert page.get_by_role("menuitem", name="Nbgrader").count() == 0
    shoot(page, "student-1-launch")
    folder_icon.click()  # folded again, as the launch link shows it
    page.locator(".jp-FileBrowser").first.wait_for(state="hidden")


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
    first = [line for line in failed[0].splitlines() if line.strip()]
    assert any("crawl_one_by_one" in line and "not done yet" in line for line in first[:3]), first[:5]
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


def test_5_the_chinese_link_opens_the_chinese_assignment(published, browser):
    """中文链接: the Chinese lecture beside the Chinese copy (my-work/zh/), whose every message is Chinese."""
    link = publish.launch_link("course-org/coroutines-student", "zh")
    readme = (published["repo"] / "README.zh.md").read_text(encoding="utf-8")
    assert link in readme and f"`{CHINESE_ASSIGNMENT}`" in readme
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.set_default_timeout(90_000)
    page.goto(f"{published['url']}/{link.split('urlpath=')[1]}?token={TOKEN}")
    wait_for_idle_panel(page, CHINESE_LECTURE)
    wait_for_idle_panel(page, CHINESE_ASSIGNMENT)
    visible = page.evaluate("""() => Array.from(window.jupyterapp.shell.widgets('main'))
                                 .filter(w => w.isVisible).map(w => w.context?.path)""")
    assert set(visible) == {CHINESE_LECTURE, CHINESE_ASSIGNMENT}, visible
    nb = json.loads((published["repo"] / CHINESE_ASSIGNMENT).read_text(encoding="utf-8"))
    texts = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert texts and re.search(r"[\u4e00-\u9fff]", texts[0].splitlines()[0]), texts[0]  # Chinese first
    assert not any("**中文**" in text for text in texts)  # the Chinese edition, not the bilingual one
    cells = run_all(page, CHINESE_ASSIGNMENT)
    errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert errors, "a blank copy should report its unfinished exercises"
    for error in errors:  # the unfinished exercises' notes, the visible tests and the check cell: all Chinese
        said = error["evalue"] or re.sub(r"\x1b\[[0-9;]*m", "", error["traceback"][-1])
        assert re.search(r"[\u4e00-\u9fff]", said), error["traceback"][-1]
        assert not re.search(r"\b(is not|written yet|your code)\b", said), said
    shoot(page, "student-5-chinese")
    page.close()


# What a reader of the lecture should never meet at a laptop's size, side by side with the assignment:
# a table that needs scrolling sideways, a code line cut, a timeline label broken over lines or cut.
# (JupyterLab shows the timeline's HTML; its text chart is for terminals and CI.)
LAYOUT_JS = """([path, oneLine]) => {
  const panel = (""" + PANEL_JS + """)(path);
  const node = panel.content.node;
  const problems = [];
  for (const table of node.querySelectorAll('.jp-RenderedMarkdown table')) {
    const room = table.parentElement.clientWidth;
    if (table.scrollWidth > room + 1) problems.push(`table ${table.scrollWidth}px wide in ${room}px: `
                                                    + table.innerText.slice(0, 60));
  }
  for (const cell of node.querySelectorAll('.coursekit-timeline td')) {
    const tops = [];  // where each piece of the label's text sits: more than a line apart means it broke
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(text);
      tops.push(...Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => r.top));
    }
    const lineHeight = parseFloat(getComputedStyle(cell).fontSize) || 14;
    // A lane's name never wraps; of its notes, only a long list of marks may.
    const short = cell.cellIndex === 0 || cell.innerText.trim().length <= oneLine;
    if (short && tops.length && Math.max(...tops) - Math.min(...tops) > 0.8 * lineHeight)
      problems.push('timeline label over several lines: ' + cell.innerText.slice(0, 60));
    const label = cell.querySelector('code') || cell;
    if (cell.innerText.trim() && (label.scrollWidth > cell.clientWidth + 1 || cell.scrollWidth > cell.clientWidth + 1))
      problems.push('timeline label cut: ' + cell.innerText.slice(0, 60));
  }
  for (const scroller of node.querySelectorAll('.jp-InputArea-editor .cm-scroller')) {  // code lines wrap, never cut
    if (scroller.scrollWidth > scroller.clientWidth + 1)
      problems.push('code cut: ' + scroller.innerText.split('\\n')[0].slice(0, 60));
  }
  for (const chart of node.querySelectorAll('.coursekit-timeline table')) {
    const room = chart.closest('.jp-OutputArea-output').clientWidth;
    if (chart.getBoundingClientRect().width > room + 1)
      problems.push(`timeline ${Math.round(chart.getBoundingClientRect().width)}px wide in ${room}px: `
                    + chart.innerText.split('\\n').slice(0, 3).join(' ').slice(0, 160));
  }
  return problems;
}"""


# Three of the eight lectures, to keep the suite's time: the others' tables and charts are of the same kinds.
@pytest.mark.parametrize("lecture, size", [
    ("01-crawler", (1440, 900)), ("02-toolkit", (1280, 800)), ("zh/04-crawler", (1280, 800)),
], ids=lambda v: v if isinstance(v, str) else f"{v[0]}x{v[1]}")
def test_6_a_lecture_reads_well_on_a_laptop_beside_the_assignment(published, browser, lecture, size):
    """The launch link's two notebooks side by side on a laptop's screen: the lecture, run, fits its half."""
    width, height = size
    path = f"notebooks/{lecture}.ipynb"
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(90_000)
    page.goto(f"{published['url']}/lab/workspaces/{WORKSPACE}?token={TOKEN}")
    wait_for_idle_panel(page, ASSIGNMENT)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # as the launch link opens (test 4 unfolded it)
    if path != LECTURE:  # in the lecture's place, beside the assignment
        page.evaluate("""([path, beside]) => window.jupyterapp.commands.execute('docmanager:open',
                           {path, options: {mode: 'tab-after', ref: (""" + PANEL_JS + """)(beside).id}}).then(() => true)""",
                      [path, LECTURE])
    run_all(page, path, timeout=240)
    problems = page.evaluate(LAYOUT_JS, [path, ONE_LINE])
    chart = page.locator(".coursekit-timeline:visible")
    if chart.count():
        chart.first.scroll_into_view_if_needed()
    shoot(page, f"student-6-{lecture.replace('/', '-')}-{width}x{height}")
    assert not problems, problems
    page.close()
