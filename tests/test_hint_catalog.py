"""The tests' own words in Chinese (coursekit/hints_zh.py): every one of them, placed right.

The tests are the test cells of the notebooks and the check modules they import (coursekit/checks/*.py).
"""

from __future__ import annotations

import string

import pytest

from coursekit import messages
from coursekit.hints_zh import HINTS_ZH
from instructor import hint_catalog


def placeholders(text: str) -> list[str | None]:
    return [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]


def test_every_text_of_the_tests_has_its_chinese():
    lacking = hint_catalog.missing(HINTS_ZH)
    assert not lacking, "texts of the tests without Chinese (python -m instructor.hint_catalog):\n" + "\n".join(lacking)


def test_the_catalog_holds_nothing_the_tests_no_longer_say():
    assert sorted(set(HINTS_ZH) - set(hint_catalog.test_cell_texts())) == []


def test_the_data_the_catalog_leaves_out_is_still_in_the_tests():
    """NOT_PROSE names texts that are compared or called as they are: each must still be written somewhere."""
    sources = "\n".join(source for _, source in hint_catalog.test_sources())
    stale = [text for text in hint_catalog.NOT_PROSE if text.split("{}")[0].replace("{{", "{").replace("}}", "}") not in sources]
    assert stale == []


def test_the_check_modules_are_read_too():
    """A text moved from a test cell into coursekit/checks/ still needs its Chinese, and is found there."""
    where = hint_catalog.test_cell_texts()
    assert where["the urls crawl_page was called with, in order"] == ["coursekit/checks/crawler.py"]
    assert where["the mirrors download() was called for"] == ["coursekit/checks/toolkit.py"]


def test_a_check_module_text_without_chinese_is_listed(tmp_path):
    checks = tmp_path / "coursekit" / "checks"
    checks.mkdir(parents=True)
    (tmp_path / "source").mkdir()
    (checks / "extra.py").write_text(
        '"""The test side of an assignment: its docstring is no hint."""\n\n\n'
        'def check_extra(func):\n    """Nor is this one."""\n'
        '    fail(f"{func.__name__} forgot to await the page", cause=None)\n', encoding="utf-8")
    assert hint_catalog.missing({}, tmp_path) == {"{} forgot to await the page": ["coursekit/checks/extra.py"]}
    assert hint_catalog.missing({"{} forgot to await the page": "{0} 忘了 await 页面"}, tmp_path) == {}


@pytest.mark.parametrize("english", sorted(HINTS_ZH))
def test_each_translation_fills_the_same_values(english):
    chinese = HINTS_ZH[english]
    count = len(placeholders(english))
    assert all(field == "" for field in placeholders(english))
    assert sorted(placeholders(chinese)) == sorted(str(n) for n in range(count))
    chinese.format(*["value"] * count)


def test_a_template_is_matched_and_its_values_translated_too():
    messages.use_language("zh")
    try:
        text = messages.translate("awaiting crawl_page(url) directly runs it inside crawl_with_tasks itself: "
                                  "create every task first (asyncio.create_task(crawl_page(url))), then await them")
        assert text.startswith("直接 await crawl_page(url) ") and "crawl_with_tasks" in text
        assert text.endswith("先创建所有任务（asyncio.create_task(crawl_page(url))），再 await 它们")
    finally:
        messages.use_language("en")
    assert messages.translate("create every task first (asyncio.create_task(crawl_page(url))), then await them") == (
        "create every task first (asyncio.create_task(crawl_page(url))), then await them")


def test_a_value_may_be_empty():
    """str(NotImplementedError()) is empty: the most common failure of an unwritten exercise is still translated."""
    messages.use_language("zh")
    try:
        text = messages.translate("results_by_deadline(jobs, 2.5) raised TimeoutError() instead of returning it as "
                                  "that job's entry: collect results and errors alike with "
                                  "asyncio.gather(..., return_exceptions=True)")
    finally:
        messages.use_language("en")
    assert text.startswith("results_by_deadline(jobs, 2.5) 抛出了 TimeoutError()"), text
