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


def test_every_message_is_in_every_language_with_the_same_blanks():
    for key, texts in messages.MESSAGES.items():
        assert set(texts) == set(messages.LANGUAGES), key
        assert fields(texts["zh"]) == fields(texts["en"]), key


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="choose one of en, zh"):
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
    assert failure(slow).startswith("slow 用了 3 秒的循环时间，应为 1 秒")


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
    assert output["text"].startswith("slow 用了 3 秒的循环时间，应为 1 秒")


@pytest.mark.slow
def test_a_submission_graded_in_chinese_gets_the_same_points(tmp_path):
    """The language changes the toolkit's words in the feedback, never the points."""
    from instructor import nbtools
    from instructor.course import CourseCopy
    from nbgrader.api import Gradebook
    from submissions import crawler

    course = CourseCopy(tmp_path)
    course.make("release")
    release = nbtools.read(course.root / "release" / crawler.ASSIGNMENT / f"{crawler.NOTEBOOK}.ipynb")
    answers, expected, *_ = crawler.VARIANTS["blocking_sleep"]
    reference = nbtools.reference_answers(nbtools.read(course.root / "source" / crawler.ASSIGNMENT / f"{crawler.NOTEBOOK}.ipynb"))
    for student in ("reads_english", "reads_chinese"):
        course.submit(student, crawler.ASSIGNMENT, crawler.NOTEBOOK, nbtools.fill(release, {**reference, **answers}))
    for student, language in (("reads_english", "en"), ("reads_chinese", "zh")):
        course.run("make", "--no-print-directory", "autograde", f"STUDENT={student}", COURSEKIT_LANGUAGE=language)
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        points = {s: {g.name: g.score for g in gb.find_submission_notebook(crawler.NOTEBOOK, crawler.ASSIGNMENT, s).grades
                      if g.max_score} for s in ("reads_english", "reads_chinese")}
    assert points["reads_english"] == points["reads_chinese"] == expected
    errors = {}
    for student in ("reads_english", "reads_chinese"):
        nb = nbtools.read(course.root / "autograded" / student / crawler.ASSIGNMENT / f"{crawler.NOTEBOOK}.ipynb")
        errors[student] = "\n".join(o.get("evalue", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error")
    assert "blocking call time.sleep" in errors["reads_english"] and "异步代码里出现了阻塞调用" not in errors["reads_english"]
    assert "异步代码里出现了阻塞调用 time.sleep" in errors["reads_chinese"]
