"""The test side of assignment 03-runtime (source/03-runtime/runtime.ipynb): what its test cells check.

Each test cell imports its checks from here and passes in the exercise's function or class
(``check_deadline(results_by_deadline, specs, 2.5)``): it reads nothing else from the notebook, so it
runs the same alone, sealed by the grader, or after any other cell. What a check needs of the
notebook's other cells (lecture 3.1's program) has its own copy here. The cases of the hidden tests
stay in the cells.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import inspect
from collections import deque
from itertools import count

from coursekit.grading import (Checks, expect, expect_loop_time, expect_no_leftover_tasks, fail, forbid_running,
                               run_async)
from coursekit.toyloop import ToyFuture, toy_create_task, toy_now, toy_run, toy_sleep

# -- exercise 1: predict_trace ------------------------------------------------------------------------


async def worker(name: str, seconds: int) -> None:
    print(f"{name} start")
    await asyncio.sleep(seconds)
    print(f"{name} done")


async def two_workers(first: int, second: int) -> None:
    """Lecture 3.1's program, as the setup cell shows it: two tasks, awaited in order."""
    task_1 = asyncio.create_task(worker("worker_1", first))
    task_2 = asyncio.create_task(worker("worker_2", second))
    print("before await")
    await task_1
    print("awaited worker_1")
    await task_2
    print("awaited worker_2")


def check_prediction(predict_trace, first: int, second: int) -> None:
    actual = run_async(two_workers, first, second).lines
    with forbid_running("predict_trace must work the trace out from how the loop schedules tasks, "
                        "not run the program (it called run_async)"):
        predicted = predict_trace(first, second)
    expect(predicted, actual, f"predict_trace({first}, {second})",
           hint="the tasks start, in creation order, once main suspends (at await task_1, a task not done yet); "
                "a task's 'done' line comes when its sleep ends, "
                "and main's 'awaited' lines come only once the task it awaits is done")


# -- exercise 2: results_by_deadline ------------------------------------------------------------------


def outcome(entry):
    """An entry as a comparable value: exceptions by type and message; a cancellation by its type only.

    ``task.cancel("deadline")`` gives ``CancelledError('deadline')``: the contract asks for a cancellation,
    not for what it says.
    """
    if isinstance(entry, asyncio.CancelledError):
        return "CancelledError()"
    return f"{type(entry).__name__}({entry})" if isinstance(entry, BaseException) else entry


def check_deadline(results_by_deadline, specs, deadline):
    """specs: (seconds, value or exception) per job."""
    cancelled = []

    async def job(number, seconds, value):
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            cancelled.append(number)
            raise
        if isinstance(value, BaseException):
            raise value
        return value

    jobs = [functools.partial(job, n, s, v) for n, (s, v) in enumerate(specs)]
    try:
        run = run_async(results_by_deadline, list(jobs), deadline)
    except AssertionError:
        raise
    except Exception as error:
        fail(
            f"results_by_deadline(jobs, {deadline}) raised {type(error).__name__}({error}) instead of returning it as "
            f"that job's entry: collect results and errors alike with asyncio.gather(..., return_exceptions=True)",
            error,
        )
    expected = [outcome(asyncio.CancelledError()) if s > deadline else outcome(v) for s, v in specs]
    got = [outcome(e) for e in run.result] if isinstance(run.result, list) else run.result
    expect(got, expected, f"results_by_deadline(jobs, {deadline})",
           hint="one entry per job in the order of jobs: its result, the exception it raised, "
                "or CancelledError() if it was cancelled at the deadline")
    expect_loop_time(run, min(deadline, float(max(s for s, _ in specs))),
                     hint="return as soon as every job has finished, or at the deadline: run the jobs concurrently and do not wait past the deadline",
                     early_hint="wait until every job has finished or the deadline has passed")
    expect(sorted(cancelled), [n for n, (s, _) in enumerate(specs) if s > deadline], "jobs cancelled at the deadline",
           hint="cancel exactly the jobs still running at the deadline")
    expect_no_leftover_tasks(run, hint="after cancelling, await the cancelled tasks before returning")


# -- exercise 3: process_all --------------------------------------------------------------------------


def check_pipeline(process_all, items, produce_every, handle_seconds, workers, maxsize):
    events = []  # (loop time, event, item)
    pending = list(items)

    async def produce():
        await asyncio.sleep(produce_every)
        if not pending:
            events.append((asyncio.get_running_loop().time(), "ended", None))
            return None
        item = pending.pop(0)
        events.append((asyncio.get_running_loop().time(), "produced", item))
        return item

    async def handle(item):
        now = asyncio.get_running_loop().time
        events.append((now(), "started", item))
        try:
            await asyncio.sleep(handle_seconds[item])
        except asyncio.CancelledError:
            events.append((now(), "cancelled", item))
            raise
        events.append((now(), "finished", item))

    run = run_async(process_all, produce, handle, workers, maxsize)
    cut = [item for _, what, item in events if what == "cancelled"]
    expect(cut, [], "items whose handle(item) was cancelled before it finished",
           hint="call queue.task_done() only after handle(item) has finished: queue.join() returns as soon as every "
                "item is marked done, and the consumers are then cancelled in the middle of their work")
    handled = [item for _, what, item in events if what == "started"]
    twice = sorted({item for item in handled if handled.count(item) > 1})
    expect(twice, [], "items handled more than once", hint="each item must be taken from the queue by one consumer only")
    expect(sorted(set(items) - set(handled)), [], "items never handled",
           hint="every produced item must reach a consumer before process_all returns")
    expect(run.result, len(items), "process_all returned", hint="return how many items were handled")
    # The last item handled, or the producer told there is no more, whichever came later.
    last = max(t for t, what, _ in events if what in ("finished", "ended"))
    expect_loop_time(run, last,
                     hint="return as soon as the last item is handled (and produce() has returned None): wait for "
                          "queue.join() (or end markers), not for a guessed sleep",
                     early_hint="wait until every item has been handled")
    in_flight = peak = 0
    for _, what, _ in sorted(events, key=lambda e: (e[0], e[1] == "started")):
        in_flight += {"started": 1, "finished": -1}.get(what, 0)
        peak = max(peak, in_flight)
    expect(peak, workers, f"the most items handled at the same time (with {workers} workers and items waiting)",
           hint="start `workers` consumers that each take items from the queue and handle them concurrently")
    produced = started = worst = 0
    for _, what, _ in sorted(events, key=lambda e: (e[0], e[1] != "started")):
        produced += what == "produced"
        started += what == "started"
        worst = max(worst, produced - started)
    if worst > maxsize + 1:
        fail(
            f"up to {worst} produced items were waiting at once, expected at most {maxsize + 1} (a queue of maxsize "
            f"{maxsize}, plus the item in the producer's hand): create the queue with asyncio.Queue(maxsize) so that "
            f"put() waits while it is full")
    expect_no_leftover_tasks(run, hint="end the consumers (cancel them once the queue is joined, or send end markers)")


# -- exercise 4: on_each_done -------------------------------------------------------------------------


def check_plain_def(on_each_done):
    if inspect.iscoroutinefunction(on_each_done):
        fail("on_each_done is defined with async def: define it with a plain def, "
             "since it only registers callbacks, which are plain functions")


def check_callbacks(on_each_done, specs):
    """specs: (name, seconds, result or exception) per task."""
    async def scenario():
        calls = []

        async def work(seconds, value):
            await asyncio.sleep(seconds)
            if isinstance(value, BaseException):
                raise value
            return value

        tasks = [asyncio.create_task(work(s, v), name=name) for name, s, v in specs]
        result = on_each_done(tasks, lambda name, outcome: calls.append((name, repr(outcome))))
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)  # callbacks run soon after their task is done
        return result, calls

    run = run_async(scenario)
    returned, calls = run.result
    expect(returned, None, "on_each_done returned", hint="it only registers callbacks and returns nothing")
    expected = [(name, repr(v)) for name, s, v in sorted(specs, key=lambda spec: spec[1])]
    expect(calls, expected, "record calls, in order",
           hint="call record(task.get_name(), outcome) from a done callback, with the task the callback receives "
                "(a lambda that reads the loop variable sees only the last task); outcome is task.exception() or task.result()")


# -- exercise 5: ToyScheduler -------------------------------------------------------------------------


def the_tests_clock(moves):
    """A clock only the test can read back: every advance_to lands in `moves` as (from, to)."""
    now = [0.0]

    class TestClock:
        def now(self):
            return now[0]

        def advance_to(self, when):
            moves.append((now[0], when))
            now[0] = when

    return TestClock()


def why_it_failed(error, label):
    """An error out of the scheduler, as expected / got / likely cause."""
    text = str(error)
    if isinstance(error, NotImplementedError):
        cause = "ToyScheduler is not written yet: replace each `raise NotImplementedError()`"
    elif "not supported between instances" in text:
        cause = ("two timers were due at the same time, so the heap compared their callbacks, which cannot be "
                 "compared: push (when, seq, callback), with seq a counter that goes up at every call_later")
    elif "positional argument" in text:
        cause = "callbacks take no arguments: call them as callback()"
    elif "during iteration" in text:
        cause = ("callbacks schedule more callbacks while run() runs: take them out one at a time "
                 "(ready.popleft()) instead of looping over the queue itself")
    elif "still running after" in text:
        cause = "run() must return as soon as nothing is ready and no timer is left (a `while True` with no way out?)"
    elif "time.sleep" in text:
        cause = "the scheduler must not wait in real time: the clock is virtual, move it with clock.advance_to(when)"
    elif "still waiting" in text:
        cause = ("run() returned while callbacks or timers were left: it must go on until nothing is ready and "
                 "no timer is left, including what callbacks set while it ran")
    else:
        cause = "read the error above: it came out of your ToyScheduler"
    return (f"{label}: expected run() to run every callback and return, got {type(error).__name__}: {text}\n"
            f"Likely cause: {cause}")


def contract_run(plans):
    """What the contract runs, and when: the test's own model of ToyScheduler, as [(name, time)].

    Ready callbacks first in, first out, with the clock standing still; when none is ready, the clock
    moves to the earliest timer (ties in the order set) and that one timer's callback runs. What it
    makes ready runs before the next timer, even one due at the same moment.
    """
    ready, timers, ran, order, now = deque(), [], [], count(), 0.0

    def schedule(plan):
        if plan[1] is None:
            ready.append(plan)
        else:
            heapq.heappush(timers, (now + plan[1], next(order), plan))

    for plan in plans:
        schedule(plan)
    while ready or timers:
        if ready:
            plan = ready.popleft()
        else:
            now, _, plan = heapq.heappop(timers)
        ran.append((plan[0], now))
        for child in plan[2]:
            schedule(child)
    return ran


TIMER_BEFORE_READY = ("a callback that is ready runs before the next timer, even one due at the same moment: "
                      "move the clock to the earliest timer, run that one timer, then everything it made ready, "
                      "and only then take the next timer (asyncio moves every due timer to the ready queue at "
                      "once; this toy takes one at a time)")
TIMERS_OUT_OF_ORDER = ("timers must be taken earliest first, by the time they are due (clock.now() + delay), not by "
                       "their delay or the order they were set: heapq.heappush, then heapq.heappop (list.pop(0) on "
                       "a heap is not the earliest), or a list kept sorted by time")
DUE_WHEN_SET = ("a timer is due at clock.now() + delay, computed when call_later is called: keep that moment "
                "(when, seq, callback), not the delay, and move the clock exactly there (clock.advance_to(when))")
CLOCK_NEVER_MOVED = ("the clock never moved: when nothing is ready, move it to the earliest timer's time with "
                     "clock.advance_to(when), then run that timer")


def run_schedule(ToyScheduler, plans, label):  # noqa: N803 - the exercise's class, by its name
    """Schedule `plans` on a new ToyScheduler with the test's clock, run it, and check what ran when.

    A plan is (name, delay, then): call_soon when delay is None, call_later(delay) otherwise. When its
    callback runs, it schedules the plans in `then`. The test records everything itself (what ran at
    which time on its clock, every move of the clock) and compares it with its own model of the
    contract (contract_run); a difference is explained from the first place the two part.
    """
    moves, ran, due = [], [], {}  # clock moves; (name, time) as callbacks ran; name -> (time due, how set)
    timers = set()  # the names set with call_later
    clock = the_tests_clock(moves)

    def schedule(scheduler, plan):
        name, delay, then = plan

        def callback():
            ran.append((name, clock.now()))
            for child in then:
                schedule(scheduler, child)

        if delay is None:
            due[name] = (clock.now(), f"call_soon at {clock.now():g} s")
            scheduler.call_soon(callback)
        else:
            due[name] = (clock.now() + delay, f"call_later({delay:g}) at {clock.now():g} s")
            timers.add(name)
            scheduler.call_later(delay, callback)

    async def scheduled_run():
        scheduler = ToyScheduler(clock)
        for plan in plans:
            schedule(scheduler, plan)
        scheduler.run()

    try:
        run_async(scheduled_run, shown_as="ToyScheduler.run()")
    except Exception as error:
        fail(why_it_failed(error, label))

    expected = contract_run(plans)
    names = [name for name, _ in ran]
    with Checks(label) as check:
        never = [name for name, _ in expected if name not in names]
        check.fact(not never, f"expected every callback to run once before run() returned, got {len(never)} of "
                              f"{len(expected)} that never ran ({', '.join(never[:4])})",
                   hint="likely cause: run() stopped too early. It must go on until nothing is ready and no timer "
                        "is left, including the callbacks and timers that callbacks set while it ran")
        twice = sorted({name for name in names if names.count(name) > 1})
        check.fact(not twice, f"expected each callback to run once, got {', '.join(twice)} more than once",
                   hint="likely cause: a callback stays in the ready queue or among the timers after it ran")
        back = [(was, to) for was, to in moves if to < was]
        if back:
            check.fact(False, f"expected the clock to move forward only, got clock.advance_to({back[0][1]:g}) "
                              f"at {back[0][0]:g} s",
                       hint="likely cause: " + (DUE_WHEN_SET if any(at != due[name][0] for name, at in ran)
                                                else TIMERS_OUT_OF_ORDER))
        parted = next((n for n, (want, have) in enumerate(zip(expected, ran)) if want != have), None)
        if parted is not None and not never and not twice:
            (want, want_at), (have, have_at) = expected[parted], ran[parted]
            if have in timers and have_at != due[have][0]:
                hint = DUE_WHEN_SET if moves else CLOCK_NEVER_MOVED
            elif have in timers and want not in timers:
                hint = TIMER_BEFORE_READY
            elif have in timers and want in timers:
                hint = ("timers due at the same time ran in another order than they were set: put a counter "
                        "between the time and the callback, (when, seq, callback)" if due[have][0] == due[want][0]
                        else TIMERS_OUT_OF_ORDER)
            elif have not in timers and want not in timers:
                hint = ("the ready queue is used as a stack: take the oldest callback first (deque.popleft(), "
                        "or list.pop(0))")
            else:
                hint = "a timer ran later than it should: when nothing is ready, move the clock to the earliest timer"
            check.fact(False, f"expected callback number {parted + 1} to be {want} ({due[want][1]}) at "
                              f"{want_at:g} s, got {have} ({due[have][1]}) at {have_at:g} s",
                       hint="likely cause: " + hint)
        times = {due[name][0] for name in timers}
        stray = [to for _, to in moves if to not in times]
        if stray:
            check.fact(False, f"expected the clock to move only to the time of a timer, got clock.advance_to({stray[0]:g})",
                       hint="likely cause: jump straight to the earliest timer's time, with no steps in between")


def run_crawl(ToyScheduler, delays, together):  # noqa: N803 - the exercise's class, by its name
    """Lecture 3.2's crawler on a ToyScheduler with the test's clock; the test records each page's start and end."""
    urls = [f"url_{seconds}" for seconds in delays]
    events = []

    async def page(url):
        events.append((toy_now(), f"crawling {url}"))
        await toy_sleep(int(url.split("_")[-1]))
        events.append((toy_now(), f"OK {url}"))
        return f"OK {url}"

    async def main():
        if together:
            tasks = [toy_create_task(page(url)) for url in urls]
            return [await task for task in tasks]
        return [await page(url) for url in urls]

    moves = []  # every move of the test's clock, as (from, to)

    async def crawl_run():
        clock = the_tests_clock(moves)
        return toy_run(ToyScheduler(clock), clock, main()), clock.now()

    how = "as tasks" if together else "one by one"
    label = f"the crawler {how} on ToyScheduler, pages {delays}"
    try:
        result, total = run_async(crawl_run, shown_as="ToyScheduler.run()").result
    except Exception as error:
        fail(why_it_failed(error, label))
    if together:
        expected = [(0.0, f"crawling {url}") for url in urls] + [(float(s), f"OK url_{s}") for s in sorted(delays)]
    else:
        expected, at = [], 0.0
        for url, seconds in zip(urls, delays):
            expected += [(at, f"crawling {url}"), (at + seconds, f"OK {url}")]
            at += seconds
    want = {what: at for at, what in expected}
    got = {what: at for at, what in events}
    if any(got.get(what, at) < at for what, at in want.items()):
        cause = ("a page finished before the clock reached its time: a timer is due at clock.now() + delay, "
                 "computed when call_later is called; advance the clock there, then run the callback")
    elif any(to < was for was, to in moves):
        was, to = next((was, to) for was, to in moves if to < was)
        cause = f"the clock went back from {was:g} s to {to:g} s: {TIMERS_OUT_OF_ORDER}"
    elif any(got.get(what, at) > at for what, at in want.items()):
        cause = ("the clock moved on while task steps were ready: run every ready callback first, then advance the "
                 "clock to the earliest timer")
    elif set(got) != set(want):
        cause = "run() stopped before every page was done"
    else:
        cause = "ready callbacks ran out of order: the oldest first (first in, first out)"
    with Checks(label) as check:
        check.expect(events, expected, "what the pages did, as (time, event), in order", hint="Likely cause: " + cause)
        check.expect(total, float(sum(delays) if not together else max(delays)), "the clock at the end (seconds)",
                     hint="Likely cause: the clock must end where the last page ends, and move no further")
        check.expect(result, [f"OK {url}" for url in urls], "what the crawler returned",
                     hint="Likely cause: toy_run returns what the main coroutine returned; did every task finish?")


# -- exercise 6: StepTask ---------------------------------------------------------------------------


class _TestScheduler:
    """The test's own scheduler for exercise 6, so that only StepTask is judged. It turns as asyncio's loop does
    (every due timer joins the ready queue at once, then a turn runs what was ready when it began): a StepTask
    must work on any scheduler, and this one is no answer to exercise 5."""

    def __init__(self, clock):
        self.clock, self.soon, self.later, self.order = clock, deque(), [], count()

    def call_soon(self, callback):
        self.soon.append(callback)

    def call_later(self, delay, callback):
        heapq.heappush(self.later, (self.clock.now() + delay, next(self.order), callback))

    def run(self):
        while self.soon or self.later:
            if not self.soon:
                self.clock.advance_to(self.later[0][0])
            while self.later and self.later[0][0] <= self.clock.now():
                self.soon.append(heapq.heappop(self.later)[2])
            for _ in range(len(self.soon)):
                self.soon.popleft()()


def run_step_tasks(StepTask, main, label):  # noqa: N803 - the exercise's class, by its name
    """Run `main(new_task)` on the test's toy loop, where new_task(coro) makes a StepTask; returns what main returned."""

    async def on_toy_loop():
        clock = the_tests_clock([])
        scheduler = _TestScheduler(clock)
        return toy_run(scheduler, clock, main(lambda coro: StepTask(scheduler, coro)))

    try:
        return run_async(on_toy_loop, shown_as="StepTask").result
    except AssertionError:
        raise
    except Exception as error:
        fail(f"{label}: expected the tasks to run to their end, got {type(error).__name__}: {error}\n"
             f"Likely cause: {step_error_cause(error)}", error)


def step_error_cause(error):
    text = str(error)
    if isinstance(error, NotImplementedError):
        return "StepTask is not written yet: replace each `raise NotImplementedError()`"
    if "already has its result" in text:
        return ("a step ran on a task that was already done: step() must do nothing once the task is done "
                "(self.done)")
    if "cannot reuse already awaited coroutine" in text or "generator already executing" in text:
        return "the coroutine was resumed after it had finished: step() must do nothing once the task is done"
    if "still waiting" in text:
        return ("a task never took its next step: wake_up(future) must schedule self.step with "
                "self.scheduler.call_soon when the future it waits for is done")
    return "read the error above: it came out of your StepTask"


def check_step_task_runs(StepTask, sleeps):  # noqa: N803 - the exercise's class, by its name
    """Tasks that sleep and return, awaited by main: the steps, results and times of a plain run."""
    events = []

    async def work(name, seconds):
        events.append((toy_now(), f"{name} starts"))
        await toy_sleep(seconds)
        events.append((toy_now(), f"{name} ends"))
        return f"{name} done"

    async def main(new_task):
        tasks = [new_task(work(f"task {n}", s)) for n, s in enumerate(sleeps)]
        return [await task for task in tasks], [task.cancelled for task in tasks]

    label = f"StepTask running tasks that sleep {sleeps} s"
    results, cancelled = run_step_tasks(StepTask, main, label)
    expected = sorted([(0.0, f"task {n} starts") for n in range(len(sleeps))] +
                      [(float(s), f"task {n} ends") for n, s in enumerate(sleeps)], key=lambda event: event[0])
    with Checks(label) as check:
        check.expect(events, expected, "what the tasks did, as (time, event), in order",
                     hint="likely cause: step() sends None into the coroutine; the future it yields gets "
                          "wake_up as its done callback, and wake_up schedules the next step")
        check.expect(results, [f"task {n} done" for n in range(len(sleeps))], "the tasks' results",
                     hint="likely cause: when send() raises StopIteration, the coroutine returned: "
                          "self.set_result(stop.value)")
        check.expect(cancelled, [False] * len(sleeps), "task.cancelled of each task",
                     hint="likely cause: a task that returned is not cancelled")


def check_step_task_cancel(StepTask, at, sleeping, cleanup):  # noqa: N803 - the exercise's class, by its name
    """A task cancelled at `at` while it sleeps `sleeping` s; it cleans up for `cleanup` s, then lets the error out."""
    events = []

    async def victim():
        events.append((toy_now(), "victim starts"))
        try:
            await toy_sleep(sleeping)
            events.append((toy_now(), "victim woke up from its sleep"))
        except asyncio.CancelledError:
            events.append((toy_now(), "victim got CancelledError"))
            await toy_sleep(cleanup)
            events.append((toy_now(), "victim cleaned up"))
            raise
        return "victim finished"

    async def canceller(task):
        await toy_sleep(at)
        events.append((toy_now(), f"cancel() returned {task.cancel()}"))

    async def main(new_task):
        task = new_task(victim())
        await new_task(canceller(task))
        await task
        await toy_sleep(sleeping)  # the victim's old timer fires meanwhile: it must not wake the task
        events.append((toy_now(), f"cancel() of a done task returned {task.cancel()}"))
        return task.cancelled, task.result

    label = f"StepTask cancelled at {at:g} s during a sleep of {sleeping:g} s, cleaning up for {cleanup:g} s"
    cancelled, result = run_step_tasks(StepTask, main, label)
    expected = [(0.0, "victim starts"), (float(at), "cancel() returned True"), (float(at), "victim got CancelledError"),
                (float(at + cleanup), "victim cleaned up"),
                (float(at + cleanup + sleeping), "cancel() of a done task returned False")]
    woke_early = any(what == "victim cleaned up" and when < at + cleanup for when, what in events)
    late = any(what == "victim got CancelledError" and when > at for when, what in events)
    cause = ("the old sleep's timer woke the task while it was cleaning up, so its clean-up sleep ended early: "
             "wake_up(future) must ignore a future the task no longer waits for (cancel() forgets it)" if woke_early
             else "cancel() must schedule a step at once (self.scheduler.call_soon(self.step)) when the task is "
                  "waiting for a future, not leave it to the future" if late
             else "the next step after cancel() throws asyncio.CancelledError() into the coroutine "
                  "(self.coro.throw(...)), once, where it awaits; it must not close the coroutine")
    with Checks(label) as check:
        check.expect(events, expected, "what happened, as (time, event), in order", hint="likely cause: " + cause)
        check.expect((cancelled, result), (True, None), "(task.cancelled, task.result) at the end",
                     hint="likely cause: when CancelledError comes out of the coroutine, the task ends cancelled: "
                          "self.cancelled = True, then self.set_result(None)")


def check_step_task_cancel_early(StepTask, swallow):  # noqa: N803 - the exercise's class, by its name
    """cancel() before the first step (the coroutine never starts), or at an await the coroutine handles itself."""
    events = []

    async def polite():
        events.append((toy_now(), "polite starts"))
        try:
            await toy_sleep(3)
        except asyncio.CancelledError:
            events.append((toy_now(), "polite got CancelledError"))
            return "polite stopped"
        return "polite finished"

    async def main(new_task):
        task = new_task(polite())
        if swallow:
            await toy_sleep(1)
        said = task.cancel()
        await task
        return said, task.cancelled, task.result

    if swallow:
        label = "StepTask cancelled at 1 s by a coroutine that catches CancelledError and returns"
        expected = ((True, False, "polite stopped"),
                    [(0.0, "polite starts"), (1.0, "polite got CancelledError")])
        hint = ("likely cause: a coroutine that catches CancelledError and returns ends the task normally, with its "
                "result: only a CancelledError that comes out of the coroutine cancels the task")
    else:
        label = "StepTask cancelled before its first step"
        expected = ((True, True, None), [])
        hint = ("likely cause: a task cancelled before its first step never runs its coroutine: that first step "
                "throws CancelledError into the coroutine, which has not started, so it ends at once; "
                "cancel() must not schedule a second step when one is already scheduled (the task waits for "
                "no future)")
    outcome = run_step_tasks(StepTask, main, label)
    with Checks(label) as check:
        check.expect((outcome, events), expected,
                     "((cancel() returned, task.cancelled, task.result), what the coroutine did as (time, event))",
                     hint=hint)


def check_step_task_cancel_woken(StepTask, cleanup):  # noqa: N803 - the exercise's class, by its name
    """A task woken and cancelled in the same step of another task: it has a step scheduled and waits for nothing."""
    events = []
    signal = ToyFuture()

    async def victim():
        try:
            await signal
            events.append((toy_now(), "victim went on after the signal"))
        except asyncio.CancelledError:
            events.append((toy_now(), "victim got CancelledError"))
            await toy_sleep(cleanup)
            events.append((toy_now(), "victim cleaned up"))
            raise

    async def main(new_task):
        task = new_task(victim())
        await toy_sleep(1)
        signal.set_result("go")  # wakes the victim: its next step is scheduled...
        events.append((toy_now(), f"cancel() returned {task.cancel()}"))  # ...and it is cancelled before it runs
        await task
        return task.cancelled

    label = f"StepTask woken by its future and cancelled before its next step, cleaning up for {cleanup:g} s"
    cancelled = run_step_tasks(StepTask, main, label)
    with Checks(label) as check:
        check.expect(events, [(1.0, "cancel() returned True"), (1.0, "victim got CancelledError"),
                              (1.0 + cleanup, "victim cleaned up")], "what happened, as (time, event), in order",
                     hint="likely cause: the task was woken, so a step is already scheduled: cancel() only sets "
                          "must_cancel (that step throws), and must not schedule a second step, which would resume "
                          "the clean-up before its sleep ends")
        check.expect(cancelled, True, "task.cancelled at the end",
                     hint="likely cause: when CancelledError comes out of the coroutine, the task ends cancelled")
