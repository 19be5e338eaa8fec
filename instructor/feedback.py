"""Feedback pages that show each failed check's message, not the test that found it.

nbgrader builds a student's feedback from the autograded notebook, which
holds every test cell whole, hidden tests included (nbgrader issue 917: by
design), and tracebacks that quote the test's lines. ``HideTests`` removes
each test cell's hidden part and keeps of an error only what the check says
(its type and message: the expected value, what happened, the likely cause).
The visible part of a test stays: the student has it in their notebook.

On by default; an instructor who wants students to read the hidden tests
after the deadline sets ``c.HideTests.enabled = False`` in nbgrader_config.py.
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearHiddenTests
from traitlets import Bool


class HideTests(ClearHiddenTests):
    enabled = Bool(True, config=True, help="Remove hidden tests and tests' tracebacks from the feedback.")

    def preprocess(self, nb, resources):
        if not self.enabled:
            return nb, resources
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            return cell, resources
        self._remove_hidden_test_region(cell)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
