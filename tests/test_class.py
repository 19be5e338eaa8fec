"""A term's work for a small class, end to end through the Makefile.

Roster and due dates, a Moodle-style zip and a Canvas-style zip (right,
wrong, browser-renamed, late, broken, duplicate and missing submissions),
`make collect`, `make autograde JOBS=2`, `make feedback`, `make grades`,
`make report`, and a re-grade of one student: every student's status and
points are checked.
"""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import needs_chromium, shoot
from instructor import nbtools
from instructor.course import CourseCopy
from submissions import crawler, toolkit

pytestmark = [pytest.mark.slow, pytest.mark.once]  # a test file runs on one worker (make test: --dist loadfile), so its fixtures run once

DUE = "2026-03-01 23:59:59 UTC"
ON_TIME = (2026, 2, 28, 12, 0, 0)
LATE = (2026, 3, 2, 9, 30, 0)
ROSTER = [("1001", "Ada", "Lovelace"), ("1002", "Bo", "Bing"), ("1003", "Cy", "Chen"), ("1004", "Di", "Dao"),
          ("1005", "Ed", "Eng"), ("1006", "Fa", "Fang")]


def notebook_bytes(nb) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


def add(zf: zipfile.ZipFile, name: str, data: bytes, when=ON_TIME) -> None:
    info = zipfile.ZipInfo(name, date_time=when)
    zf.writestr(info, data)


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    course = CourseCopy(tmp_path_factory.mktemp("class"))
    course.make("release")
    roster = course.root / "roster.csv"
    with open(roster, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "first_name", "last_name", "email"])
        for sid, first, last in ROSTER:
            writer.writerow([sid, first, last, f"{first.lower()}@school.example"])
    course.run("make", "--no-print-directory", "roster", f"ROSTER={roster}")
    for assignment in ("01-crawler", "02-toolkit"):
        course.run(str(course.root / ".venv/bin/nbgrader"), "db", "assignment", "add", assignment, f"--duedate={DUE}")

    def filled(module, answers):
        release = nbtools.read(course.root / "release" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
        reference = nbtools.reference_answers(nbtools.read(course.root / "source" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb"))
        return notebook_bytes(nbtools.fill(release, {**reference, **answers}))

    right1, wrong1 = filled(crawler, {}), filled(crawler, crawler.VARIANTS["tasks_awaited_one_by_one"][0])
    moodle = course.root / "moodle.zip"
    with zipfile.ZipFile(moodle, "w") as zf:
        add(zf, "Ada Lovelace_1001_assignsubmission_file_crawler.ipynb", right1)
        add(zf, "Ada Lovelace_1001_assignsubmission_file_notes.txt", b"my notes")
        add(zf, "Bo Bing_1002_assignsubmission_file_/crawler.ipynb", wrong1)
        add(zf, "Bo Bing_1002_assignsubmission_file_/crawler (1).ipynb", right1, when=(2026, 2, 20, 8, 0, 0))  # older
        add(zf, "Cy Chen_1003_assignsubmission_file_crawler (1).ipynb", right1)  # a browser's second download
        add(zf, "Di Dao_1004_assignsubmission_file_crawler.ipynb", b"{ this is not a notebook")
        add(zf, "Ed Eng_1005_assignsubmission_file_crawler.ipynb", right1, when=LATE)
        add(zf, "readme.html", b"<p>exported by the platform</p>")
    right2 = filled(toolkit, {})
    wrong2 = filled(toolkit, toolkit.VARIANTS["completion_order_by_number"][0])
    canvas = course.root / "canvas.zip"
    with zipfile.ZipFile(canvas, "w") as zf:
        add(zf, "lovelaceada_1001_5551_toolkit.ipynb", right2)
        add(zf, "bingbo_LATE_1002_5552_toolkit-1.ipynb", wrong2, when=LATE)
        add(zf, "chency_1003_5553_my_answers.ipynb", right2)  # the assignment's only notebook, under another name
    collected = [course.run("make", "--no-print-directory", "collect", "ASSIGNMENT=01-crawler", f"ZIP={moodle}"),
                 course.run("make", "--no-print-directory", "collect", "ASSIGNMENT=02-toolkit", f"ZIP={canvas}")]
    # A second collect of the same download must not replace what is there with an older file.
    again = course.run("make", "--no-print-directory", "collect", "ASSIGNMENT=01-crawler", f"ZIP={moodle}")
    autograde = course.run("make", "--no-print-directory", "autograde", "JOBS=2", check=False)
    feedback = course.run("make", "--no-print-directory", "feedback", check=False)
    grades = course.make("grades")
    report = course.make("report")
    with open(course.root / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    return course, collected, again, autograde, feedback, grades, report, rows


def points(course, module, student):
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(module.NOTEBOOK, module.ASSIGNMENT, student)
        return {g.name: g.score for g in nb.grades}


def test_the_class_list_never_reaches_git():
    """roster.csv holds students' names and emails: the repository ignores it wherever it is made."""
    import subprocess

    from conftest import ROOT

    for path in ("roster.csv", "some/folder/roster.csv"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0, path


def test_collect_takes_what_it_should_and_says_why_it_skips_the_rest(term):
    course, (moodle, canvas), again, *_ = term
    assert "took 5 notebook(s) of 5 student(s), skipped 3 file(s)" in moodle.stdout
    assert "renamed back from crawler (1).ipynb" in moodle.stdout
    assert "not a notebook (notes.txt)" in moodle.stdout and "follows no known pattern" in moodle.stdout
    assert "an older file of the same student and notebook" in moodle.stdout
    assert "the assignment's only notebook, saved as my_answers.ipynb" in canvas.stdout
    assert "marked LATE by the platform" in canvas.stdout
    assert "took 0 notebook(s)" in again.stdout and "already holds a newer or equal one" in again.stdout
    for sid in ("1001", "1002", "1003", "1004", "1005"):
        assert (course.root / "submitted" / sid / "01-crawler" / "crawler.ipynb").is_file()
        assert (course.root / "submitted" / sid / "01-crawler" / "timestamp.txt").is_file()
    # Bo's newer (wrong) notebook was kept, not the older right one.
    kept = nbtools.read(course.root / "submitted" / "1002" / "01-crawler" / "crawler.ipynb")
    assert any("results.append(await asyncio.create_task" in c.source for c in kept.cells)


def test_every_student_has_a_status_and_the_right_points(term):
    course, _, _, autograde, *_, rows = term
    assert "[8/8]" in autograde.stdout and "about 0 s left" in autograde.stdout
    expected = {
        ("01-crawler", "1001"): ("graded", crawler.FULL),
        ("01-crawler", "1002"): ("graded", crawler.VARIANTS["tasks_awaited_one_by_one"][1]),
        ("01-crawler", "1003"): ("graded", crawler.FULL),
        ("01-crawler", "1005"): ("graded, late by", crawler.FULL),
        ("02-toolkit", "1001"): ("graded", toolkit.FULL),
        ("02-toolkit", "1002"): ("graded, late by", toolkit.VARIANTS["completion_order_by_number"][1]),
        ("02-toolkit", "1003"): ("graded", toolkit.FULL),
    }
    for (assignment, sid), (status, cells) in expected.items():
        row = rows[(assignment, sid)]
        assert row["status"].startswith(status), (assignment, sid, row["status"])
        module = crawler if assignment == "01-crawler" else toolkit
        assert points(course, module, sid) == cells
        assert float(row["raw_score"]) == sum(cells.values())
    broken = rows[("01-crawler", "1004")]
    assert broken["status"].startswith("failed: ") and broken["score"] == ""
    assert "1004" in autograde.stdout and "some submissions failed" in autograde.stdout
    for sid in ("1004", "1005", "1006"):
        assert rows[("02-toolkit", sid)]["status"] == "not submitted" and rows[("02-toolkit", sid)]["score"] == ""
    assert rows[("03-runtime", "1001")]["status"] == "not submitted"
    assert rows[("01-crawler", "1001")]["email"] == "ada@school.example"
    assert {r["student_id"] for r in rows.values()} == {sid for sid, *_ in ROSTER}


def test_feedback_is_written_mid_course(term):
    course, *_, feedback, grades, report, rows = term
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    assert (course.root / "feedback" / "1002" / "01-crawler" / "crawler.html").is_file()
    assert "feedback: nothing graded for 03-runtime yet" in feedback.stdout


def test_the_log_is_worth_reading(term):
    course = term[0]
    log = (course.root / "logs" / "autograde" / "01-crawler" / "1001.log").read_text(encoding="utf-8")
    assert "has changed!" not in log and "SAWarning" not in log
    status = json.loads((course.root / "logs" / "autograde" / "status.json").read_text(encoding="utf-8"))
    assert status["01-crawler/1004"]["status"] == "failed"


def test_the_report_names_what_the_class_got_wrong(term):
    course = term[0]
    page = (course.root / "report" / "index.html").read_text(encoding="utf-8")
    assert "<svg" in page and "01-crawler" in page and "02-toolkit" in page
    order = [page.index(f"<h2>{a}</h2>") for a in ("01-crawler", "02-toolkit", "03-runtime", "04-crawler", "05-beyond")]
    assert order == sorted(order), "assignments out of course order"
    assert "1 students" not in page and "1 points" not in page
    assert "test_crawl_with_tasks: 1 of 4 failed" in page
    assert "crawl_with_tasks" in page and "every page should start at once" in page
    assert "Submissions that could not be graded" in page and "1004" in page


@needs_chromium
def test_the_report_reads_in_a_browser(term, browser):
    """Offline (no request leaves the file), charts drawn, the failure table in view: screenshots/class-report.png."""
    course = term[0]
    page = browser.new_page(viewport={"width": 1300, "height": 1100})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((course.root / "report" / "index.html").as_uri())
    charts = page.locator("svg")
    assert charts.count() >= 2 and charts.first.is_visible()
    box = charts.first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 50, box
    assert page.get_by_text("every page should start at once").first.is_visible()
    assert [url for url in requests if not url.startswith("file:")] == []
    shoot(page, "class-report")
    page.get_by_text("every page should start at once").first.scroll_into_view_if_needed()
    shoot(page, "class-report-failures")
    page.close()


def test_one_student_can_be_graded_again(term):
    course = term[0]
    before = (course.root / "logs" / "autograde" / "status.json").stat().st_mtime
    result = course.run("make", "--no-print-directory", "autograde", "ASSIGNMENT=01-crawler", "STUDENT=1002")
    assert "autograde: 1 submission(s)" in result.stdout and "[1/1] 01-crawler 1002: graded" in result.stdout
    assert points(course, crawler, "1002") == crawler.VARIANTS["tasks_awaited_one_by_one"][1]
    assert (course.root / "logs" / "autograde" / "status.json").stat().st_mtime >= before


def test_a_broken_resubmission_loses_nothing_and_everything_agrees(term):
    course = term[0]

    def collect(name: str, data: bytes, when) -> str:
        download = course.root / name
        with zipfile.ZipFile(download, "w") as zf:
            add(zf, "Fa Fang_1006_assignsubmission_file_crawler.ipynb", data, when=when)
        return course.run("make", "--no-print-directory", "collect", "ASSIGNMENT=01-crawler", f"ZIP={download}").stdout

    release = nbtools.read(course.root / "release" / "01-crawler" / "crawler.ipynb")
    good = notebook_bytes(nbtools.fill(release, nbtools.reference_answers(
        nbtools.read(course.root / "source" / "01-crawler" / "crawler.ipynb"))))
    collect("first.zip", good, (2026, 2, 25, 10, 0, 0))
    course.run("make", "--no-print-directory", "autograde", "ASSIGNMENT=01-crawler", "STUDENT=1006")
    course.make("feedback")
    feedback = course.root / "feedback" / "1006" / "01-crawler" / "crawler.html"
    assert feedback.exists() and sum(points(course, crawler, "1006").values()) == sum(crawler.FULL.values())

    said = collect("second.zip", good[: len(good) // 2], (2026, 2, 26, 10, 0, 0))  # newer, cut short
    assert "not a readable notebook: submitted/ keeps the readable one handed in before" in said, said
    submitted = course.root / "submitted" / "1006" / "01-crawler" / "crawler.ipynb"
    assert submitted.read_bytes() == good
    kept = sorted(p.name for p in (course.root / "archive" / "01-crawler" / "1006").iterdir())
    assert kept == ["20260225-100000 Fa Fang_1006_assignsubmission_file_crawler.ipynb",
                    "20260226-100000 Fa Fang_1006_assignsubmission_file_crawler.ipynb"], kept

    # The same broken file put there by hand: graded, it fails, and nothing still shows the old grade.
    submitted.write_bytes(good[: len(good) // 2])
    course.run("make", "--no-print-directory", "autograde", "ASSIGNMENT=01-crawler", "STUDENT=1006", check=False)
    course.make("grades")
    with open(course.root / "grades.csv", newline="", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if (r["assignment"], r["student_id"]) == ("01-crawler", "1006"))
    assert row["score"] == "" and row["status"].startswith("failed:"), row
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        assert "1006" not in {s.student.id for s in gb.assignment_submissions("01-crawler")}
    assert not feedback.exists()
    submitted.write_bytes(good)  # as it was, for the tests after this one


def test_a_misnamed_notebook_is_reported_with_the_name_it_needs(term):
    course = term[0]
    folder = course.root / "submitted" / "1006" / "02-toolkit"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "my_toolkit_answers.ipynb").write_text("{}", encoding="utf-8")
    result = course.run("make", "--no-print-directory", "autograde", "ASSIGNMENT=02-toolkit", "STUDENT=1006",
                        check=False)
    status = json.loads((course.root / "logs" / "autograde" / "status.json").read_text(encoding="utf-8"))
    reason = status["02-toolkit/1006"]["reason"]
    assert "my_toolkit_answers.ipynb" in reason and "rename the student's notebook to toolkit.ipynb" in reason
    assert "No notebooks found" not in result.stdout and "toolkit.ipynb" in result.stdout

