"""What every assignment says alike (its rules for graded code, its "Done?" cell) is worded alike, in both languages."""

from __future__ import annotations

import re

import pytest

from conftest import ASSIGNMENTS, ROOT
from instructor import nbtools

SOURCES = [path for a in ASSIGNMENTS for path in sorted((ROOT / "source" / a).glob("*.ipynb"))]
RULES = {"en": re.compile(r"\*\*Rules for graded code\.\*\*[^\n]*"), "zh": re.compile(r"\*\*评分代码的规则。\*\*[^\n]*")}


def texts(path) -> list[str]:
    return [cell.source for cell in nbtools.read(path).cells if cell.cell_type == "markdown"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_rules_for_graded_code_read_the_same_in_every_assignment(language):
    found = {path.parent.name: [m.group(0) for text in texts(path) for m in RULES[language].finditer(text)]
             for path in SOURCES}
    assert all(len(rules) == 1 for rules in found.values()), found
    assert len({rules[0] for rules in found.values()}) == 1, found


def test_the_done_cell_reads_the_same_in_every_assignment():
    first_lines = set()
    for path in SOURCES:
        done = [text for text in texts(path) if text.startswith("## Done? · 完成了吗？")]
        assert len(done) == 1, path
        english, chinese = (part.strip() for part in done[0].split("**中文**"))
        # The first sentence of each language is the same everywhere; an assignment may add an idea after it.
        first_lines.add((english.split("**Validate**.")[0], chinese.split("**Validate**（验证）。")[0]))
    assert len(first_lines) == 1, first_lines
