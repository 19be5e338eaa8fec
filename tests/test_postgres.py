"""Parallel grading against one PostgreSQL gradebook, as several machines would share it.

The test starts Debian's PostgreSQL server itself, in a temporary folder on a
free port (`.ci/run` installs the package), points the course at it with
GRADEBOOK_URL, and grades a small class with `make autograde JOBS=2`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import free_port
from instructor import nbtools
from instructor.course import CourseCopy
from submissions import crawler

pytestmark = [pytest.mark.slow, pytest.mark.once]  # a test file runs on one worker (make test: --dist loadfile), so its fixtures run once

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


@pytest.fixture(scope="module")
def postgres():
    if BIN is None or not (BIN / "initdb").exists():
        pytest.skip("Debian's postgresql package is not installed (.ci/run installs it)")
    # Not under pytest's tmp folder: that one is private to root, and the server runs as another user.
    folder = Path(tempfile.mkdtemp(prefix="course-postgres-"))
    data = folder / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the package's own user
        shutil.chown(folder, "postgres")
        as_user = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
    port = free_port()
    subprocess.run([*as_user, str(BIN / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, str(BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "start",
                    "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"], check=True, capture_output=True)
    try:
        subprocess.run([str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "gradebook"],
                       check=True, capture_output=True)
        yield f"postgresql+psycopg2://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_user, str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_parallel_autograde_on_a_shared_postgresql_gradebook(postgres, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADEBOOK_URL", postgres)
    course = CourseCopy(tmp_path)
    course.make("release")
    release = nbtools.read(course.root / "release" / crawler.ASSIGNMENT / f"{crawler.NOTEBOOK}.ipynb")
    reference = nbtools.reference_answers(nbtools.read(course.root / "source" / crawler.ASSIGNMENT / f"{crawler.NOTEBOOK}.ipynb"))
    variants = ["reference", "tasks_awaited_one_by_one", "completion_order", "taskgroup"]
    for name in variants:
        course.submit(name, crawler.ASSIGNMENT, crawler.NOTEBOOK, nbtools.fill(release, {**reference, **crawler.VARIANTS[name][0]}))
    result = course.run("make", "--no-print-directory", "autograde", "JOBS=2")
    assert "[4/4]" in result.stdout and "failed so far 0" in result.stdout
    assert not (course.root / "gradebook.db").exists(), "the SQLite file was used instead of PostgreSQL"

    from nbgrader.api import Gradebook

    with Gradebook(postgres) as gb:
        for name in variants:
            nb = gb.find_submission_notebook(crawler.NOTEBOOK, crawler.ASSIGNMENT, name)
            assert {g.name: g.score for g in nb.grades} == crawler.VARIANTS[name][1], name
