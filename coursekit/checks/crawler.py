"""The test side of assignment 01-crawler: what its test cells check, and how.

Each test cell imports what it needs from here and calls it with the exercise's function, such as
``check_one_by_one(crawl_one_by_one, {...})``; its hidden part draws random cases and calls the same
functions. The test's own ``crawl_page`` reaches the student's code only through ``provided``, for one run.
"""

from __future__ import annotations

import asyncio

from coursekit.checks import provided
from coursekit.grading import Checks, Recorder, random_delays, run_async


def crawl_recorded(func, delays_by_url):
    """Run func(urls) with the test's own crawl_page, whose pages take the test's times; what ran, and when."""
    recorder = Recorder()

    async def page(url):
        await asyncio.sleep(delays_by_url[url])
        return f"OK {url}"

    with provided(func, "crawl_page", recorder.wrap(page, "crawl_page")):
        run = run_async(func, list(delays_by_url))
    return run, recorder.of("crawl_page")


def check_one_by_one(crawl_one_by_one, delays_by_url):
    """One page after another, in the order of the urls: the sum of their times."""
    urls = list(delays_by_url)
    run, calls = crawl_recorded(crawl_one_by_one, delays_by_url)
    with Checks(f"crawl_one_by_one({urls})") as check:
        check.fact(bool(calls), "crawl_page was never called", hint="await crawl_page(url) for each url in turn")
        check.expect([c.args[0] for c in calls], urls, "the urls crawl_page was called with, in order",
                     hint="call crawl_page once per url, in the order of urls")
        check.fact(all(later.started == earlier.ended for earlier, later in zip(calls, calls[1:])),
                   "each page should start when the one before it has finished",
                   hint="await each crawl_page(url) before starting the next: this slow version takes the sum of the sleeps")
        check.expect(run.result, [f"OK {u}" for u in urls], "the result", hint="return one result per url, in the order of urls")
        check.loop_time(run, float(sum(delays_by_url.values())), hint="await the pages one after another",
                        early_hint="await every page, one after another")


def check_concurrent(func, delays_by_url, hint):
    """All pages at once, each in a task of its own, results in the order of the urls."""
    urls = list(delays_by_url)
    name = func.__name__
    run, calls = crawl_recorded(func, delays_by_url)
    crawled = [c.args[0] for c in calls]
    with Checks(f"{name}({urls})") as check:
        if not check.fact(bool(calls), "crawl_page was never called",
                          hint=f"create a task for crawl_page(url) for every url: {hint}"):
            return
        check.expect(sorted(crawled), sorted(urls), "the urls crawl_page was called with",
                     hint="call crawl_page once per url, each with its own url (a lambda or a function made in a loop "
                          "that reads the loop variable later sees only the last url: late binding)")
        check.fact(all(c.started == 0 for c in calls), "every page should start at once, before any finishes",
                   hint=f"are you awaiting each page before starting the next? {hint}")
        check.fact(not any(c.in_main_task for c in calls), "each page should run in a task of its own",
                   hint=f"awaiting crawl_page(url) directly runs it inside {name} itself: {hint}")
        check.fact(all(c.outcome == "returned" and not c.ended_after_return for c in calls),
                   f"every page should finish before {name} returns", hint="await every task before returning")
        check.expect(run.result, [f"OK {u}" for u in urls], "the result",
                     hint="return the results in the order of urls, not in the order the pages finished")
        check.loop_time(run, float(max(delays_by_url.values())), hint=f"the pages should run concurrently: {hint}")


def hidden_delays(count):
    """Urls whose numbers say nothing about their times, finishing in neither url nor number order (count >= 3)."""
    while True:
        url_numbers, seconds = random_delays(count, high=90), random_delays(count)
        by_time = sorted(url_numbers, key=dict(zip(url_numbers, seconds)).get)
        if by_time not in (url_numbers, sorted(url_numbers)):
            return {f"url_{n}": d for n, d in zip(url_numbers, seconds)}
