"""Grades that no grader set: ``python -m instructor.audit`` (run by ``make grades``).

Autograde writes only ``auto_score``.  A manual score or extra credit on a
grade comes from the formgrader or from someone writing the gradebook
directly; the sandbox keeps student code away from it, and this lists every
such grade so that the instructor can confirm each one.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from nbgrader.api import Gradebook


@dataclass(frozen=True)
class Override:
    student: str
    assignment: str
    notebook: str
    cell: str
    auto_score: float | None
    manual_score: float | None
    extra_credit: float | None

    def __str__(self) -> str:
        parts = []
        if self.manual_score is not None:
            parts.append(f"manual score {self.manual_score:g} (autograde gave {self.auto_score})")
        if self.extra_credit:
            parts.append(f"extra credit {self.extra_credit:g}")
        return f"{self.student} {self.assignment}/{self.notebook} {self.cell}: " + ", ".join(parts)


def overrides(db_url: str) -> list[Override]:
    found = []
    with Gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for submission in gb.assignment_submissions(assignment.name):
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        if grade.manual_score is not None or grade.extra_credit:
                            found.append(Override(submission.student.id, assignment.name, notebook.name, grade.name,
                                                  grade.auto_score, grade.manual_score, grade.extra_credit))
    return found


def main() -> None:
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
    db_url = CourseDirectory(config=config).db_url
    found = overrides(db_url)
    if not found:
        print("audit: every grade is the autograder's")
        return
    print(f"audit: {len(found)} grade(s) not set by the autograder; confirm each one:", file=sys.stderr)
    for override in found:
        print(f"  {override}", file=sys.stderr)


if __name__ == "__main__":
    main()
