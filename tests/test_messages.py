"""The grading toolkit's messages for the classic mistakes, in English and in Chinese."""

from __future__ import annotations

import asyncio
import string
import time

import pytest

from conftest import run_in_kernel
from coursekit import messages
from coursekit.grading import run_async


@pytest.fixture
def chinese():
    messages.use_language("zh")
    yield
    messages.use_language("en")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# How many, as a language says it: "2 tasks were" in English (count), a bare number in Chinese (number).
GRAMMAR = {"count", "number"}


def test_every_message_is_in_every_language_with_the_same_blanks():
    for key, texts in messages.MESSAGES.items():
        assert set(texts) == set(messages.LANGUAGES), key
        assert fields(texts["zh"]) - GRAMMAR == fields(texts["en"]) - GRAMMAR, key
        assert bool(fields(texts["zh"]) & GRAMMAR) == bool(fields(texts["en"]) & GRAMMAR), key


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="choose one of en, zh, en\\+zh"):
        messages.use_language("fr")


async def blocking():
    time.sleep(0.01)


async def deadlock():
    await asyncio.get_running_loop().create_future()


async def never_awaited():
    asyncio.sleep(1)


async def slow():
    await asyncio.sleep(3)


def failure(func) -> str:
    with pytest.raises(AssertionError) as caught:
        run = run_async(func)
        from coursekit.grading import expect_loop_time

        expect_loop_time(run, 1.0)
    return str(caught.value)


def test_classic_mistakes_in_chinese(chinese):
    assert "异步代码里出现了阻塞调用 time.sleep(0.01)" in failure(blocking)
    assert "死锁" in failure(deadlock)
    assert "从未 await" in failure(never_awaited)
    assert failure(slow).startswith("slow 在事件循环时钟上用了 3 秒，应为 1 秒")


def test_classic_mistakes_in_english():
    assert "blocking call time.sleep(0.01) inside async code" in failure(blocking)
    assert failure(slow).startswith("slow took 3 s of loop time instead of 1 s")


def test_the_kernel_takes_the_language_from_its_environment(monkeypatch):
    monkeypatch.setenv("COURSEKIT_LANGUAGE", "zh")
    [[output]] = run_in_kernel(
        "import asyncio\nfrom coursekit.grading import run_async, expect_loop_time\n"
        "async def slow():\n    await asyncio.sleep(3)\n"
        "try:\n    expect_loop_time(run_async(slow), 1.0)\nexcept AssertionError as e:\n    print(e)"
    )
    assert output["text"].startswith("slow 在事件循环时钟上用了 3 秒，应为 1 秒")


def test_the_kernel_takes_the_language_of_its_notebook(monkeypatch):
    """Jupyter names the session's notebook (JPY_SESSION_NAME): an edition in one language is answered in it."""
    from conftest import ZH_LECTURES, LECTURES

    monkeypatch.setenv("COURSEKIT_LANGUAGE", "en")
    code = "from coursekit.messages import language\nprint(language())"
    monkeypatch.setenv("JPY_SESSION_NAME", str(ZH_LECTURES[0]))
    assert run_in_kernel(code)[0][0]["text"] == "zh\n"
    monkeypatch.setenv("JPY_SESSION_NAME", str(LECTURES[0]))
    monkeypatch.setenv("COURSEKIT_LANGUAGE", "zh")
    assert run_in_kernel(code)[0][0]["text"] == "en\n"


def test_a_bilingual_notebook_hears_each_failure_in_english_then_in_chinese():
    messages.use_language(messages.BOTH)
    try:
        english, chinese = failure(slow).split("\n\n")
    finally:
        messages.use_language("en")
    assert english.startswith("slow took 3 s of loop time instead of 1 s")
    assert chinese.startswith("slow 在事件循环时钟上用了 3 秒，应为 1 秒")


def test_whom_a_kernel_speaks_to():
    """A notebook in one language wins; a bilingual one speaks the environment's language when set, else both."""
    choose = messages.chosen_language
    assert choose("zh", "en") == "zh" and choose("en", "zh") == "en"
    assert choose("en+zh", "zh") == "zh" and choose("en+zh", None) == "en+zh" and choose("en+zh", "fr") == "en+zh"
    assert choose(None, "zh") == "zh" and choose(None, None) == "en"


def test_only_a_language_of_ours_is_declared():
    """A submission's metadata is the student's to write: anything else means no language, never an error."""
    assert messages.declared_language({"coursekit": {"language": "zh"}}) == "zh"
    assert messages.declared_language({"coursekit": {"language": "en+zh"}}) == "en+zh"
    for metadata in ({}, {"coursekit": "zh"}, {"coursekit": ["zh"]}, {"coursekit": {"language": ["zh"]}},
                     {"coursekit": {"language": "fr"}}, {"coursekit": None}, None, "zh"):
        assert messages.declared_language(metadata) is None


def test_a_test_cells_words_in_chinese(chinese):
    """Hints and the names of what was checked come from coursekit.hints_zh, the values inside them too."""
    from coursekit.grading import Checks, fail

    with pytest.raises(AssertionError) as caught:
        with Checks("crawl_one_by_one(['url_1', 'url_2'])") as check:
            check.fact(False, "crawl_page was never called", hint="await crawl_page(url) for each url in turn")
            check.expect([1], [2], "the result", hint="return one result per url, in the order of urls")
    assert str(caught.value) == (
        "crawl_one_by_one(['url_1', 'url_2'])还不对：\n"
        "  1. crawl_page 从未被调用：依次对每个 url 执行 await crawl_page(url)\n"
        "  2. 结果：应为 [2]，实际为 [1]。按 urls 的顺序，每个 url 返回一个结果"
    )
    with pytest.raises(AssertionError, match="^为每个 url 创建一个运行 crawl_page\\(url\\) 的任务：先创建所有任务"):
        fail("create a task for crawl_page(url) for every url: "
             "create every task first (asyncio.create_task(crawl_page(url))), then await them")
    with pytest.raises(AssertionError, match="^a text the catalog does not have stays as it is$"):
        fail("a text the catalog does not have stays as it is")


@pytest.mark.slow
def test_one_autograde_run_answers_each_student_in_their_edition(tmp_path, released):
    """The same answers in the English, the Chinese and the bilingual edition: the same points from one run,
    each student's feedback in the language of their notebook (both, for the bilingual one)."""
    from instructor import nbtools
    from instructor.course import CourseCopy
    from nbgrader.api import Gradebook
    from submissions import answered, crawler

    course = CourseCopy(tmp_path)
    course.copy_release(released)
    # Two mistakes: the toolkit reports the first (a blocking call), the test cell's own words the second.
    answers = {**crawler.VARIANTS["blocking_sleep"][0], **crawler.VARIANTS["one_by_one_concurrent"][0]}
    expected = crawler.scores(test_crawl_page=0, test_crawl_one_by_one=0)
    students = {"reads_english": "en", "reads_chinese": "zh", "reads_both": "bilingual"}
    for student, edition in students.items():
        course.submit(student, crawler.ASSIGNMENT, crawler.NOTEBOOK, answered(crawler, answers, course.root, edition))
    # A submission's metadata is the student's to write: a language the course does not know changes nothing.
    odd = answered(crawler, answers, course.root)
    odd.metadata["coursekit"] = ["zh"]
    course.submit("odd_metadata", crawler.ASSIGNMENT, crawler.NOTEBOOK, odd)
    students["odd_metadata"] = "bilingual"
    course.run("make", "--no-print-directory", "autograde", f"ASSIGNMENT={crawler.ASSIGNMENT}")
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        points = {s: {g.name: g.score for g in gb.find_submission_notebook(crawler.NOTEBOOK, crawler.ASSIGNMENT, s).grades
                      if g.max_score} for s in students}
    assert points["reads_english"] == points["reads_chinese"] == points["reads_both"] == expected
    assert points["odd_metadata"] == expected
    graded = {s: nbtools.read(course.root / "autograded" / s / crawler.ASSIGNMENT / f"{crawler.NOTEBOOK}.ipynb")
              for s in students}
    errors = {s: "\n".join(o.get("evalue", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error")
              for s, nb in graded.items()}
    assert "blocking call time.sleep" in errors["reads_english"]
    assert "each page should start when the one before it has finished" in errors["reads_english"]
    assert "异步代码里出现了阻塞调用 time.sleep" in errors["reads_chinese"]
    assert "每个页面都应在前一个页面完成时开始" in errors["reads_chinese"], errors["reads_chinese"]
    assert not any(c in errors["reads_english"] for c in "阻塞页面")
    assert "blocking call time.sleep" in errors["reads_both"] and "异步代码里出现了阻塞调用 time.sleep" in errors["reads_both"]
    assert "每个页面都应在前一个页面完成时开始" in errors["reads_both"]
    assert "blocking call time.sleep" in errors["odd_metadata"] and "异步代码里出现了阻塞调用" not in errors["odd_metadata"]
    # The course's locked text cells keep the student's edition, so the feedback reads in one language.
    intro = {s: nb.cells[0].source for s, nb in graded.items()}
    assert "**中文**" not in intro["reads_chinese"] and "Write the four coroutines" not in intro["reads_chinese"]
    assert "**中文**" not in intro["reads_english"] and "Write the four coroutines" in intro["reads_english"]
