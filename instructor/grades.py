"""grades.csv with a status for every row: ``python -m instructor.grades`` (make grades).

nbgrader's own export gives every student a row for every assignment, with 0
for an assignment not submitted yet and 0 for a submission that failed to
grade: neither can be told from a real 0.  This writes nbgrader's columns
(assignment, duedate, timestamp, student_id, last_name, first_name, email,
raw_score, late_submission_penalty, score, max_score) and a ``status``:
``graded``, ``graded, late by ...``, ``failed: <reason>``, ``not graded yet``
or ``not submitted``; the score is left empty where nothing was graded.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from instructor.autograde import read_status

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email", "raw_score",
           "late_submission_penalty", "score", "max_score", "status"]


def _late(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes / 60 / 24:.1f} days" if minutes >= 60 * 24 else f"{minutes / 60:.1f} h" if minutes >= 60 else f"{minutes:.0f} min"


def rows(course: Path, db_url: str) -> list[dict]:
    status = read_status(course)
    table = []
    with Gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for student in gb.students:
                row = {
                    "assignment": assignment.name,
                    "duedate": assignment.duedate or "",
                    "student_id": student.id,
                    "last_name": student.last_name or "",
                    "first_name": student.first_name or "",
                    "email": student.email or "",
                    "max_score": assignment.max_score,
                }
                recorded = status.get(f"{assignment.name}/{student.id}")
                submitted = (course / "submitted" / student.id / assignment.name).is_dir()
                try:
                    submission = gb.find_submission(assignment.name, student.id)
                except MissingEntry:
                    submission = None
                if recorded and recorded["status"] == "failed":
                    row.update(timestamp=submission.timestamp if submission else "", raw_score="", score="",
                               late_submission_penalty="", status=f"failed: {recorded['reason']}")
                elif submission is not None and (recorded or _was_autograded(course, assignment.name, student.id)):
                    late, penalty = submission.total_seconds_late, submission.late_submission_penalty or 0.0
                    row.update(timestamp=submission.timestamp or "", raw_score=submission.score,
                               late_submission_penalty=penalty, score=max(submission.score - penalty, 0.0),
                               status=f"graded, late by {_late(late)}" if late > 0 else "graded")
                else:
                    row.update(timestamp="", raw_score="", late_submission_penalty="", score="",
                               status="not graded yet" if submitted else "not submitted")
                table.append(row)
    return table


def _was_autograded(course: Path, assignment: str, student: str) -> bool:
    return (course / "autograded" / student / assignment).is_dir()


def write(course: Path, db_url: str, path: Path) -> list[dict]:
    table = rows(course, db_url)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    return table


def db_url_of(course: Path) -> str:
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    return CourseDirectory(config=config).db_url


def main() -> None:
    course = Path.cwd()
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else course / "grades.csv"
    table = write(course, db_url_of(course), path)
    counts: dict[str, int] = {}
    for row in table:
        key = row["status"].split(":")[0].split(",")[0]
        counts[key] = counts.get(key, 0) + 1
    print(f"wrote {path.name}: {len(table)} rows (" + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ")")


if __name__ == "__main__":
    main()
