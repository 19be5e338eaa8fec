"""Screen a submission's code before nbgrader runs it: an nbgrader preprocessor.

Runs in autograde's sanitizing step, after nbgrader has restored the course's
own cells from the gradebook.  A cell is trusted when it is one of those
cells, unchanged (locked, or a test); every other code cell (solutions, Try-it
cells, cells the student added) is checked against ``coursekit.policy``.

A cell that breaks a rule is not run: its code is kept as comments under a
note that says why, and it raises an error instead.  Tests that depend on it
fail, so the submission earns only what its other cells earn.  Every
violation is logged and written to ``<notebook>.screening.json`` beside the
autograded notebook, for the instructor's report.
"""

from __future__ import annotations

import json
import os

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from coursekit import policy

NOTE = "# The autograder did not run this cell: it breaks the course's rules for graded code (coursekit.policy)."


def neutralised(source: str, violations: list[policy.Violation]) -> str:
    """The cell as it is run instead: the reasons, the student's code as comments, and an error."""
    reasons = [f"#   line {v.line}: {v.reason}" for v in violations]
    kept = [f"# {line}" if line else "#" for line in source.splitlines()]
    message = "not run by the autograder, see the reasons above: " + "; ".join(
        f"line {v.line}: {v.reason}" for v in violations
    )
    return "\n".join([NOTE, *reasons, "# Your code, kept as it was:", *kept, f"raise RuntimeError({message!r})"])


class ScreenCode(NbGraderPreprocessor):
    """Flag and disarm the cells that break ``coursekit.policy``."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        trusted = self._trusted(nb, info)
        violations = policy.check_cells(nb.cells, trusted)
        by_cell: dict[int, list[policy.Violation]] = {}
        for violation in violations:
            by_cell.setdefault(violation.cell, []).append(violation)
            self.log.warning(
                "screening: student %s, %s/%s, cell %d line %d: %s | %s",
                info["student"], info["assignment"], info["notebook"], violation.cell, violation.line,
                violation.reason, violation.code.strip(),
            )
        for index, found in by_cell.items():
            nb.cells[index].source = neutralised(nb.cells[index].source, found)
        self._record(info, violations)
        return nb, resources

    def _trusted(self, nb, info) -> list[bool]:
        """The course's own cells, restored from the gradebook and unchanged since."""
        trusted = []
        with Gradebook(info["db_url"]) as gb:
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                ok = False
                if grade_id is not None:
                    try:
                        stored = gb.find_source_cell(grade_id, info["notebook"], info["assignment"])
                    except MissingEntry:
                        stored = None
                    ok = stored is not None and stored.locked and stored.source == cell.source
                trusted.append(ok)
        return trusted

    def _record(self, info, violations: list[policy.Violation]) -> None:
        coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.autograded_directory, info["student"], info["assignment"])
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{info['notebook']}.screening.json")
        rows = [{"cell": v.cell, "line": v.line, "reason": v.reason, "code": v.code} for v in violations]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"student": info["student"], "assignment": info["assignment"], "notebook": info["notebook"],
                       "violations": rows}, f, ensure_ascii=False, indent=1)


def flagged(autograded: str) -> list[dict]:
    """Every screening record with violations under an autograded/ folder."""
    records = []
    for root, _, files in os.walk(autograded):
        for name in sorted(files):
            if name.endswith(".screening.json"):
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    record = json.load(f)
                if record["violations"]:
                    records.append(record)
    return sorted(records, key=lambda r: (r["assignment"], r["student"], r["notebook"]))


def main(argv: list[str] | None = None) -> None:
    """``python -m instructor.screening autograded``: list the cells the autograder refused to run."""
    import sys

    folder = (argv or sys.argv[1:] or ["autograded"])[0]
    records = flagged(folder)
    if not records:
        print("screening: no submission broke the rules for graded code")
        return
    print(f"screening: {len(records)} submission(s) had cells that were not run (they score nothing):")
    for record in records:
        print(f"  {record['student']} {record['assignment']}/{record['notebook']}:")
        for v in record["violations"]:
            print(f"    cell {v['cell']} line {v['line']}: {v['reason']}  |  {v['code'].strip()[:100]}")


if __name__ == "__main__":
    main()
