"""The Chinese and English editions: lectures that cannot drift apart, assignments in either language.

Lectures: both editions have the same cells in the same order, with the same
ids, types and metadata; code cells are identical (source, outputs, execution
count), and so are the code blocks inside the text. Only the prose differs. A
change to a code cell in one edition fails here until the other has it too.

Assignments (instructor/editions.py): the bilingual student versions in
English or Chinese only, the same cells and code, valid for `nbgrader
validate`. That one autograde run grades both alike is in test_messages.py.
"""

from __future__ import annotations

import copy
import re

import nbformat
import pytest

from conftest import LECTURES, ROOT, ZH_LECTURES
from instructor import editions

pytestmark = pytest.mark.long(1)  # started among the first (tests/conftest.py): ending last, it held the suite up

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


RELEASED = sorted((ROOT / "release").glob("*/*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_a_bilingual_cell_in_each_edition():
    cell = "## Exercise 1 · `f` · 练习 1\n\n```python\ndef f()\n```\n\nDo it.\n\n**中文**\n\n按上面的签名写。"
    # Each heading in its own language only; the Chinese one keeps the name the English one shows.
    assert editions.text_in(cell, "en") == "## Exercise 1 · `f`\n\n```python\ndef f()\n```\n\nDo it."
    assert editions.text_in(cell, "zh") == "## 练习 1 · `f`\n\n```python\ndef f()\n```\n\n按上面的签名写。"
    assert editions.text_in(cell, "bilingual") == cell
    assert editions.text_in("No mark here.", "zh") == "No mark here."
    # An example the Chinese shows itself, commented in Chinese, is not shown twice.
    example = "## Ex\n\n```python\nf()  # returns 1\n```\n\n**中文**\n\n示例：\n\n```python\nf()  # 返回 1\n```"
    assert editions.text_in(example, "zh") == "## Ex\n\n示例：\n\n```python\nf()  # 返回 1\n```"
    assert editions.versions(cell) == {cell, editions.text_in(cell, "en"), editions.text_in(cell, "zh")}
    assert editions.heading_in("## Exercise 2 · `g` (2 points) · 练习 2（2 分）", "zh") == "## 练习 2 · `g`（2 分）"
    assert editions.heading_in("## Done? · 完成了吗？", "en") == "## Done?"
    assert editions.heading_in("# Assignment 1 · A crawler · 作业 1 · 爬虫", "zh") == "# 作业 1 · 爬虫"
    assert editions.heading_in("## Only one language · here", "zh") == "## Only one language · here"


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_edition_of_a_student_version(path, language):
    from nbgrader.utils import compute_checksum, is_locked

    bilingual = nbformat.read(str(path), as_version=4)
    edition = editions.edition(bilingual, language)
    assert edition.metadata["coursekit"] == {"language": language}
    assert [(c.id, c.cell_type) for c in edition.cells] == [(c.id, c.cell_type) for c in bilingual.cells]
    for given, made in zip(bilingual.cells, edition.cells):
        if given.cell_type == "code":
            assert made == given
            continue
        assert "**中文**" in given.source and "**中文**" not in made.source
        for heading in (line for line in editions.FENCED.sub("", made.source).splitlines() if line.startswith("#")):
            words = re.sub(r"`[^`]*`|asyncio", "", heading)  # names (in code, or asyncio) are the same in both
            # One language per heading: no English word in a Chinese one, no Chinese in an English one.
            assert (not re.search(r"[A-Za-z]{2,}", words)) if language == "zh" else not CJK.search(words), heading
        prose = "\n".join(line for line in made.source.splitlines() if not line.startswith("#"))
        prose = editions.FENCED.sub("", prose)
        if language == "zh":
            assert CJK.search(prose), made.source
        else:  # English prose may quote Chinese (a title, a date), never a Chinese sentence
            assert "。" not in prose, made.source
        if is_locked(made):  # what `nbgrader validate` checks: the student's cell is as given
            assert made.metadata.nbgrader["checksum"] == compute_checksum(made)
        # The Chinese text says "the signature above": the signature is there, and every example's code.
        shown = {editions.code_of(block) for block in editions.FENCED.findall(made.source)}
        for block in editions.FENCED.findall(given.source.split("**中文**")[0]):
            assert editions.code_of(block) in shown, block
    with pytest.raises(editions.NotBilingual):
        editions.edition(edition, "en")


def test_make_release_in_one_language(tmp_path):
    """make release EDITION=zh writes the Chinese edition; the gradebook is the one of the bilingual source."""
    from instructor.course import CourseCopy

    course = CourseCopy(tmp_path)
    course.run("make", "--no-print-directory", "release", "EDITION=zh")
    released = sorted((course.root / "release").glob("*/*.ipynb"))
    assert [p.relative_to(course.root) for p in released] == [p.relative_to(ROOT) for p in RELEASED]
    for path in released:
        assert nbformat.read(str(path), as_version=4).metadata["coursekit"]["language"] == "zh"
    # Made from the bilingual release only: the edition of an edition would lose the other language for good.
    again = course.run(".venv/bin/python", "-m", "instructor.editions", "en", check=False)
    assert again.returncode != 0 and "run `make release`" in again.stderr


def test_validate_answers_in_the_language_of_the_edition(tmp_path):
    """The Validate button (nbgrader validate) names no notebook to the kernel: it finds the only one in its folder."""
    import os
    import subprocess
    import sys

    from instructor.course import clean_environment
    from submissions import answered, crawler

    nbformat.write(answered(crawler, crawler.VARIANTS["blocking_sleep"][0], ROOT, "zh"), str(tmp_path / "crawler.ipynb"))
    env = clean_environment()
    env.pop("COURSEKIT_LANGUAGE", None)
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "validate", "crawler.ipynb"],
                            cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert "异步代码里出现了阻塞调用 time.sleep" in result.stdout, result.stdout + result.stderr
    assert "blocking call time.sleep" not in result.stdout
