"""The student's view, end to end: real JupyterLab in a real browser (Debian's chromium).

JupyterLab runs on a free port with a token, in the student configuration
(only nbgrader's Validate extension on). Playwright opens the first lecture and
the student's copy of its assignment, runs all cells, and reads the results
from JupyterLab's own notebook model. Screenshots go to screenshots/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, free_port
from coursekit import lab

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "screenshots"
TOKEN = "course-browser-test"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: .ci/run installs Debian's chromium"),
]

# The notebook panel showing a path (not whatever tab happens to be current).
PANEL_JS = "(path) => Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.context?.path === path)"

# What the notebook model says, read inside the page.
CELLS_JS = """(path) => {
  const panel = (""" + PANEL_JS + """)(path);
  const cells = panel.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    out.push({count: cell.executionCount, outputs: cell.outputs.toJSON(), source: cell.sharedModel.getSource()});
  }
  return {cells: out, busy: panel.sessionContext.session?.kernel?.status !== 'idle'};
}"""



@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A student's JupyterLab over a copy of the course."""
    root = tmp_path_factory.mktemp("student")
    for folder in ("notebooks", "release"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    config = tmp_path_factory.mktemp("jupyter-config")
    lab.configure_student(config)
    settings = tmp_path_factory.mktemp("lab-settings")
    # Every cell in the DOM (no windowing), so the test can see each output.
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}), encoding="utf-8")  # no pop-up over the screenshots
    port = free_port()
    command = lab.lab_command(
        root, lab.prepare(root), "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}", "--ServerApp.allow_root=True", "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={settings}",
    )
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config))
    log = open(tmp_path_factory.mktemp("log") / "jupyterlab.log", "w")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5)
            break
        except OSError:
            assert server.poll() is None, f"JupyterLab exited: see {log.name}"
            assert time.monotonic() < deadline, "JupyterLab did not start within 90 s"
            time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
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


def open_and_run_all(browser, url: str, path: str, timeout: float = 120):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(90_000)
    page.goto(f"{url}/lab/tree/{path}?reset&token={TOKEN}")  # reset: no tabs restored from before
    page.wait_for_function(
        "(path) => (" + PANEL_JS + ")(path)?.sessionContext?.session?.kernel?.status === 'idle'", arg=path
    )
    run_all = """(path) => {
      const panel = (""" + PANEL_JS + """)(path);
      window.jupyterapp.shell.activateById(panel.id);
      window.jupyterapp.commands.execute('notebook:run-all-cells');  // not awaited: it may never settle after an error
    }"""
    page.evaluate(run_all, path)
    deadline, started = time.monotonic() + timeout, time.monotonic()
    while True:  # done when the kernel is idle again and no cell is queued
        time.sleep(1)
        state = page.evaluate(CELLS_JS, path)
        if not state["busy"] and not any(c["count"] for c in state["cells"]) and time.monotonic() - started > 10:
            page.evaluate(run_all, path)  # the command came before the notebook was ready: again
            started = time.monotonic()
            continue
        queued = any(c["count"] is None and c["source"].strip() for c in state["cells"])
        if not state["busy"] and not queued:
            break
        errors = [o for c in state["cells"] for o in c["outputs"] if o["output_type"] == "error"]
        if not state["busy"] and errors:
            break  # JupyterLab stops running the cells after an error
        if time.monotonic() > deadline:
            shoot(page, "timeout-" + path.replace("/", "-"))
            raise AssertionError(f"{path}: cells still running after {timeout} s (screenshot in screenshots/)")
    return page, state["cells"]


def shoot(page, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def test_lecture_runs_in_the_browser_with_a_live_timeline(jupyterlab, browser):
    page, cells = open_and_run_all(browser, jupyterlab, "notebooks/01-crawler.ipynb")
    problems = [
        f"{o.get('ename')}: {o.get('evalue')}" if o["output_type"] == "error" else o.get("text", "")
        for c in cells for o in c["outputs"]
        if o["output_type"] == "error" or (o["output_type"] == "stream" and o["name"] == "stderr")
    ]
    assert not problems, problems
    assert all(c["count"] for c in cells if c["source"].strip()), "some cells did not run"
    timeline = page.locator(".coursekit-timeline")
    timeline.first.scroll_into_view_if_needed()
    assert timeline.count() == 1 and "url_4" in timeline.first.inner_text()
    shoot(page, "lecture-01-timeline")
    page.close()


def test_release_notebook_fails_only_on_its_stubs(jupyterlab, browser):
    page, cells = open_and_run_all(browser, jupyterlab, "my-work/01-crawler/crawler.ipynb")
    errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert errors and {e["ename"] for e in errors} == {"NotImplementedError"}, errors
    page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first.scroll_into_view_if_needed()
    shoot(page, "assignment-01-stub")
    page.close()


def test_student_has_validate_and_no_instructor_tools(jupyterlab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(90_000)
    page.goto(f"{jupyterlab}/lab/tree/my-work/01-crawler/crawler.ipynb?reset&token={TOKEN}")
    validate = page.get_by_role("button", name="Validate")
    validate.wait_for(timeout=60_000)
    assert validate.is_visible()
    disabled = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent).disabledExtensions")
    assert set(lab.LAB_PLUGINS_OFF) <= set(disabled)
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    shoot(page, "assignment-01-validate")
    page.close()
