"""The test side of assignment 02-toolkit: what its test cells check, and how.

Each test cell imports what it needs from here and calls it with the exercise's function, such as
``check_fastest_mirror(fastest_mirror, {...})``; its hidden part draws random cases and calls the same
functions. The test's own ``download`` and ``crawl_page`` reach the student's code only through
``provided``, for one run.
"""

from __future__ import annotations

import asyncio
import functools

from coursekit.checks import namespace_of, provided
from coursekit.checks.crawler import crawl_recorded
from coursekit.grading import Checks, Recorder, expect, expect_lines, expect_loop_time, expect_no_leftover_tasks, run_async


async def quiet_download(mirror, seconds):
    """The test's download: the notebook's, without printing."""
    await asyncio.sleep(seconds)
    return f"data from {mirror}"


def check_fastest_mirror(fastest_mirror, mirrors):
    """Every download at once; the first one's result; the others cancelled, and stopped before it returns."""
    fastest = min(mirrors, key=mirrors.get)
    recorder = Recorder()
    with provided(fastest_mirror, "download", recorder.wrap(quiet_download, "download")):
        run = run_async(fastest_mirror, dict(mirrors))  # a copy: the test keeps its own
    calls = {c.args[0]: c for c in recorder.of("download")}
    with Checks(f"fastest_mirror({mirrors})") as check:
        check.expect(sorted(calls), sorted(mirrors), "the mirrors download() was called for",
                     hint="start download(name, seconds) once for every mirror")
        check.fact(all(c.started == 0 for c in calls.values()), "every download should start at once",
                   hint="create a task for every download before waiting for any of them")
        check.fact(fastest in calls and calls[fastest].outcome == "returned", f"the fastest download ({fastest}) should finish")
        slow = sorted(name for name, c in calls.items() if name != fastest and c.outcome != "cancelled")
        check.expect(slow, [], "slower downloads that were not cancelled",
                     hint="cancel every download except the fastest (task.cancel())")
        late = sorted(name for name, c in calls.items() if c.ended_after_return)
        check.expect(late, [], "downloads still running when fastest_mirror returned",
                     hint="after cancelling them, await the cancelled tasks (asyncio.gather(*pending, return_exceptions=True))")
        check.expect(run.result, f"data from {fastest}", "the result", hint="return the result of the first download to finish")
        check.loop_time(run, float(mirrors[fastest]),
                        hint="return as soon as the first download is done (asyncio.wait with return_when=FIRST_COMPLETED)",
                        early_hint="wait for the first download to finish before returning")


def check_completion_order(crawl_in_completion_order, delays_by_url):
    """The test's own crawl_page, whose pages take the test's times (not the numbers in the urls)."""
    urls = list(delays_by_url)
    finished = sorted(urls, key=delays_by_url.get)
    run, calls = crawl_recorded(crawl_in_completion_order, delays_by_url)  # chapter 1's pages, the test's times
    pairs = [tuple(pair) for pair in run.result] if type(run.result) is list else run.result
    with Checks(f"crawl_in_completion_order({urls})") as check:
        check.expect(sorted(c.args[0] for c in calls), sorted(urls), "the urls crawl_page was called with",
                     hint="call crawl_page(url) once for every url")
        check.fact(all(c.started == 0 for c in calls), "every page should start at once",
                   hint="crawl all the pages concurrently: start them all before waiting")
        check.expect(pairs, [(url, f"OK {url}") for url in finished], "the result",
                     hint="list (url, result) pairs in the order the pages finished, each result with its own url; "
                          "the pages here take other times than the numbers in their urls, so watch them finish")
        check.loop_time(run, float(max(delays_by_url.values())), hint="crawl all the pages concurrently")
    expect_no_leftover_tasks(run, hint="wait for every page before returning")


def check_save_safely(save_safely, save_seconds, timeout):
    """The test's own save records whether its task sat in background_saves while it ran."""
    kept = []

    async def save():
        me = asyncio.current_task()
        await asyncio.sleep(save_seconds)
        # The set as the student's save_safely sees it: the one in its own module (the notebook).
        kept.append(me in namespace_of(save_safely).get("background_saves", ()))
        return "data from db"

    recorder = Recorder()
    recorded_save = recorder.wrap(save, "save")
    run = run_async(save_safely, recorded_save)
    with Checks(f"save_safely(save) with a {save_seconds} s save") as check:
        check.expect(run.result, "data from db", "the result", hint="return the save's result")
        check.loop_time(run, float(save_seconds), hint="await the save once", early_hint="wait for the save to finish")

    async def caller():
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                await save_safely(recorded_save)
            outcome = "returned"
        except TimeoutError:
            outcome = "timed out"
        gave_up_at = loop.time()
        await asyncio.sleep(save_seconds)  # long enough for a shielded save to finish
        return outcome, gave_up_at

    recorder.clear()
    kept.clear()
    run = run_async(caller, shown_as="save_safely")
    outcome, gave_up_at = run.result
    saves = recorder.of("save")
    with Checks(f"save_safely(save) with a {save_seconds} s save, called with a {timeout} s timeout") as check:
        check.expect(outcome, "timed out", "what the caller saw",
                     hint="the caller must be cancelled when its timeout expires: do not catch CancelledError in save_safely")
        check.expect(gave_up_at, float(timeout), "the time the caller gave up",
                     hint="the caller should give up at its timeout, without waiting for the save: await the save through asyncio.shield")
        check.expect([c.outcome for c in saves], ["returned"], "how the save ended",
                     hint="the save must run to its end although its caller was cancelled: protect its task with asyncio.shield")
        check.expect(kept, [True], "the save's task was in background_saves while it ran",
                     hint="add the save's task to background_saves (and take it out when it is done, with "
                          "task.add_done_callback(background_saves.discard)): the event loop keeps only a weak reference")
    expect_no_leftover_tasks(run)


async def timed_sleep(async_timed, label, seconds, fail):
    """A block timed by the student's async_timed: it sleeps, then raises ValueError if ``fail``."""
    try:
        async with async_timed(label):
            await asyncio.sleep(seconds)
            if fail:
                raise ValueError("inside the block")
    except ValueError as error:
        return f"raised {error}"
    return "finished"


def check_async_timed(async_timed, label, seconds):
    """The time printed when the block ends, normally or by an exception that goes through."""
    clock = "measure with the event loop's clock, asyncio.get_running_loop().time(), when the block starts and ends"
    run = run_async(timed_sleep, async_timed, label, seconds, False)
    expect(run.result, "finished", "a block that ends normally", hint="the block's code should run once, normally")
    expect_lines(run, [f"{label}: {seconds:.2f} s"], hint=clock)
    expect_loop_time(run, seconds, hint="the context manager itself should not wait", early_hint="run the whole block")

    run = run_async(timed_sleep, async_timed, label, seconds, True)
    expect(run.result, "raised inside the block", "a block that raises ValueError",
           hint="let the exception through: do not swallow it in the context manager")
    expect_lines(run, [f"{label}: {seconds:.2f} s"],
                 hint="print the time in a finally clause, so it is printed also when the block raises")


async def unreachable(seconds):
    """A fetcher that fails after ``seconds``."""
    await asyncio.sleep(seconds)
    raise ConnectionError("mirror down")


def check_fetch_all(fetch_all, delays, broken_at=None):
    """Fetchers taking ``delays`` s; with ``broken_at=(position, seconds)``, one more inserted there that fails."""
    names = [f"m{i}" for i in range(len(delays))]
    recorder = Recorder()
    fetchers = [functools.partial(recorder.wrap(quiet_download, "download"), name, seconds) for name, seconds in zip(names, delays)]
    if broken_at is None:
        run = run_async(fetch_all, list(fetchers))
        with Checks(f"fetch_all(fetchers) with fetchers taking {delays} s") as check:
            check.expect(len(recorder.calls), len(delays), "fetchers started", hint="call every fetcher once")
            check.fact(all(c.started == 0 for c in recorder.calls), "every fetcher should start at once",
                       hint="run the fetchers concurrently, not one after another")
            check.expect(run.result, [f"data from {name}" for name in names], "the result",
                         hint="return every result, in the order of the fetchers")
            check.loop_time(run, float(max(delays)), hint="run the fetchers concurrently, not one after another")
        expect_no_leftover_tasks(run)
        return
    position, fails_after = broken_at

    async def fetch_all_catching(fetchers):
        try:
            return await fetch_all(fetchers)
        except Exception as error:
            inner = [type(e).__name__ for e in error.exceptions] if isinstance(error, BaseExceptionGroup) else None
            return type(error).__name__, inner

    fetchers.insert(position, functools.partial(unreachable, fails_after))
    run = run_async(fetch_all_catching, fetchers, shown_as="fetch_all")
    should_stop = sorted(name for name, seconds in zip(names, delays) if seconds > fails_after)
    with Checks(f"fetch_all(fetchers) when one fetcher fails after {fails_after} s") as check:
        check.expect(run.result, ("ExceptionGroup", ["ConnectionError"]), "what fetch_all raised",
                     hint="raise an ExceptionGroup holding the error, as asyncio.TaskGroup does")
        check.expect(sorted(c.args[0] for c in recorder.calls if c.outcome == "cancelled" and not c.ended_after_return),
                     should_stop, "fetchers cancelled before fetch_all raised",
                     hint="cancel every fetcher still running as soon as one fails, and wait for them to stop")
        check.loop_time(run, float(fails_after), hint="cancel the other fetchers as soon as one fails, instead of waiting for them")
    expect_no_leftover_tasks(run, hint="wait for the cancelled fetchers to stop before raising")
