"""The instructor's pipeline, end to end: release, autograde, feedback, grades.

Every submission in tests/submissions/ is graded by the real nbgrader through
the Makefile in a copy of the course; scores are read back from the gradebook.
"""

from __future__ import annotations

import csv
import re

import pytest
from nbgrader.api import Gradebook

from instructor import nbtools
from conftest import ASSIGNMENTS
from instructor.course import CourseCopy
import submissions

pytestmark = [pytest.mark.slow, pytest.mark.long(4.5)]  # a test file runs on one worker (make test: --dist loadfile), so its fixtures run once

SUBMISSIONS = submissions.modules()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, released):
    """A course copy with every variant (and some broken input) submitted and autograded."""
    course = CourseCopy(tmp_path_factory.mktemp("course"))
    course.copy_release(released)
    for module in SUBMISSIONS:
        release = nbtools.read(course.root / "release" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
        reference = nbtools.reference_answers(
            nbtools.read(course.root / "source" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
        )
        for name, (answers, *_) in module.VARIANTS.items():
            course.submit(name, module.ASSIGNMENT, module.NOTEBOOK, nbtools.fill(release, {**reference, **answers}))
        course.submit("untouched", module.ASSIGNMENT, module.NOTEBOOK, release)
        broken = course.root / "submitted" / "broken" / module.ASSIGNMENT
        broken.mkdir(parents=True)
        (broken / f"{module.NOTEBOOK}.ipynb").write_text("{ this is not a notebook", encoding="utf-8")
    # make test's longest file: more grading processes give it a larger share of the cores while the other test
    # processes run (the points are a serial run's: test_class, benchmarks/class.py).
    autograde = course.make("autograde", "JOBS=2", check=False)
    return course, autograde


@pytest.fixture(scope="module")
def feedback(graded):
    course, _ = graded
    course.make("feedback", "JOBS=2", check=False)
    return course


def cell_points(course: CourseCopy, assignment: str, notebook: str, student: str) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(notebook, assignment, student)
        return {grade.name: grade.score for grade in nb.grades}


@pytest.mark.parametrize(
    "module, variant",
    [(m, v) for m in SUBMISSIONS for v in m.VARIANTS],
    ids=lambda x: getattr(x, "ASSIGNMENT", x),
)
def test_each_submission_gets_exactly_its_points(graded, module, variant):
    course, _ = graded
    _, expected, *messages = module.VARIANTS[variant]
    assert cell_points(course, module.ASSIGNMENT, module.NOTEBOOK, variant) == expected
    # What the student reads in the feedback for a lost point: the mistake, named.
    for cell, words in (messages[0] if messages else {}).items():
        text = failure_text(course, module, variant, cell)
        for phrase in [words] if isinstance(words, str) else words:
            assert phrase in text, f"{variant}: {cell} says\n{text}"


def failure_text(course: CourseCopy, module, student: str, cell_id: str) -> str:
    """The error a graded cell showed in the autograded notebook (ANSI colours removed)."""
    import re

    nb = nbtools.read(course.root / "autograded" / student / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell_id]
    text = "\n".join("\n".join(o.get("traceback", [])) + o.get("text", "") for o in cell.outputs)
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.parametrize("module", SUBMISSIONS, ids=lambda m: m.ASSIGNMENT)
def test_untouched_release_scores_zero(graded, module):
    course, _ = graded
    points = cell_points(course, module.ASSIGNMENT, module.NOTEBOOK, "untouched")
    assert points and set(points.values()) == {0}


def test_broken_submission_is_reported_and_others_are_graded(graded):
    course, autograde = graded
    log = autograde.stdout + autograde.stderr
    assert autograde.returncode != 0, "a broken submission should make `make autograde` fail loudly"
    assert "broken" in log and "some submissions failed" in log
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        for module in SUBMISSIONS:
            graded_students = {s.student.id for s in gb.assignment_submissions(module.ASSIGNMENT)}
            assert set(module.VARIANTS) | {"untouched"} <= graded_students


def test_grades_csv_lists_every_student(graded):
    course, _ = graded
    course.make("grades")
    with open(course.root / "grades.csv", newline="") as f:
        table = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    rows = {key: float(r["score"]) for key, r in table.items() if r["score"] != ""}
    for module in SUBMISSIONS:
        for variant, (_, expected, *_) in module.VARIANTS.items():
            assert rows[(module.ASSIGNMENT, variant)] == sum(expected.values()), variant
        assert rows[(module.ASSIGNMENT, "untouched")] == 0.0
        broken = table[(module.ASSIGNMENT, "broken")]
        assert broken["status"].startswith("failed: ") and broken["score"] == "", broken
        full = sum(module.FULL.values())
        assert any(0 < rows[(module.ASSIGNMENT, v)] < full for v in module.VARIANTS), "no partial score to check"


def test_feedback_is_written_for_graded_students(feedback):
    course = feedback
    for module in SUBMISSIONS:
        page = course.root / "feedback" / "reference" / module.ASSIGNMENT / f"{module.NOTEBOOK}.html"
        assert page.is_file()
        html = page.read_text(encoding="utf-8")
        # It reads offline, and long hints wrap inside their boxes.
        assert not re.search(r"<script[^>]+src=[\"']https?://", html) and "MathJax.js" not in html and "cdnjs" not in html
        assert "overflow-wrap: anywhere" in html


def test_feedback_shows_each_failed_message_but_not_the_hidden_tests(feedback):
    import html as html_lib

    course = feedback
    for module in SUBMISSIONS:
        source = nbtools.read(course.root / "source" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
        release = nbtools.read(course.root / "release" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
        visible = "\n".join(cell.source for cell in release.cells)
        hidden = [line.strip() for cell in source.cells for line in hidden_part(cell.source)
                  if len(line.strip()) > 12 and line.strip() not in visible]  # lines only the hidden tests hold
        assert hidden, f"{module.ASSIGNMENT} has no hidden tests to keep out of the feedback"
        for variant, (_, expected, *messages) in module.VARIANTS.items():
            if not messages or not messages[0]:
                continue
            page = course.root / "feedback" / variant / module.ASSIGNMENT / f"{module.NOTEBOOK}.html"
            text = html_lib.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
            for words in messages[0].values():
                for phrase in [words] if isinstance(words, str) else words:
                    assert phrase in text, f"{variant}: the feedback lacks {phrase!r}"
            leaked = [line for line in hidden if line in text]
            assert not leaked, f"{variant}'s feedback shows hidden tests: {leaked[:3]}"


def hidden_part(source: str) -> list[str]:
    lines = source.splitlines()
    if "### BEGIN HIDDEN TESTS" not in lines:
        return []
    return lines[lines.index("### BEGIN HIDDEN TESTS") + 1:lines.index("### END HIDDEN TESTS")]


def test_every_assignment_has_submissions():
    assert {m.ASSIGNMENT for m in SUBMISSIONS} == set(ASSIGNMENTS)
