"""The test cells' own words in Chinese (coursekit/hints_zh.py): every one of them, placed right."""

from __future__ import annotations

import string

import pytest

from coursekit import messages
from coursekit.hints_zh import HINTS_ZH
from instructor import hint_catalog


def placeholders(text: str) -> list[str | None]:
    return [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]


def test_every_text_of_the_test_cells_has_its_chinese():
    lacking = hint_catalog.missing(HINTS_ZH)
    assert not lacking, "texts of test cells without Chinese (python -m instructor.hint_catalog):\n" + "\n".join(lacking)


def test_the_catalog_holds_nothing_the_test_cells_no_longer_say():
    assert sorted(set(HINTS_ZH) - set(hint_catalog.test_cell_texts())) == []


def test_the_data_the_catalog_leaves_out_is_still_in_the_test_cells():
    """NOT_PROSE names texts that are compared or called as they are: each must still be written somewhere."""
    import nbformat

    sources = "\n".join(
        cell.source
        for path in sorted((hint_catalog.REPO / "source").glob("*/*.ipynb"))
        for cell in nbformat.read(str(path), as_version=4).cells
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")
    )
    stale = [text for text in hint_catalog.NOT_PROSE if text.split("{}")[0].replace("{{", "{").replace("}}", "}") not in sources]
    assert stale == []


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
