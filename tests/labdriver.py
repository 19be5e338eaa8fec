"""Driving a real JupyterLab from Playwright, for the browser tests.

JupyterLab must run with ``--LabApp.expose_app_in_browser=True``: the tests read
the notebook model through ``window.jupyterapp`` rather than scraping the page.
Every wait is for a state of the page (the app loaded, a panel open, a kernel
idle), never for time to pass, so a loaded machine only makes them slower.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

from conftest import shoot

# The notebook panel showing a path (not whatever tab happens to be current); undefined until the app is up.
PANEL_JS = ("(path) => window.jupyterapp?.shell ? Array.from(window.jupyterapp.shell.widgets('main'))"
            ".find(w => w.context?.path === path) : undefined")

# What the notebook model says, read inside the page.
CELLS_JS = """(path) => {
  const panel = (""" + PANEL_JS + """)(path);
  const cells = panel.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    out.push({count: cell.executionCount, outputs: cell.outputs.toJSON(), source: cell.sharedModel.getSource(),
              grade_id: cell.getMetadata('nbgrader')?.grade_id});
  }
  return {cells: out, busy: panel.sessionContext.session?.kernel?.status !== 'idle'};
}"""

RUN_ALL_JS = """async (path) => {
  const panel = (""" + PANEL_JS + """)(path);
  const shell = window.jupyterapp.shell;
  // The command runs the current notebook: wait until it is this one (a workspace being restored may
  // make another current just after).
  for (let i = 0; i < 100 && shell.currentWidget !== panel; i++) {
    shell.activateById(panel.id);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (shell.currentWidget !== panel) return false;
  window.jupyterapp.commands.execute('notebook:run-all-cells');  // not awaited: it may never settle after an error
  return true;
}"""


def start_jupyterlab(command: list[str], cwd: Path, env: dict, log_path: Path, url: str, token: str,
                     timeout: float = 90) -> tuple[subprocess.Popen, object]:
    """Start JupyterLab and wait until its API answers."""
    log = open(log_path, "w")
    server = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
            return server, log
        except OSError:
            assert server.poll() is None, f"JupyterLab exited: see {log_path}"
            assert time.monotonic() < deadline, f"JupyterLab did not start within {timeout} s: see {log_path}"
            time.sleep(0.5)


def settings_dir(folder: Path) -> Path:
    """Lab user settings for tests: every cell in the DOM (no windowing), so each output can be seen."""
    tracker = folder / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    return folder


def wait_for_idle_panel(page, path: str) -> None:
    """Until the notebook at path is open and its kernel is idle."""
    page.wait_for_function("(path) => (" + PANEL_JS + ")(path)?.sessionContext?.session?.kernel?.status === 'idle'",
                           arg=path)


def run_all(page, path: str, timeout: float = 120) -> list[dict]:
    """Run every cell of an open notebook; its code cells as the model has them once the kernel is done."""
    wait_for_idle_panel(page, path)
    assert page.evaluate(RUN_ALL_JS, path), f"{path} never became the current notebook"
    deadline, started = time.monotonic() + timeout, time.monotonic()
    idle_since = None
    while True:  # done when the kernel is idle again and no cell is queued
        page.wait_for_timeout(1000)
        state = page.evaluate(CELLS_JS, path)
        idle_since = None if state["busy"] else (idle_since or time.monotonic())
        if not state["busy"] and not any(c["count"] for c in state["cells"]) and time.monotonic() - started > 10:
            page.evaluate(RUN_ALL_JS, path)  # the command came before the notebook was ready: again
            started = time.monotonic()
            continue
        queued = any(c["count"] is None and c["source"].strip() for c in state["cells"])
        if not state["busy"] and not queued:
            return state["cells"]
        errors = [o for c in state["cells"] for o in c["outputs"] if o["output_type"] == "error"]
        if errors and idle_since and time.monotonic() - idle_since > 3:
            return state["cells"]  # JupyterLab stopped at an error (a cell not tagged raises-exception)
        if time.monotonic() > deadline:
            shoot(page, "timeout-" + path.replace("/", "-"))
            raise AssertionError(f"{path}: cells still running after {timeout} s (screenshot in screenshots/)")


KERNEL_PRINTS_JS = """async ([path, code]) => {
  const kernel = (""" + PANEL_JS + """)(path).sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false});
  let text = '';
  future.onIOPub = (msg) => { if (msg.header.msg_type === 'stream') text += msg.content.text; };
  await future.done;
  return text;
}"""


def kernel_prints(page, path: str, code: str) -> str:
    """What code prints in the kernel JupyterLab started for the notebook at path (no cell is added)."""
    return page.evaluate(KERNEL_PRINTS_JS, [path, code])


def panel(page, path: str):
    """The notebook panel showing path, as a locator (a toolbar button there, not in another panel)."""
    widget_id = page.evaluate("(path) => (" + PANEL_JS + ")(path).id", path)
    return page.locator(f"[id='{widget_id}']")


def stop_jupyterlab(server: subprocess.Popen, log) -> None:
    """SIGTERM (JupyterLab shuts its kernels down first), then SIGKILL if that takes over a minute."""
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()
