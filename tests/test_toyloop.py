"""The toy loop's coroutine side (coursekit.toyloop), and the tests of exercise 5 that use it."""

from __future__ import annotations

import gc
import heapq
import warnings
from collections import deque

import pytest

from conftest import ROOT
from coursekit.toyloop import Clock, ToyFuture, toy_create_task, toy_gather, toy_now, toy_run, toy_sleep
from instructor import nbtools
from submissions import runtime


class Scheduler:
    """A right scheduler, as exercise 5 asks for."""

    def __init__(self, clock):
        self.clock, self.ready, self.timers, self.seq = clock, deque(), [], 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.seq += 1
        heapq.heappush(self.timers, (self.clock.now() + delay, self.seq, callback))

    def run(self):
        while self.ready or self.timers:
            while self.ready:
                self.ready.popleft()()
            if self.timers:
                when, _, callback = heapq.heappop(self.timers)
                self.clock.advance_to(when)
                callback()


class StopsEarly(Scheduler):
    """Runs what is ready, and never looks at the timers."""

    def run(self):
        while self.ready:
            self.ready.popleft()()


async def crawl_page(events, url):
    events.append((toy_now(), f"crawling {url}"))
    await toy_sleep(int(url.split("_")[-1]))
    events.append((toy_now(), f"OK {url}"))
    return f"OK {url}"


URLS = ["url_3", "url_1", "url_4", "url_2"]


def test_tasks_run_the_crawler_in_4_seconds_of_the_clock():
    events, clock = [], Clock()

    async def main():
        tasks = [toy_create_task(crawl_page(events, url)) for url in URLS]
        return [await task for task in tasks]

    assert toy_run(Scheduler(clock), clock, main()) == [f"OK {url}" for url in URLS]
    assert clock.now() == 4.0
    assert events == [(0.0, f"crawling {url}") for url in URLS] + [(float(n), f"OK url_{n}") for n in (1, 2, 3, 4)]


def test_awaiting_one_by_one_takes_10_seconds_and_gather_keeps_the_order_given():
    events, clock = [], Clock()

    async def one_by_one():
        return [await crawl_page(events, url) for url in URLS]

    toy_run(Scheduler(clock), clock, one_by_one())
    assert clock.now() == 10.0
    assert [what for _, what in events][:2] == ["crawling url_3", "OK url_3"]
    clock = Clock()
    assert toy_run(Scheduler(clock), clock, toy_gather(*(crawl_page([], url) for url in URLS))) == [f"OK {u}" for u in URLS]
    assert clock.now() == 4.0


def test_a_scheduler_that_stops_early_is_named_and_leaves_no_warning_behind():
    clock = Clock()

    async def main():
        tasks = [toy_create_task(crawl_page([], url)) for url in URLS]
        return [await task for task in tasks]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="returned at 0 s while the main coroutine was still waiting"):
            toy_run(StopsEarly(clock), clock, main())
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]


def test_the_clock_only_moves_forward():
    clock = Clock()
    clock.advance_to(2.5)
    clock.advance_to(2.5)
    assert clock.now() == 2.5
    with pytest.raises(ValueError, match="cannot go back from 2.5 s to 1 s"):
        clock.advance_to(1)


def test_toy_tools_say_when_no_toy_loop_runs():
    coro = toy_sleep(1)
    with pytest.raises(RuntimeError, match="no toy loop is running"):
        coro.send(None)
    with pytest.raises(RuntimeError, match="no toy loop is running"):
        toy_now()


def test_a_toy_task_refuses_what_asyncio_yields():
    import asyncio

    async def main():
        await asyncio.sleep(0)  # yields None to its driver: asyncio's business, not the toy's

    clock = Clock()
    with pytest.raises(TypeError, match="toy futures"):
        toy_run(Scheduler(clock), clock, main())


def test_a_future_wakes_every_waiter_once():
    future, calls = ToyFuture(), []
    future.add_done_callback(lambda f: calls.append(("first", f.result)))
    future.set_result(7)
    future.add_done_callback(lambda f: calls.append(("late", f.result)))  # already done: called at once
    assert calls == [("first", 7), ("late", 7)]
    with pytest.raises(RuntimeError):
        future.set_result(8)


# -- exercise 5's test cell, run here on every submission of tests/submissions/runtime.py --------------


def exercise_5_cells():
    nb = nbtools.read(ROOT / "source" / "03-runtime" / "runtime.ipynb")
    cells = nbtools.nbgrader_cells(nb)
    return cells["toy_setup"].source, nbtools.reference_answers(nb)["toy_scheduler"], cells["test_toy_scheduler"].source


def schedulers():
    for name, (answers, points, *words) in runtime.VARIANTS.items():
        if "toy_scheduler" in answers or name == "reference":
            expected_words = (words[0] if words else {}).get("test_toy_scheduler", "")
            yield pytest.param(answers.get("toy_scheduler"), points["test_toy_scheduler"], expected_words, id=name)


@pytest.mark.parametrize("answer, points, words", list(schedulers()))
def test_exercise_5_passes_right_schedulers_and_fails_each_wrong_one(answer, points, words):
    setup, reference, test = exercise_5_cells()
    namespace = {"__name__": "__main__"}
    exec(setup, namespace)
    exec(answer or reference, namespace)
    for _ in range(3):  # fresh random draws each time
        if points:
            exec(test, namespace)
        else:
            with pytest.raises(AssertionError) as failure:
                exec(test, namespace)
            message = str(failure.value)
            assert "expected" in message and "got" in message and "ikely cause" in message, message
            for phrase in [words] if isinstance(words, str) else words:
                assert phrase in message, message


def tasks():
    for name, (answers, points, *words) in runtime.VARIANTS.items():
        if "step_task" in answers or name == "reference":
            yield pytest.param(answers.get("step_task"), points["test_step_task"],
                               (words[0] if words else {}).get("test_step_task", ""), id=name)


@pytest.mark.parametrize("answer, points, words", list(tasks()))
def test_exercise_6_passes_the_right_task_and_fails_each_wrong_one(answer, points, words):
    nb = nbtools.read(ROOT / "source" / "03-runtime" / "runtime.ipynb")
    cells = nbtools.nbgrader_cells(nb)
    namespace = {"__name__": "__main__"}
    exec(cells["setup"].source, namespace)
    exec(answer or nbtools.reference_answers(nb)["step_task"], namespace)
    for _ in range(3):  # fresh random draws each time
        if points:
            exec(cells["test_step_task"].source, namespace)
        else:
            with pytest.raises(AssertionError) as failure:
                exec(cells["test_step_task"].source, namespace)
            message = str(failure.value)
            assert "expected" in message and "got" in message and "ikely cause" in message, message
            assert words in message, message


# -- what lecture 3's table says about the toy and asyncio (its last two rows) ----------------------


def lecture_cell(cell_id: str) -> str:
    nb = nbtools.read(ROOT / "notebooks" / "03-runtime.ipynb")
    return next(cell.source for cell in nb.cells if cell.get("id") == cell_id)


def test_the_toy_turn_and_asyncios_turn_are_as_the_lecture_says():
    """A callback that keeps rescheduling itself starves the toy's timers, never asyncio's; and a timer's
    callbacks run before the next timer on the toy, after every due timer on asyncio."""
    import asyncio

    table = lecture_cell("the-same-steps-on-asyncio-s-loop")
    assert "starves the toy's timers, never asyncio's" in table
    namespace: dict = {}
    exec(lecture_cell("class-toyloop"), namespace)

    def starve(loop, call_soon, call_later, run):
        turns, fired = [0], []

        def again():
            turns[0] += 1
            if turns[0] < 1000:
                call_soon(again)

        call_later(0, lambda: fired.append(turns[0]))
        call_soon(again)
        run()
        return fired[0]

    toy = namespace["ToyLoop"]()
    assert starve(toy, toy.call_soon, toy.call_later, toy.run) == 1000  # only once the rescheduling stopped
    real = asyncio.new_event_loop()
    try:
        done = real.create_future()
        fired_at = starve(real, real.call_soon, lambda d, f: real.call_later(d, lambda: (f(), done.set_result(None))),
                          lambda: real.run_until_complete(done))
    finally:
        real.close()
    assert fired_at < 10, fired_at  # asyncio looks at its timers at every turn

    def order(call_soon, call_later, run):
        ran = []
        call_later(1, lambda: (ran.append("A"), call_soon(lambda: ran.append("A made ready"))))
        call_later(1, lambda: ran.append("B"))
        run()
        return ran

    toy = namespace["ToyLoop"]()
    assert order(toy.call_soon, toy.call_later, toy.run) == ["A", "A made ready", "B"]
    real = asyncio.new_event_loop()
    try:
        ran = order(real.call_soon, real.call_later, lambda: real.run_until_complete(asyncio.sleep(1.5)))
    finally:
        real.close()
    assert sorted(ran[:2]) == ["A", "B"] and ran[2:] == ["A made ready"], ran  # same-time timers: no promised order


def test_a_toy_future_calls_back_at_once_and_asyncios_schedules_it():
    import asyncio

    assert "calls back at once" in lecture_cell("the-same-steps-on-asyncio-s-loop")
    heard = []
    future = ToyFuture()
    future.add_done_callback(lambda f: heard.append("when set"))
    future.set_result(1)
    future.add_done_callback(lambda f: heard.append("already done"))
    assert heard == ["when set", "already done"]  # both before the next line: at once

    async def on_asyncio():
        real = asyncio.get_running_loop().create_future()
        real.add_done_callback(lambda f: heard.append("when set"))
        real.set_result(1)
        real.add_done_callback(lambda f: heard.append("already done"))
        at_once = list(heard)
        await asyncio.sleep(0)
        return at_once, list(heard)

    heard.clear()
    assert asyncio.run(on_asyncio()) == ([], ["when set", "already done"])  # each scheduled with call_soon
