"""The grading toolkit on its own, without a notebook."""

import asyncio
import random
import time
import warnings
from time import sleep

import pytest

from coursekit.grading import (
    Run,
    expect,
    expect_lines,
    expect_loop_time,
    expect_no_leftover_tasks,
    random_delays,
    run_async,
)


async def crawl_page(url: str) -> str:
    print(f"crawling {url}")
    await asyncio.sleep(int(url.split("_")[-1]))
    print(f"OK {url}")
    return f"OK {url}"


async def crawl_gather(urls):
    return await asyncio.gather(*(crawl_page(u) for u in urls))


async def crawl_one_by_one(urls):
    return [await crawl_page(u) for u in urls]


URLS = ["url_3", "url_1", "url_4", "url_2"]


def test_concurrent_run_reads_exact_loop_time_quickly():
    run = run_async(crawl_gather, URLS)
    assert run.result == ["OK url_3", "OK url_1", "OK url_4", "OK url_2"]
    assert run.loop_time == 4.0
    assert run.real_time < 0.5
    assert run.lines[:4] == [f"crawling {u}" for u in URLS]
    assert run.lines[4:] == ["OK url_1", "OK url_2", "OK url_3", "OK url_4"]


def test_sequential_run_adds_up():
    assert run_async(crawl_one_by_one, URLS).loop_time == 10.0


def test_keyword_arguments_reach_the_function():
    async def add(a, *, b):
        await asyncio.sleep(b)
        return a + b

    run = run_async(add, 1, b=2)
    assert (run.result, run.loop_time) == (3, 2.0)


def test_repr_shows_result_time_and_output():
    text = repr(run_async(crawl_page, "url_2"))
    assert "crawl_page returned 'OK url_2'" in text
    assert "loop time: 2 s" in text
    assert "crawling url_2" in text


def test_time_sleep_is_reported_as_blocking():
    async def blocking(url):
        time.sleep(3)

    with pytest.raises(AssertionError, match=r"blocking call time\.sleep\(3\) inside async code: use await asyncio\.sleep\(3\)"):
        run_async(blocking, "url_3")
    assert time.sleep.__name__ == "sleep" and time.sleep is sleep  # restored


def test_sleep_imported_from_time_is_reported_too():
    async def blocking(url):
        sleep(0.5)

    with pytest.raises(AssertionError, match=r"time\.sleep\(0\.5\)"):
        run_async(blocking, "url_1")
    assert globals()["sleep"] is time.sleep


def test_blocking_call_is_reported_even_when_swallowed():
    async def swallowing():
        try:
            time.sleep(1)
        except Exception:
            pass
        return "done"

    with pytest.raises(AssertionError, match="blocking call"):
        run_async(swallowing)


def test_sleep_in_other_threads_is_left_alone():
    async def offloaded():
        await asyncio.to_thread(time.sleep, 0.01)
        return "ok"

    assert run_async(offloaded, max_loop_time=None).result == "ok"


def test_endless_loop_is_stopped_within_about_a_second():
    async def spin():
        print("started")
        while True:
            pass

    started = time.perf_counter()
    with pytest.raises(AssertionError, match=r"(?s)still running after 1 s of real time.*never awaits.*started"):
        run_async(spin)
    assert time.perf_counter() - started < 2.5


def test_endless_loop_that_yields_is_stopped_too():
    async def busy():
        while True:
            await asyncio.sleep(0)

    with pytest.raises(AssertionError, match="still running"):
        run_async(busy)


def test_huge_sleep_fails_at_once_in_loop_time():
    async def sleepy():
        await asyncio.sleep(1e9)

    started = time.perf_counter()
    with pytest.raises(AssertionError, match=r"still waiting after 600 s of loop time"):
        run_async(sleepy)
    assert time.perf_counter() - started < 0.5


def test_deadlock_fails_at_once():
    async def deadlock():
        await asyncio.get_running_loop().create_future()

    with pytest.raises(AssertionError, match="deadlock"):
        run_async(deadlock, max_loop_time=30)


def test_deadlock_without_loop_limit_fails_after_idle_timeout():
    async def deadlock():
        await asyncio.Event().wait()

    started = time.perf_counter()
    with pytest.raises(AssertionError, match="waited for ever"):
        run_async(deadlock, max_loop_time=None, idle_timeout=0.2)
    assert time.perf_counter() - started < 0.9


def test_exceptions_of_the_code_under_test_propagate():
    async def stub(urls):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        run_async(stub, [])


def test_plain_function_is_rejected_with_a_hint():
    def not_async(url):
        return "OK"

    with pytest.raises(AssertionError, match="define it with `async def`"):
        run_async(not_async, "url_1")


def test_never_awaited_coroutine_becomes_a_message_not_stderr(capfd):
    async def forgot_await(url):
        crawl_page(url)

    with pytest.raises(AssertionError, match="never awaited.*missing `await`"):
        run_async(forgot_await, "url_1")
    assert capfd.readouterr().err == ""


def test_unretrieved_task_exception_becomes_a_message(capfd):
    async def fire_and_forget():
        async def boom():
            raise ValueError("lost")

        task = asyncio.create_task(boom())
        await asyncio.sleep(0)
        del task

    with pytest.raises(AssertionError, match="never retrieved.*lost"):
        run_async(fire_and_forget)
    assert capfd.readouterr().err == ""


def test_warnings_outside_the_run_are_untouched():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_async(crawl_page, "url_1")
        warnings.warn("mine", UserWarning)
    assert [str(w.message) for w in caught] == ["mine"]


def test_leftover_tasks_are_reported_and_cancelled():
    cancelled = []

    async def leaves_one_behind():
        async def slow():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        leftover = asyncio.create_task(slow())  # noqa: F841 - left pending on purpose
        await asyncio.sleep(1)
        return "returned early"

    run = run_async(leaves_one_behind)
    assert run.leftover_tasks == ["slow"]
    assert cancelled == [True]
    assert run.loop_time == 1.0


def test_cancelled_but_not_awaited_counts_as_left_over():
    async def cancels_without_waiting():
        task = asyncio.create_task(asyncio.sleep(5))
        await asyncio.sleep(1)
        task.cancel()
        return "returned"

    async def cancels_and_waits():
        task = asyncio.create_task(asyncio.sleep(5))
        await asyncio.sleep(1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return "returned"

    assert run_async(cancels_without_waiting).leftover_tasks == ["sleep"]
    assert run_async(cancels_and_waits).leftover_tasks == []


def test_expect_no_leftover_tasks_names_them():
    expect_no_leftover_tasks(Run(name="f"))
    with pytest.raises(AssertionError, match=r"f returned while 2 tasks were still pending \(download, download\): await them"):
        expect_no_leftover_tasks(Run(name="f", leftover_tasks=["download", "download"]), hint="await them")


def test_each_run_gets_a_fresh_clock():
    assert run_async(crawl_page, "url_2").loop_time == 2.0
    assert run_async(crawl_page, "url_2").loop_time == 2.0


def test_expect_names_what_was_checked():
    expect([1, 2], [1, 2], "result")
    with pytest.raises(AssertionError, match=r"result: expected \[1, 2\], got \[2, 1\]\. keep input order"):
        expect([2, 1], [1, 2], "result", hint="keep input order")


def test_expect_loop_time_is_exact():
    run = Run(name="crawl_with_tasks", loop_time=10.0)
    expect_loop_time(run, 10.0)
    with pytest.raises(AssertionError, match=r"took 10 s of loop time instead of 4 s: are you awaiting"):
        expect_loop_time(run, 4.0, hint="are you awaiting each coroutine before starting the next?")
    with pytest.raises(AssertionError, match=r"took 10 s of loop time instead of 12 s: it returned before"):
        expect_loop_time(run, 12.0, hint="are you awaiting each coroutine before starting the next?")


def test_expect_lines_points_at_first_difference():
    run = Run(name="f", lines=["crawling url_1", "OK url_1"])
    expect_lines(run, ["crawling url_1", "OK url_1"])
    with pytest.raises(AssertionError, match=r"line 2 is 'OK url_1', expected 'crawling url_2'"):
        expect_lines(run, ["crawling url_1", "crawling url_2", "OK url_1"])
    with pytest.raises(AssertionError, match=r"extra line 2: 'OK url_1'"):
        expect_lines(run, ["crawling url_1"])
    with pytest.raises(AssertionError, match=r"missing line 3: 'x'"):
        expect_lines(run, ["crawling url_1", "OK url_1", "x"])


@pytest.mark.parametrize("seed", range(50))
def test_random_delays_are_distinct_and_unsorted(seed):
    delays = random_delays(4, rng=random.Random(seed))
    assert len(set(delays)) == 4
    assert delays != sorted(delays)
    assert all(1 <= d <= 9 for d in delays)


def test_random_delays_refuses_impossible_requests():
    with pytest.raises(ValueError):
        random_delays(10, low=1, high=9)


def test_real_loop_for_code_that_talks_to_servers():
    async def real_wait():
        await asyncio.sleep(0.05)
        return "ok"

    run = run_async(real_wait, virtual=False, real_timeout=5)
    assert run.result == "ok"
    assert 0.05 <= run.loop_time < 1.0  # real seconds on an ordinary loop


def test_real_loop_still_reports_blocking_sleep():
    async def blocking():
        time.sleep(0.01)

    with pytest.raises(AssertionError, match="blocking call"):
        run_async(blocking, virtual=False)



def test_the_students_error_is_shown_from_the_students_code():
    import traceback

    async def stub(url):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError) as caught:
        run_async(stub, "url_1")
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert frames[-1] == "stub"
    assert not {"_work", "_call", "run_until_complete"} & set(frames), frames


# -- instruments the test owns, and messages that name the mistake (issue 10) ---

from coursekit.grading import Checks, Recorder, forbid_running, try_it  # noqa: E402


async def quiet_page(url):
    await asyncio.sleep(int(url.split("_")[-1]))
    return f"OK {url}"


def test_recorder_sees_what_ran_when_and_in_which_task():
    recorder = Recorder()
    page = recorder.wrap(quiet_page, "crawl_page")

    async def tasks_then_direct(urls):
        results = await asyncio.gather(*(page(u) for u in urls))
        results.append(await page("url_1"))
        return results

    run = run_async(tasks_then_direct, ["url_3", "url_2"])
    calls = recorder.of("crawl_page")
    assert [(c.args[0], c.started, c.ended, c.outcome) for c in calls] == [
        ("url_3", 0.0, 3.0, "returned"), ("url_2", 0.0, 2.0, "returned"), ("url_1", 3.0, 4.0, "returned")]
    assert [c.in_main_task for c in calls] == [False, False, True]
    assert run.result == ["OK url_3", "OK url_2", "OK url_1"]


def test_recorder_tells_cancellations_by_the_code_from_the_runners_clean_up():
    recorder = Recorder()
    page = recorder.wrap(quiet_page)

    async def cancels_one_and_forgets_another(urls):
        first = asyncio.create_task(page(urls[0]))
        second = asyncio.create_task(page(urls[1]))
        await asyncio.sleep(1)
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        return "left one running"

    run = run_async(cancels_one_and_forgets_another, ["url_5", "url_6"])
    first, second = recorder.calls
    assert (first.outcome, first.ended_after_return) == ("cancelled", False)
    assert (second.outcome, second.ended_after_return) == ("cancelled", True)  # the runner's clean-up
    assert run.leftover_tasks


def test_lines_printed_during_the_clean_up_are_kept_apart():
    async def leaves_a_printer():
        async def printer():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                print("cancelled by the clean-up")
                raise
        asyncio.create_task(printer())
        await asyncio.sleep(0)
        print("returning")

    run = run_async(leaves_a_printer)
    assert run.lines == ["returning"] and run.late_lines == ["cancelled by the clean-up"]


def test_checks_list_every_failed_aspect_once():
    with pytest.raises(AssertionError) as caught:
        with Checks("crawl_with_tasks(urls)") as check:
            check.fact(True, "fine")
            check.expect([1, 2], [2, 1], "the result", hint="input order")
            check.fact(False, "every page should start at once", hint="create the tasks first")
    text = str(caught.value)
    assert text.startswith("crawl_with_tasks(urls) is not right yet:")
    assert "1. the result: expected [2, 1], got [1, 2]. input order" in text
    assert "2. every page should start at once: create the tasks first" in text


def test_a_single_failure_reads_as_one_sentence():
    with pytest.raises(AssertionError, match=r"^fetch_all\(f\): the result: expected 1, got 2\.$"):
        with Checks("fetch_all(f)") as check:
            check.expect(2, 1, "the result")


def test_expect_compares_exact_built_in_values():
    class Sly(list):
        def __ne__(self, other):
            return False

    with pytest.raises(AssertionError, match="got an object of type Sly"):
        expect(Sly([1]), [2], "the result")
    with pytest.raises(AssertionError):
        expect(True, 1, "a count")
    expect(4, 4.0, "loop time")


def test_shown_as_names_the_students_function():
    async def wrapper():
        raise asyncio.CancelledError()

    with pytest.raises(AssertionError, match=r"^fetch_all raised CancelledError.*return_exceptions=True"):
        run_async(wrapper, shown_as="fetch_all")


def test_a_queue_join_that_never_returns_points_at_task_done():
    async def forgets_task_done():
        queue = asyncio.Queue()

        async def consumer():
            while True:
                await queue.get()

        worker = asyncio.create_task(consumer())
        await queue.put(1)
        await queue.join()
        worker.cancel()

    with pytest.raises(AssertionError, match=r"queue.join\(\) was still waiting.*task_done\(\)"):
        run_async(forgets_task_done)


def test_forbid_running_stops_a_prediction_that_runs_the_program():
    with forbid_running("predict, do not run"):
        with pytest.raises(AssertionError, match="predict, do not run"):
            run_async(quiet_page, "url_1")
    assert run_async(quiet_page, "url_1").result == "OK url_1"


def test_try_it_shows_the_example_beside_the_run():
    shown = repr(try_it(crawl_gather, ["url_3", "url_1"], returns=["OK url_3", "OK url_1"], seconds=3))
    assert "returns ['OK url_3', 'OK url_1']  (same)" in shown and "takes 3 s  (same)" in shown
    shown = repr(try_it(crawl_one_by_one, ["url_3", "url_1"], returns=["OK url_3", "OK url_1"], seconds=3))
    assert "(DIFFERENT: yours took 4 s)" in shown


def test_tracebacks_start_at_the_students_code():
    """IPython hides frames that set __tracebackhide__: the runner's and the assertions' frames do."""
    import inspect

    from coursekit import grading

    for function in (grading.run_async, grading.expect, grading.expect_loop_time, grading.expect_lines,
                     grading.expect_no_leftover_tasks, grading.try_it):
        assert "__tracebackhide__ = True" in inspect.getsource(function), function.__name__


@pytest.mark.slow
def test_a_try_it_traceback_in_a_real_kernel_starts_at_the_students_line():
    from conftest import run_in_kernel

    outputs = run_in_kernel(
        "from coursekit.grading import try_it, expect\n"
        "async def crawl(url):\n    raise ValueError(f'bad url {url}')",
        "try_it(crawl, 'url_1', returns='OK url_1', seconds=1)",
        "expect([1], [2], 'the result', hint='input order')",
        allow_errors=True,
    )
    import re

    def frames(cell):
        (error,) = [o for o in cell if o.output_type == "error"]
        text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))
        return text, re.findall(r"^File (\S+?):\d+", text, re.MULTILINE) + re.findall(r"^Cell In\[\d+\]", text, re.MULTILINE)

    text, shown = frames(outputs[1])  # the student's own error: the cell, then the student's function, nothing else
    assert "bad url url_1" in text and not any("grading.py" in f or "asyncio" in f for f in shown), text
    text, shown = frames(outputs[2])  # a failed check: IPython always shows the frame that raised, and only that one
    assert sum("grading.py" in f for f in shown) == 1 and "the result: expected [2], got [1]. input order" in text, text


def test_an_unwritten_answer_says_so_in_the_students_language():
    """The blank answer cell's NotImplementedError carries a note: which exercise, and what to do (Run All goes on)."""
    from coursekit import messages

    async def crawl_page(url):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError) as raised:
        run_async(crawl_page, "url_1")
    assert raised.value.__notes__ == [messages.in_each(lambda: messages.say("not_written", name="crawl_page"))]
    assert "crawl_page is not written yet" in raised.value.__notes__[0]

    async def deliberate(url):  # a NotImplementedError the student raises on purpose is left as it is
        raise NotImplementedError("not for ftp:// urls")

    with pytest.raises(NotImplementedError) as raised:
        run_async(deliberate, "ftp://x")
    assert not getattr(raised.value, "__notes__", None)
