"""The test side of assignment 05-beyond (source/05-beyond/beyond.ipynb): what its test cells check.

Each test cell imports its checks from here and passes in the exercise's function or class. The
operations, fetches, handlers and tasks the answer works on are the test's own: it records what they
did on the loop's virtual clock (a ``Recorder``, or lists of events only this module holds), never
what the answer says about itself. ``request_id`` lives here so that the notebook and its tests share
one context variable without sharing the notebook's namespace.
"""

from __future__ import annotations

import asyncio
import contextvars

from coursekit.grading import Checks, Recorder, fail, run_async

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def _now() -> float:
    return asyncio.get_running_loop().time()


# -- exercise 1: retry -----------------------------------------------------------------------------


def _fails(outcome) -> bool:
    return isinstance(outcome, type) and issubclass(outcome, BaseException)


def _operation(plan, seconds):
    """Attempt n takes seconds[n], then raises plan[n](...) when it is an exception class, or returns plan[n]."""
    attempt = [0]

    async def operation():
        n = min(attempt[0], len(plan) - 1)
        attempt[0] += 1
        await asyncio.sleep(seconds[n])
        if _fails(plan[n]):
            raise plan[n](f"attempt {attempt[0]} failed")
        return plan[n]

    return operation


def _plan_text(plan, seconds):
    """The attempts as (what each ends with, seconds it takes): [('ConnectionError', 1), (42, 2)]."""
    return repr([(o.__name__ if _fails(o) else o, s) for o, s in zip(plan, seconds)])


def check_retry(retry, plan, seconds, attempts, pause):
    """retry alone: the first success is returned, or the last failure raised, with `pause` between attempts."""
    recorder = Recorder()
    operation = recorder.wrap(_operation(plan, seconds), "operation")

    raised = []  # what came out of retry: the object itself

    async def scenario():
        try:
            return f"returned {await retry(operation, attempts, pause)!r}"
        except Exception as error:  # what retry raised, by type and message, and which object it was
            raised.append(error)
            return f"raised {type(error).__name__}({str(error)!r})"

    run = run_async(scenario, shown_as="retry(operation, attempts, pause)")
    made, at, starts = 0, 0.0, []
    for n in range(attempts):
        starts.append(at)
        made, at = n + 1, at + seconds[n]
        if not _fails(plan[n]):
            ends = f"returned {plan[n]!r}"
            break
        if n + 1 < attempts:
            at += pause
    else:
        ends = f"raised {plan[attempts - 1].__name__}('attempt {attempts} failed')"
    calls = recorder.of("operation")
    label = f"retry(operation, {attempts}, {pause:g}) with attempts {_plan_text(plan[:made], seconds)} (outcome, s)"
    with Checks(label) as check:
        check.expect(run.result, ends, "how retry ended",
                     hint="likely cause: return the first result; once the last attempt has failed, raise that attempt's own "
                          "exception (a bare `raise`), with no pause after it")
        if raised and calls and run.result == ends:
            check.fact(raised[0] is calls[-1].error, "the exception retry raised should be the last attempt's own "
                       "object, not a new one made like it",
                       hint="likely cause: raise the exception the last attempt raised (a bare `raise` in its "
                            "except clause, or `raise error` with the object you caught)")
        check.expect(len(calls), made, "the number of times operation() was called",
                     hint="likely cause: call operation() again after each failure (any Exception, TimeoutError too), up to "
                          "`attempts` calls in all, and stop at the first success")
        if len(calls) == made:
            check.expect([c.started for c in calls], starts, "when each attempt started (seconds)",
                         hint="likely cause: after a failed attempt wait `pause` seconds (await asyncio.sleep(pause)), then "
                              "try again; no pause before the first attempt")
        check.loop_time(run, at, hint="likely cause: end as soon as an attempt succeeds, or right after the last attempt fails")


def check_retry_cancelled(retry, seconds, pause, at, by_timeout):
    """retry whose every attempt fails, stopped at `at` seconds by a cancellation or an asyncio.timeout around it."""
    recorder = Recorder()
    operation = recorder.wrap(_operation([ConnectionError], [seconds]), "operation")

    async def scenario():
        if by_timeout:
            try:
                async with asyncio.timeout(at):
                    await retry(operation, 100, pause)
            except TimeoutError:
                return "TimeoutError", _now()
            except Exception as error:
                return f"raised {type(error).__name__}", _now()
            return "returned", _now()
        task = asyncio.create_task(retry(operation, 100, pause))
        await asyncio.sleep(at)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return "cancelled", _now()
        except Exception as error:
            return f"raised {type(error).__name__}", _now()
        return "returned", _now()

    how = f"asyncio.timeout({at:g})" if by_timeout else f"a cancellation at {at:g} s"
    run = run_async(scenario, shown_as="retry(operation, attempts, pause)")
    ended, when = run.result
    calls = recorder.of("operation")
    in_pause = (at % (seconds + pause)) >= seconds
    with Checks(f"retry(operation, 100, {pause:g}) with attempts failing after {seconds:g} s, "
                f"stopped by {how}, {'during a pause' if in_pause else 'during an attempt'}") as check:
        check.expect(ended, "TimeoutError" if by_timeout else "cancelled", "how retry ended",
                     hint="likely cause: a cancellation must never be retried or swallowed: catch Exception (CancelledError is "
                          "not one), or re-raise asyncio.CancelledError at once; asyncio.timeout raises "
                          "TimeoutError only if the cancellation it sent comes back out of the block")
        late = [c for c in calls if c.started > at]
        shown = [f"{c.started:g} s" for c in late[:3]] + ([f"{len(late) - 3} more"] if len(late) > 3 else [])
        check.expect(shown, [], "attempts started after the cancellation",
                     hint="likely cause: the cancellation must end retry: no new attempt after it, not even after a pause")
        check.expect(when, float(at), "when retry stopped (seconds)",
                     hint="likely cause: stop at once when cancelled: let CancelledError out of the attempt or the pause")
        cut = [c for c in calls if c.started < at < c.started + seconds]
        check.fact(all(c.outcome == "cancelled" and c.ended == at and not c.ended_after_return for c in cut),
                   "the attempt running at the cancellation should be cancelled with retry, at that moment",
                   hint="likely cause: await operation() in retry's own task, so that cancelling retry cancels it "
                        "too (asyncio.shield or a task of its own would leave it running)")


# -- exercise 2: SingleFlight ----------------------------------------------------------------------


def expected_flights(gets, seconds, failing):
    """The contract's answer: per get (start, key), what it returns and when; and every fetch (key, start).

    A key's value is kept once a fetch of it succeeds; a get while a fetch of its key is on its way shares
    that fetch; a failed fetch (the first fetch of each key in `failing`) is not kept.
    """
    kept, flying, fetches, outcomes = {}, {}, [], []
    counts = {}
    for start, key in sorted(gets):
        done = flying.get(key)
        if done is not None and done[0] <= start:  # that fetch ended before this get
            if done[1] is not None:
                kept[key] = done[1]
            del flying[key]
        if key in kept:
            outcomes.append((start, key, f"value {kept[key]!r}", start))
            continue
        if key not in flying:
            counts[key] = counts.get(key, 0) + 1
            fetches.append((key, start))
            fails = key in failing and counts[key] == 1
            value = None if fails else f"{key} #{counts[key]}"
            flying[key] = (start + seconds[key], value, counts[key])
        end, value, number = flying[key]
        said = f"raised LookupError('fetch {number} of {key} failed')" if value is None else f"value {value!r}"
        outcomes.append((start, key, said, end))
    return outcomes, fetches


def check_single_flight(SingleFlight, gets, seconds, failing=()):  # noqa: N803 - the exercise's class, by its name
    """gets: (start, key) per caller, each in a task of the test's own; seconds: how long a fetch of each key takes."""
    recorder = Recorder()
    counts = {}

    async def fetch(key):
        counts[key] = counts.get(key, 0) + 1
        number = counts[key]
        await asyncio.sleep(seconds[key])
        if key in failing and number == 1:
            raise LookupError(f"fetch {number} of {key} failed")
        return f"{key} #{number}"

    fetch_recorded = recorder.wrap(fetch, "fetch")

    async def scenario():
        flights = SingleFlight()

        async def caller(start, key):
            await asyncio.sleep(start)
            try:
                said = f"value {await flights.get(key, fetch_recorded)!r}"
            except Exception as error:
                said = f"raised {type(error).__name__}({str(error)!r})"
            return start, key, said, _now()

        return await asyncio.gather(*(caller(start, key) for start, key in gets))

    run = run_async(scenario, shown_as="SingleFlight().get(key, fetch)")
    outcomes, fetches = expected_flights(gets, seconds, failing)
    got_fetches = sorted((c.args[0], c.started) for c in recorder.of("fetch"))
    if len(got_fetches) > len(fetches):
        cause = ("a get must share the fetch already on its way for its key, and a kept value needs no fetch: keep "
                 "a lock per key and look at the kept values again once you hold it, or keep one shared task per key")
    elif len(got_fetches) < len(fetches):
        cause = "a fetch that failed is not kept: the next get of that key fetches again"
    else:
        cause = ("gets of different keys must not wait for each other: one lock for every key makes them take "
                 "turns; keep a lock (or a task) per key")
    failing_text = f", the first fetch of {sorted(failing)} failing" if failing else ""
    with Checks(f"SingleFlight with gets {sorted(gets)} (start s, key), fetches taking {seconds}{failing_text}") as check:
        check.expect(got_fetches, sorted(fetches), "the fetches made, as (key, start s)", hint="likely cause: " + cause)
        check.expect(sorted(run.result), sorted(outcomes),
                     "what each get returned or raised, and when, as (start s, key, outcome, end s)",
                     hint="likely cause: every get sharing a fetch gets its value, or its exception, as soon as it "
                          "ends; a kept value comes back at once")


# -- exercise 3: handle_all ------------------------------------------------------------------------


def _seen() -> str:
    """request_id as a handler sees it: a str, or what else it is (an object of the answer's own compares as it likes)."""
    value = request_id.get()
    return value if type(value) is str else f"<not a str: {type(value).__name__}>"


def check_handle_all(handle_all, seconds):
    """seconds: request -> how long the test's handler takes. The handler reads request_id three times.

    What the handler sees goes to a recorder (``seen``: a call per reading), whose record the guard keeps:
    nothing the answer can reach through the handler it is given holds the test's data.
    """
    recorder = Recorder()

    async def noted(request, where, value):
        return None

    seen = recorder.wrap(noted, "seen")
    requests = list(seconds)

    async def handle(request):
        if type(request) is not str or request not in seconds:  # only the test's own strings count
            await seen(f"<a request the test never made: {type(request).__name__}>", "start", _seen())
            return None
        await seen(request, "start", _seen())
        await asyncio.sleep(seconds[request])
        await seen(request, "after awaiting", _seen())

        async def helper():
            await seen(request, "in a task it started", _seen())

        await asyncio.create_task(helper())
        return f"handled {request}"

    handle_recorded = recorder.wrap(handle, "handle")

    async def scenario():
        request_id.set("the caller's id")
        results = await handle_all(list(requests), handle_recorded)
        return results, _seen()

    run = run_async(scenario, shown_as="handle_all(requests, handle)")
    results, after = run.result if isinstance(run.result, tuple) else (run.result, None)
    starts = {c.args[0]: c.started for c in recorder.of("handle")}
    wrong = sorted({(c.args[0], c.args[1], c.args[2]) for c in recorder.of("seen") if c.args[2] != c.args[0]})
    with Checks(f"handle_all({requests}, handle), handlers taking {list(seconds.values())} s") as check:
        check.expect(results, [f"handled {r}" for r in requests], "what handle_all returned",
                     hint="likely cause: return each handler's result, in the order of requests")
        check.expect(wrong, [], "handlers that saw another request_id than their own request, as (request, where, "
                                "request_id seen)",
                     hint="likely cause: set request_id inside each request's own task (a small async function that "
                          "sets it, then awaits handle(request)), or give each task a copied context; a value set in "
                          "the caller's loop is seen by every task made after it")
        check.expect(after, "the caller's id", "request_id in the caller after handle_all returned",
                     hint="likely cause: handle_all set request_id in the caller's own context: set it in the tasks "
                          "(each has a copy of the context), or reset it with the token that set() returned")
        check.expect(sorted(starts.items(), key=repr), sorted(((r, 0.0) for r in requests), key=repr),
                     "when each handler started, as (request, seconds)",
                     hint="likely cause: start every handler at once, each in its own task, then wait for them all")
        check.loop_time(run, float(max(seconds.values())),
                        hint="likely cause: run the handlers concurrently and return once the last one is done")


# -- exercise 4: stop_gracefully -------------------------------------------------------------------


def check_stop_gracefully(stop_gracefully, specs, grace):
    """specs: (name, seconds it runs, seconds its clean-up takes once cancelled, exception it ends with or None)."""
    events = []  # (time, what, name)

    async def work(name, seconds, cleanup, error):
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            events.append((_now(), "cancelled", name))
            await asyncio.sleep(cleanup)  # closing files, saving state: the task's own clean-up
            events.append((_now(), "cleaned up", name))
            raise
        events.append((_now(), "finished", name))
        if error is not None:
            raise error

    async def scenario():
        tasks = [asyncio.create_task(work(*spec), name=spec[0]) for spec in specs]
        try:
            names = await stop_gracefully(list(tasks), grace)
        finally:
            states = {t.get_name(): ("running" if not t.done() else "cancelled" if t.cancelled() else "done")
                      for t in tasks}
            for task in tasks:  # the test collects what its own tasks ended with
                if task.done() and not task.cancelled():
                    task.exception()
        return names, states, _now()

    label = f"stop_gracefully(tasks, {grace:g}) for tasks {[(n, s, c) for n, s, c, _ in specs]} (name, runs s, clean-up s)"
    try:
        run = run_async(scenario, shown_as="stop_gracefully(tasks, grace)")
    except AssertionError:
        raise
    except Exception as error:
        fail(f"{label}: expected the names of the cancelled tasks, got {type(error).__name__}: {error}. Likely cause: "
             f"a task that failed on its own is just done: collect the outcomes with asyncio.gather(..., "
             f"return_exceptions=True) or asyncio.wait, do not let its exception out", error)
    names, states, _ = run.result
    late = [name for name, seconds, _, _ in specs if seconds > grace]
    end = max((grace + cleanup if seconds > grace else seconds) for _, seconds, cleanup, _ in specs)
    cancelled_at = sorted({at for at, what, _ in events if what == "cancelled"})
    with Checks(label) as check:
        check.expect(names, late, "the names returned",
                     hint="likely cause: return task.get_name() of each task still running at the grace period's "
                          "end, in the order of tasks")
        check.expect([f"{at:g} s" for at in cancelled_at], [f"{grace:g} s"] if late else [],
                     "when tasks were cancelled",
                     hint="likely cause: give the tasks the whole grace period first (asyncio.wait(tasks, "
                          "timeout=grace)), then cancel only those still running")
        check.expect(sorted(name for name, state in states.items() if state == "running"), [],
                     "tasks still running when stop_gracefully returned",
                     hint="likely cause: after cancelling, await the cancelled tasks: their clean-up takes time")
        check.loop_time(run, float(end), hint="likely cause: return as soon as every task is done: do not wait "
                                              "out the grace period when all finished before it",
                        early_hint="likely cause: wait until every task is done, the clean-ups of the cancelled "
                                   "ones too")
