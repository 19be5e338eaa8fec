"""The Chinese edition of the lectures (notebooks/zh/) and the English one cannot drift apart.

Both editions have the same cells in the same order, with the same ids, types
and metadata; code cells are identical (source, outputs, execution count),
and so are the code blocks inside the text. Only the prose differs. A change
to a code cell in one edition fails here until the other has it too.
"""

from __future__ import annotations

import copy
import re

import nbformat
import pytest

from conftest import LECTURES, ZH_LECTURES

FENCED = re.compile(r"```.*?```", re.DOTALL)


def differences(english: nbformat.NotebookNode, chinese: nbformat.NotebookNode) -> list[str]:
    """Every way the two editions differ other than in their prose."""
    found = []
    if len(english.cells) != len(chinese.cells):
        found.append(f"{len(english.cells)} cells in English, {len(chinese.cells)} in Chinese")
    for number, (en, zh) in enumerate(zip(english.cells, chinese.cells)):
        where = f"cell {number} ({en.get('id')})"
        if en.get("id") != zh.get("id"):
            found.append(f"{where}: the Chinese cell has id {zh.get('id')}")
        if en.cell_type != zh.cell_type:
            found.append(f"{where}: {en.cell_type} in English, {zh.cell_type} in Chinese")
            continue
        if en.metadata != zh.metadata:
            found.append(f"{where}: metadata differ")
        if en.cell_type == "code":
            for key in ("source", "outputs", "execution_count"):
                if en.get(key) != zh.get(key):
                    found.append(f"{where}: the code cells' {key} differ")
        elif FENCED.findall(en.source) != FENCED.findall(zh.source):
            found.append(f"{where}: the code blocks in the text differ")
    return found


def test_every_lecture_has_a_chinese_edition():
    assert [p.name for p in ZH_LECTURES] == [p.name for p in LECTURES]


@pytest.mark.parametrize("english", LECTURES, ids=lambda p: p.stem)
def test_the_editions_match(english):
    chinese = english.parent / "zh" / english.name
    found = differences(nbformat.read(str(english), as_version=4), nbformat.read(str(chinese), as_version=4))
    assert not found, f"{english.name}: the editions drifted apart:\n" + "\n".join(found)


@pytest.mark.parametrize("english", LECTURES, ids=lambda p: p.stem)
def test_the_editions_link_each_other(english):
    en = nbformat.read(str(english), as_version=4).cells[0].source
    zh = nbformat.read(str(english.parent / "zh" / english.name), as_version=4).cells[0].source
    assert f"(zh/{english.name})" in en and f"(../{english.name})" in zh


def test_a_changed_code_cell_is_caught():
    english = nbformat.read(str(LECTURES[0]), as_version=4)
    chinese = nbformat.read(str(ZH_LECTURES[0]), as_version=4)
    assert differences(english, chinese) == []
    edited = copy.deepcopy(chinese)
    cell = next(c for c in edited.cells if c.cell_type == "code")
    cell.source += "\nprint('only in one edition')"
    assert differences(english, edited) == [f"cell {edited.cells.index(cell)} ({cell.id}): the code cells' source differ"]
    # Prose may differ; a code block inside the prose may not.
    prose = copy.deepcopy(chinese)
    text = next(c for c in prose.cells if c.cell_type == "markdown" and not FENCED.search(c.source))
    text.source = "不同的文字。"
    assert differences(english, prose) == []
    text.source = "```python\nawait asyncio.sleep(1)\n```"
    assert differences(english, prose) == [f"cell {prose.cells.index(text)} ({text.id}): the code blocks in the text differ"]
