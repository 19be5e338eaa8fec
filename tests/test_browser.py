"""The student's view, end to end: real JupyterLab in a real browser (Debian's chromium).

JupyterLab runs on a free port with a token, in the student configuration
(only nbgrader's Validate extension on). Playwright opens the first lecture and
the student's copy of its assignment, runs all cells, and reads the results
from JupyterLab's own notebook model. Screenshots go to screenshots/.
"""

from __future__ import annotations

import re

import os
import shutil

import nbformat
import pytest

from conftest import ROOT, free_port, needs_chromium, shoot
from coursekit import lab
from labdriver import kernel_prints, run_all, settings_dir, start_jupyterlab, stop_jupyterlab

TOKEN = "course-browser-test"

pytestmark = [pytest.mark.slow, pytest.mark.once, needs_chromium]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A student's JupyterLab over a copy of the course."""
    root = tmp_path_factory.mktemp("student")
    for folder in ("notebooks", "release"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    write_chinese_edition_with_a_blocking_call(root / CHINESE_EDITION)
    config = tmp_path_factory.mktemp("jupyter-config")
    lab.configure_student(config)
    port = free_port()
    command = lab.lab_command(
        root, lab.prepare(root), "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}", "--ServerApp.allow_root=True", "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={settings_dir(tmp_path_factory.mktemp('lab-settings'))}",
    )
    url = f"http://127.0.0.1:{port}"
    # English unless a notebook says otherwise: the Chinese lecture's kernel must find its language itself.
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), COURSEKIT_LANGUAGE="en")
    server, log = start_jupyterlab(command, root, env,
                                   tmp_path_factory.mktemp("log") / "jupyterlab.log", url, TOKEN)
    yield url
    stop_jupyterlab(server, log)


# The Chinese edition of assignment 1 as a student of it might hand it in: crawl_page with a blocking sleep.
CHINESE_EDITION = "my-work/zh/01-crawler/crawler.ipynb"


def write_chinese_edition_with_a_blocking_call(path):
    from submissions import answered, crawler

    path.parent.mkdir(parents=True)
    nbformat.write(answered(crawler, crawler.VARIANTS["blocking_sleep"][0], ROOT, "zh"), str(path))


def open_and_run_all(browser, url: str, path: str, timeout: float = 120):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(90_000)
    page.goto(f"{url}/lab/tree/{path}?reset&token={TOKEN}")  # reset: no tabs restored from before
    return page, run_all(page, path, timeout)


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
    # Quiet: the plugin that asks "get notified about Jupyter news?" is not even loaded, and no Nbgrader
    # menu is left empty by the instructor tools being off.
    page.get_by_role("menuitem", name="Kernel").wait_for()
    assert page.evaluate("() => window.jupyterapp.hasPlugin('@jupyterlab/apputils-extension:announcements')") is False
    assert page.evaluate("() => window.jupyterapp.hasPlugin('@jupyter/nbgrader:validate-assignment')") is True
    assert page.get_by_text("Jupyter news").count() == 0
    assert page.get_by_role("menuitem", name="Nbgrader").count() == 0
    shoot(page, "assignment-01-validate")
    page.close()


def test_chinese_lecture_runs_in_the_browser(jupyterlab, browser):
    """中文版: the Chinese edition of lecture 1 runs clean too, and its Chinese renders (screenshot)."""
    page, cells = open_and_run_all(browser, jupyterlab, "notebooks/zh/01-crawler.ipynb")
    problems = [o for c in cells for o in c["outputs"]
                if o["output_type"] == "error" or (o["output_type"] == "stream" and o["name"] == "stderr")]
    assert not problems, problems
    heading = page.locator(".jp-RenderedMarkdown h1").first
    assert "从一个爬虫说起" in heading.inner_text()
    # Its kernel answers in Chinese: Jupyter tells it which notebook it runs for, and the notebook says zh.
    assert kernel_prints(page, "notebooks/zh/01-crawler.ipynb",
                         "from coursekit.messages import language\nprint(language())") == "zh\n"
    page.locator(".coursekit-timeline").first.scroll_into_view_if_needed()
    shoot(page, "lecture-01-zh")
    page.close()


def test_chinese_assignment_answers_in_chinese(jupyterlab, browser):
    """The Chinese edition of an assignment: the visible test's feedback is Chinese, with no setting to change."""
    page, cells = open_and_run_all(browser, jupyterlab, CHINESE_EDITION)
    errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "AssertionError", errors
    assert errors[0]["evalue"].startswith("异步代码里出现了阻塞调用 time.sleep(2)"), errors[0]["evalue"]
    # Run All went on to the end (cells tagged raises-exception): every later error speaks Chinese too.
    assert len(errors) > 1, errors
    for error in errors:
        assert re.search(r"[\u4e00-\u9fff]", error["evalue"]), error["evalue"]
        assert not re.search(r"\b(is not right|should|instead of)\b", error["evalue"]), error["evalue"]
    page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first.scroll_into_view_if_needed()
    shoot(page, "assignment-01-zh-feedback")
    page.close()


def test_a_guess_is_locked_in_jupyterlab_in_the_lectures_language(jupyterlab, browser):
    """Predict, then run: in the Chinese lecture 1 the widget draws, speaks Chinese, and locks a guess in."""
    path = "notebooks/zh/01-crawler.ipynb"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(90_000)
    page.goto(f"{jupyterlab}/lab/tree/{path}?reset&token={TOKEN}")
    cells = run_all(page, path)
    problems = [o for c in cells for o in c["outputs"]
                if o["output_type"] == "error" or (o["output_type"] == "stream" and o["name"] == "stderr")]
    assert not problems, problems
    widgets = page.locator(".coursekit-predict")
    widgets.first.wait_for()
    asked = [c for c in nbformat.read(ROOT / path, as_version=4).cells
             if c.cell_type == "code" and c.source.startswith("predict(")]
    assert widgets.count() == len(asked)
    first = widgets.first
    first.scroll_into_view_if_needed()
    button = first.get_by_role("button", name="锁定我的猜测")
    assert button.is_disabled()  # nothing chosen yet
    first.get_by_text("10 s", exact=True).click()
    button.click()
    first.get_by_text("已记下你的猜测：“10 s”").wait_for()
    assert first.get_by_role("button", name="已锁定").is_disabled()
    assert "'10 s'" in kernel_prints(page, path, "from coursekit.predict import guesses\nprint(guesses())")
    shoot(page, "lecture-01-zh-predict")
    page.close()
