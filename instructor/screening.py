"""Screen a submission's code before nbgrader runs it: an nbgrader preprocessor.

Runs in autograde's sanitizing step, after nbgrader has restored the course's
own cells from the gradebook.  A cell is trusted when it is one of those
cells, unchanged (locked, or a test); every other code cell (solutions, Try-it
cells, cells the student added) is checked against ``coursekit.policy``.

A cell with a finding is not run: its code is kept as comments under a note,
and it raises an error that gives the reasons, in the notebook's language,
instead.  Tests that depend on it fail, so the submission earns only what its
other cells earn.  Every finding is logged and written to
``<notebook>.screening.json`` beside the autograded notebook, for the
instructor's report (cells numbered from 1, as JupyterLab shows them).

What a refused cell becomes, and the screening itself, are shared with
``nbgrader validate`` (the Validate button), which students run without this
package: they live in ``coursekit.validation`` (``Screening``,
``neutralised``, ``ScreenForValidation``); this module adds the gradebook
and the instructor's records.
"""

from __future__ import annotations

import json
import logging
import os

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory

from coursekit import policy
from coursekit.validation import ScreenForValidation, Screening, neutralised  # noqa: F401 - shared with validate

__all__ = ["ScreenCode", "ScreenForValidation", "neutralised", "flagged", "main"]


class ScreenCode(Screening):
    """Flag and disarm the cells that ``coursekit.policy`` has findings in (autograde)."""

    log_level = logging.WARNING  # the instructor reads every finding in autograde's log

    @staticmethod
    def _who(info) -> str:
        return f"student {info['student']}, {info['assignment']}/{info['notebook']}" if info else "this notebook"

    def _trusted(self, nb, info) -> list[bool]:
        """The course's own cells, restored from the gradebook and unchanged since."""
        if not info:  # no gradebook (not autograding): the cells as released, by their checksums
            return super()._trusted(nb, info)
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
        if not info:
            return
        coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.autograded_directory, info["student"], info["assignment"])
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{info['notebook']}.screening.json")
        rows = [{"cell": v.cell, "line": v.line, "rule": v.rule, "reason": v.reason_in("en"), "code": v.code,
                 "cells": v.total} for v in violations]
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
