"""make autograde (instructor/autograde.py) on its own: what it does with assignments, and how many processes.

The whole pipeline, every right and wrong submission, is tests/test_pipeline.py; a class term is tests/test_class.py.
"""

from __future__ import annotations

import pytest

from conftest import ASSIGNMENTS
from instructor import nbtools
from instructor.autograde import interleaved, processes_for
from instructor.course import CourseCopy
import submissions


def test_cores_get_twice_as_many_processes_and_one_stays_serial():
    assert [processes_for(jobs) for jobs in (1, 2, 3, 4, 8)] == [1, 4, 6, 8, 16]


def test_submissions_are_handed_out_one_assignment_after_another():
    work = [("a", "s1"), ("a", "s2"), ("a", "s3"), ("b", "s1"), ("c", "s1"), ("c", "s2")]
    assert interleaved(work) == [("a", "s1"), ("b", "s1"), ("c", "s1"), ("a", "s2"), ("c", "s2"), ("a", "s3")]


@pytest.mark.slow
def test_assignments_nobody_submitted_yet_are_skipped(tmp_path, released):
    course = CourseCopy(tmp_path)
    module = submissions.modules()[0]
    course.copy_release(released)
    release = nbtools.read(course.root / "release" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
    course.submit("early_bird", module.ASSIGNMENT, module.NOTEBOOK, release)
    result = course.make("autograde")  # raises if make fails
    later = [a for a in ASSIGNMENTS if a != module.ASSIGNMENT]
    for assignment in later:
        assert f"autograde: no submissions for {assignment} yet" in result.stdout
    assert (course.root / "autograded" / "early_bird" / module.ASSIGNMENT).is_dir()
