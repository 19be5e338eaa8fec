"""Run a student's coroutine function in virtual time and check what it did.

The notebook kernel already runs an event loop in its main thread, so the code
under test gets a fresh looptime event loop in a worker thread.  Sleeps cost
no real time there and the loop clock reads exact values (``gather`` of sleeps
3, 1, 4, 2 takes exactly 4.0 s of loop time, in about a millisecond), whatever
the load on the machine.

Everything that could otherwise leak to stderr (warnings, "Task exception was
never retrieved", a blocking ``time.sleep``) is collected and turned into an
``AssertionError`` whose message says what went wrong: in an nbgrader test cell
any stderr output would zero the cell without telling the student why.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import gc
import inspect
import io
import math
import os
import random
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import looptime

from coursekit import guard
from coursekit.messages import in_each, say, translate, use_language

__all__ = [
    "Run",
    "run_async",
    "expect",
    "expect_lines",
    "expect_loop_time",
    "expect_no_leftover_tasks",
    "fail",
    "random_delays",
    "Recorder",
    "Checks",
    "try_it",
    "forbid_running",
    "use_language",
]

# The run going on in this worker thread: recorders ask it whether the code under test has returned.
_here = threading.local()

class _Stop(BaseException):
    """Raised inside a runaway worker thread to make it give up."""


@dataclass
class Run:
    """What one call of the code under test did."""

    name: str
    result: Any = None
    loop_time: float = 0.0  # seconds on the loop's clock (virtual, unless virtual=False)
    real_time: float = 0.0  # seconds on the wall clock
    lines: list[str] = field(default_factory=list)  # what it printed until it returned
    leftover_tasks: list[str] = field(default_factory=list)  # tasks still pending at return
    late_lines: list[str] = field(default_factory=list)  # printed by its tasks while the runner cleaned up
    example: tuple[Any, float | None] | None = None  # (result, seconds) the exercise's example gives

    def __repr__(self) -> str:
        printed = "\n".join(f"    {line}" for line in self.lines) or f"    {say('nothing')}"
        text = "\n".join([
            say("run_returned", name=self.name, result=repr(self.result)),
            say("run_time", loop=self.loop_time, real=self.real_time),
            say("run_printed"),
            printed,
        ])
        if self.example is not None:
            returns, seconds = self.example
            same = _equal(self.result, returns) and not _foreign(self.result)
            verdict = say("same") if same else say("different")
            text += f"\n{say('example_says')}\n" + say("example_returns", result=repr(returns), verdict=verdict)
            if seconds is not None:
                verdict = say("same") if self.loop_time == seconds else say("different_time", seconds=self.loop_time)
                text += "\n" + say("example_takes", seconds=seconds, verdict=verdict)
        return text

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython display
        p.text(repr(self))


@dataclass
class _Outcome:
    """Filled by the worker thread."""

    result: Any = None
    error: BaseException | None = None
    loop_time: float = 0.0
    leftover: list[str] = field(default_factory=list)
    problems: list[Callable[[], str]] = field(default_factory=list)  # warnings, loop errors: each says itself
    blocking: list[str] = field(default_factory=list)  # blocking calls seen
    hit_time_limit: bool = False
    returned: bool = False  # the code under test has returned (or raised)
    printed_at_return: int | None = None  # characters printed by then
    waiting_in: set[str] = field(default_factory=set)  # what pending tasks awaited when the run stopped


def run_async(
    func: Callable[..., Any],
    /,
    *args: Any,
    max_loop_time: float | None = 600.0,
    idle_timeout: float = 0.5,
    real_timeout: float = 1.0,
    virtual: bool = True,
    shown_as: str | None = None,
    **kwargs: Any,
) -> Run:
    """Await ``func(*args, **kwargs)`` on a fresh virtual-time loop and report.

    Fails with an ``AssertionError`` that names the likely cause when the code
    under test blocks the loop with ``time.sleep``, waits for ever (given up
    when the loop clock reaches ``max_loop_time``, which a deadlock reaches at
    once), never yields (given up after ``real_timeout`` real seconds), or
    leaves warnings behind.  An exception raised by the code under test
    propagates unchanged.

    Code that talks to a real server needs ``virtual=False``: looptime jumps
    its clock to the next timer (a client timeout, say) whenever no socket is
    ready yet, so a reply on its way would lose every race.  The loop is then
    an ordinary one, ``loop_time`` is in real seconds, ``max_loop_time`` and
    ``idle_timeout`` do not apply, and ``real_timeout`` bounds the run.

    ``shown_as`` names the code in messages, when ``func`` is a test's wrapper
    around the student's function.
    """
    __tracebackhide__ = True  # IPython shows the student's frames, not the runner's
    guard.verify()  # what this runner relies on is as the kernel started it
    forbidden = guard.forbidden() or getattr(_forbid, "reason", None)
    if forbidden:
        raise AssertionError(in_each(lambda: translate(forbidden)))
    name = shown_as or getattr(func, "__name__", repr(func))
    outcome = _Outcome()
    out = io.StringIO()
    worker = threading.Thread(
        target=_work,
        args=(outcome, func, args, kwargs, max_loop_time if virtual else None, idle_timeout, virtual, out),
        name=f"coursekit-{name}",
        daemon=True,
    )
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), _forbid_blocking_sleep(func, outcome):
        worker.start()
        worker.join(real_timeout)
        stuck = worker.is_alive()
        if stuck:
            _stop_thread(worker)
            _collect_quietly()
    real_time = time.perf_counter() - started
    printed = out.getvalue()
    cut = outcome.printed_at_return if outcome.printed_at_return is not None else len(printed)
    run = Run(
        name=name,
        result=outcome.result,
        loop_time=outcome.loop_time,
        real_time=real_time,
        lines=printed[:cut].splitlines(),
        leftover_tasks=outcome.leftover,
        late_lines=printed[cut:].splitlines(),
    )

    def failed(message: Callable[[], str]) -> AssertionError:
        """The failure, then what the code printed, in the student's language (both, for a bilingual notebook)."""
        return AssertionError(in_each(lambda: message() + _tail(run.lines)))

    if outcome.blocking:
        raise failed(lambda: _blocking_message(outcome.blocking[0]))
    if stuck:
        raise failed(lambda: say("stuck_virtual" if virtual else "stuck_real", name=name, seconds=real_timeout))
    if outcome.hit_time_limit:
        raise failed(lambda: say("time_limit", name=name, seconds=max_loop_time) + _waiting_hint(outcome.waiting_in))
    if isinstance(outcome.error, looptime.IdleTimeoutError):
        raise failed(lambda: say("deadlock", name=name) + _waiting_hint(outcome.waiting_in))
    if isinstance(outcome.error, asyncio.CancelledError):
        raise failed(lambda: say("cancelled", name=name))
    if isinstance(outcome.error, NotImplementedError) and not outcome.error.args:  # the blank answer cell
        outcome.error.add_note(in_each(lambda: say("not_written", name=name)))
    if outcome.error is not None:
        # The student's own error, shown from the student's code down: the
        # frames of this runner and of asyncio would only hide it.
        raise outcome.error.with_traceback(_outside_the_runner(outcome.error.__traceback__))
    if outcome.problems:
        raise failed(lambda: say("warnings_left", name=name) + "; ".join(problem() for problem in outcome.problems))
    guard.verify()  # and still is, now that the code under test has run
    return run


def _work(
    outcome: _Outcome,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    max_loop_time: float | None,
    idle_timeout: float,
    virtual: bool,
    out: io.StringIO,
) -> None:
    """Body of the worker thread: own loop, own warning filters."""
    _here.outcome = outcome
    kept: _Outcome | None = None
    loop = looptime.new_event_loop(start=0, idle_timeout=idle_timeout) if virtual else asyncio.new_event_loop()
    guard.run_loop(loop, True)  # the recorders believe this loop's clock, and no other's
    started = loop.time()
    loop.set_exception_handler(lambda _loop, ctx: outcome.problems.append(functools.partial(_describe, ctx)))
    asyncio.set_event_loop(loop)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            main = loop.create_task(_call(func, args, kwargs, outcome, out))
            _here.main = main

            def give_up() -> None:
                # With this timer pending, a deadlock also jumps the clock
                # straight here instead of idling: it fails at once.
                outcome.hit_time_limit = True
                outcome.waiting_in = _waiting_in(loop)
                main.cancel()

            if max_loop_time is not None:
                loop.call_at(max_loop_time, give_up)
            try:
                outcome.result = loop.run_until_complete(main)
            except _Stop:
                _abandon(loop)
                return
            except BaseException as error:  # reported in the main thread
                outcome.error = error
                outcome.waiting_in = outcome.waiting_in or _waiting_in(loop)
            outcome.returned = True
            if outcome.printed_at_return is None:
                outcome.printed_at_return = len(out.getvalue())
            try:
                guard.clock(loop, loop.time())  # GuardError if the code under test set the clock back
            except guard.GuardError as error:
                outcome.error = error
            outcome.loop_time = loop.time() - started
            # From here on only leftover tasks run (cancelled): what they do cannot change what was measured.
            kept = _Outcome(**{name: getattr(outcome, name) for name in _Outcome.__dataclass_fields__})
            kept.leftover, kept.problems, kept.blocking = (list(outcome.leftover), list(outcome.problems),
                                                           list(outcome.blocking))
            _here.outcome = _AFTER_RETURN
            _cancel_leftovers(loop)
            # A coroutine that was never awaited warns when it is freed. Objects
            # made during the run are young: collecting generations 0 and 1
            # finds them in about a millisecond, where a full collection in a
            # notebook kernel takes a tenth of a second.
            gc.collect(1)
        outcome.problems.extend(functools.partial(_describe_warning, w) for w in caught)
    except _Stop:
        return
    finally:
        guard.clock(loop, None)
        guard.run_loop(loop, False)
        asyncio.set_event_loop(None)
        _here.outcome = _here.main = None
        with contextlib.suppress(Exception):
            loop.close()
        if kept is not None:  # what was measured, with what cleaning up added (warnings, blocking calls)
            later_problems = [p for p in outcome.problems if p not in kept.problems]
            later_blocking = [b for b in outcome.blocking if b not in kept.blocking]
            for name in _Outcome.__dataclass_fields__:
                setattr(outcome, name, getattr(kept, name))
            outcome.problems += later_problems
            outcome.blocking += later_blocking


class _AfterReturn:
    """What recorders see of a run while its leftover tasks are cancelled: that the code has returned."""

    returned = True


_AFTER_RETURN = _AfterReturn()


def _waiting_in(loop: asyncio.AbstractEventLoop) -> set[str]:
    """What the pending tasks are awaiting, as "Queue.join" and the like (read from their stacks)."""
    found = set()
    for task in asyncio.all_tasks(loop):
        # A suspended task's stack holds only its outermost coroutine: follow what each one awaits.
        awaited = task.get_coro()
        while awaited is not None:
            code = getattr(awaited, "cr_code", None) or getattr(awaited, "gi_code", None)
            if code is not None and os.path.dirname(os.path.abspath(code.co_filename)) == _RUNNER_FILES[1]:
                owner = os.path.splitext(os.path.basename(code.co_filename))[0]
                found.add(f"{owner}.{code.co_name}")
            awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return found


def _waiting_hint(waiting: set[str]) -> str:
    for where in ("join", "put", "get"):
        if f"queues.{where}" in waiting:
            return say(f"queue_{where}")
    return ""


async def _call(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], outcome: _Outcome, out: io.StringIO
) -> Any:
    awaitable = func(*args, **kwargs)
    if not inspect.isawaitable(awaitable):
        raise AssertionError(in_each(lambda: say("not_a_coroutine", name=getattr(func, "__name__", func),
                                                 kind=type(awaitable).__name__)))
    try:
        result = await awaitable
    finally:
        outcome.returned = True
        outcome.printed_at_return = len(out.getvalue())
    # Taken at the moment the code returns: a task it cancelled without
    # awaiting is still pending here, though it would stop a step later.
    me = asyncio.current_task()
    outcome.leftover = [_task_name(t) for t in asyncio.all_tasks() if t is not me and not t.done()]
    return result


_RUNNER_FILES = (os.path.dirname(os.path.abspath(__file__)), os.path.dirname(os.path.abspath(asyncio.__file__)))


def _outside_the_runner(tb):
    """The traceback from the first frame that is neither this package nor asyncio."""
    start = tb
    while start is not None and os.path.abspath(start.tb_frame.f_code.co_filename).startswith(_RUNNER_FILES):
        start = start.tb_next
    return start or tb


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """End quietly whatever the code under test left running."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())


def _task_name(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    return getattr(coro, "__name__", None) or task.get_name()


@contextlib.contextmanager
def _forbid_blocking_sleep(func: Callable[..., Any], outcome: _Outcome):
    """Make ``time.sleep`` fail inside the worker thread (only there).

    Covers ``import time; time.sleep(...)`` and ``from time import sleep`` in the
    namespace of the code under test (the notebook's globals).
    """
    original = time.sleep

    def guarded_sleep(seconds: float) -> None:
        if threading.current_thread().name.startswith("coursekit-"):
            outcome.blocking.append(repr(seconds))
            raise AssertionError(in_each(lambda: _blocking_message(repr(seconds))))
        original(seconds)

    namespaces = [vars(time)]
    for ns in (getattr(func, "__globals__", None), vars(sys.modules["__main__"])):
        if ns is not None and all(ns is not seen for seen in namespaces):
            namespaces.append(ns)
    patched = [(ns, key) for ns in namespaces for key, value in list(ns.items()) if value is original]
    for ns, key in patched:
        ns[key] = guarded_sleep
    try:
        yield
    finally:
        for ns, key in patched:
            ns[key] = original


def _blocking_message(seconds: object) -> str:
    return say("blocking", seconds=seconds)


def _abandon(loop: asyncio.AbstractEventLoop) -> None:
    """Close the coroutines of a loop that was stopped mid-run, now, in silence.

    Left to the garbage collector, each would be closed at some later moment
    and print "Exception ignored in: <coroutine ...>" to stderr, which could
    zero an unrelated test cell.
    """
    for task in asyncio.all_tasks(loop):
        with _quiet_unraisable(), contextlib.suppress(BaseException):
            task.get_coro().close()


@contextlib.contextmanager
def _quiet_unraisable():
    previous, sys.unraisablehook = sys.unraisablehook, lambda _unraisable: None
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _collect_quietly() -> None:
    with _quiet_unraisable():
        gc.collect()


def _stop_thread(thread: threading.Thread) -> None:
    """Raise _Stop inside a thread that ignores its time limit, and wait for it."""
    for _ in range(5):
        if thread.ident is None or not thread.is_alive():
            return
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Stop))
        thread.join(0.2)


def _describe(context: dict[str, Any]) -> str:
    message = context.get("message", "error in the event loop")
    error = context.get("exception")
    text = f"{message} ({type(error).__name__}: {error})" if error else message
    if message.startswith("Exception in callback"):
        text += say("callback_raised")
    return text


def _describe_warning(w: warnings.WarningMessage) -> str:
    text = f"{w.category.__name__}: {w.message}"
    if "was never awaited" in str(w.message):
        text += say("never_awaited")
    return text


def _tail(lines: list[str], count: int = 8) -> str:
    if not lines:
        return ""
    shown = lines[-count:]
    more = f"    ... ({len(lines) - count} {say('earlier_lines')})\n" if len(lines) > count else ""
    return f"\n{say('printed')}\n" + more + "\n".join(f"    {line}" for line in shown)


# -- assertions whose messages say expected, got, and the likely cause ---------


_PLAIN = (type(None), bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset)


def _foreign(value: Any, depth: int = 0) -> str | None:
    """The first object in ``value`` that is not of an exact built-in type, or None.

    Only exact built-in values are compared: an object of the student's own
    class could answer ``==`` however it likes.
    """
    kind = type(value)
    if kind not in _PLAIN:
        return kind.__name__
    if depth > 20:
        return "a structure nested too deep"
    if kind is dict:
        items = [*value.keys(), *value.values()]
    elif kind in (list, tuple, set, frozenset):
        items = list(value)
    else:
        return None
    for item in items:
        found = _foreign(item, depth + 1)
        if found:
            return found
    return None


def expect(actual: Any, expected: Any, what: str, hint: str = "") -> None:
    """Assert ``actual == expected``, compared as exact built-in values; the message names ``what`` was checked."""
    __tracebackhide__ = True
    problem = _expect_problem(actual, expected, what, hint)
    if problem:
        raise AssertionError(in_each(problem))


def _expect_problem(actual: Any, expected: Any, what: str, hint: str) -> Callable[[], str] | None:
    """What is wrong with ``actual``, as a message to make in the student's language; None when it is right."""
    guard.verify()  # every verdict is made by the toolkit as the kernel started it
    foreign = _foreign(actual)
    if foreign:
        return lambda: say("foreign", what=translate(what), expected=repr(expected), kind=foreign)
    if not _equal(actual, expected):
        return lambda: (say("expected_got", what=translate(what), expected=repr(expected), actual=repr(actual))
                        + (say("space") + translate(hint) if hint else ""))
    return None


def fail(text: str, cause: BaseException | None = None) -> None:
    """Fail a test with ``text``, the test's own words, in the student's language (``coursekit.hints_zh``).

    ``cause``: the student's error that made the test fail, shown above the message.
    """
    __tracebackhide__ = True
    guard.verify()
    raise AssertionError(in_each(lambda: translate(text))) from cause


def _equal(actual: Any, expected: Any) -> bool:
    """Equality that also tells 1 from True and 1.0 from 1 in the expected answer."""
    if type(actual) is not type(expected) and not (type(actual) in (int, float) and type(expected) in (int, float)):
        return False
    if type(expected) in (list, tuple):
        return len(actual) == len(expected) and all(_equal(a, e) for a, e in zip(actual, expected))
    if type(expected) is dict:
        return actual.keys() == expected.keys() and all(_equal(actual[k], expected[k]) for k in expected)
    return actual == expected


EARLY = None  # the default early hint: say("early"), in the student's language


def expect_loop_time(run: Run, expected: float, hint: str = "", early_hint: str | None = EARLY) -> None:
    """Assert the exact loop time a run took.

    ``hint`` explains a run that took too long (the usual mistake), and
    ``early_hint`` one that returned too soon.
    """
    __tracebackhide__ = True
    problem = _loop_time_problem(run, expected, hint, early_hint)
    if problem:
        raise AssertionError(in_each(problem))


def _loop_time_problem(run: Run, expected: float, hint: str, early_hint: str | None) -> Callable[[], str] | None:
    guard.verify()
    if run.loop_time == expected:
        return None

    def message() -> str:
        why = translate(hint if run.loop_time > expected else (say("early") if early_hint is None else early_hint))
        text = say("loop_time", name=run.name, got=run.loop_time, expected=expected)
        return text + (say("colon") + why if why else say("period"))

    return message


def expect_no_leftover_tasks(run: Run, hint: str = "") -> None:
    """Assert that the code under test left no task running behind it."""
    __tracebackhide__ = True
    guard.verify()
    if run.leftover_tasks:
        count = f"{_count(run.leftover_tasks, 'task')} {'was' if len(run.leftover_tasks) == 1 else 'were'}"
        raise AssertionError(in_each(lambda: (
            say("leftover", name=run.name, count=count, number=len(run.leftover_tasks), tasks=", ".join(run.leftover_tasks))
            + (say("colon") + translate(hint) if hint else say("period"))
        )))


def expect_lines(run: Run, expected: list[str], hint: str = "") -> None:
    """Assert what a run printed, line by line, naming the first difference."""
    __tracebackhide__ = True
    guard.verify()
    if run.lines == expected:
        return
    def message() -> str:
        for number, (got, want) in enumerate(zip(run.lines, expected), start=1):
            if got != want:
                where = say("line_differs", number=number, got=repr(got), want=repr(want))
                break
        else:
            shorter, longer = sorted((run.lines, expected), key=len)
            key = "line_missing" if shorter is run.lines else "line_extra"
            where = say(key, number=len(shorter) + 1, line=repr(longer[len(shorter)]))
        return (
            say("printed_lines", name=run.name, count=_count(run.lines, "line"), number=len(run.lines),
                expected=len(expected), where=where)
            + (say("space") + translate(hint) if hint else "")
            + f"\n{say('expected_heading')}\n"
            + "\n".join(f"    {line}" for line in expected)
            + f"\n{say('got_heading')}\n"
            + ("\n".join(f"    {line}" for line in run.lines) or f"    {say('nothing')}")
        )

    raise AssertionError(in_each(message))


def _count(items: list[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def random_delays(count: int, *, low: int = 1, high: int = 9, rng: random.Random | None = None) -> list[int]:
    """Distinct whole-second delays in an order that is not sorted.

    Distinct, so finishing order is well defined; unsorted, so an answer in
    finishing order cannot pass for one in input order.
    """
    if count > high - low + 1:
        raise ValueError(f"cannot pick {count} distinct delays from {low}..{high}")
    rng = rng or random.Random()
    while True:
        delays = rng.sample(range(low, high + 1), count)
        if count < 2 or delays != sorted(delays):
            return delays


# -- instruments the test owns -------------------------------------------------


@dataclass
class Call:
    """One call of a recorded function, as the test saw it on the loop clock."""

    name: str
    args: tuple[Any, ...]
    started: float
    ended: float | None = None  # None while it runs
    outcome: str = "running"  # "returned", "raised", "cancelled" or "running"
    task: str = ""  # the task that ran it
    in_main_task: bool = False  # run by the code under test itself, not in a task of its own
    ended_after_return: bool = False  # ended only while the runner cleaned up after the code returned
    error: BaseException | None = None  # what it raised, the object itself


class Recorder:
    """Wraps the async functions an exercise provides, and records every call.

    The test passes ``recorder.wrap(download)`` where the student's code
    expects ``download``: what ran, when (loop clock), in which task, and
    whether it finished, failed or was cancelled are then facts the test
    recorded, whatever the code under test prints or returns.
    """

    # No instance attributes but its own list: a method cannot be replaced on one recorder.
    __slots__ = ("_calls", "__weakref__")

    def __init__(self) -> None:
        self._calls: list[Call] = []

    @property
    def calls(self) -> list[Call]:
        """Every call, in order. The guard keeps its own record of each, out of the student's reach (the
        recorded function's closure leads to this object and its Calls): when it is on, that record is what
        counts, as new Call objects."""
        kept: list = []
        sys.audit("coursekit.records", self, kept)
        return [Call(**fields) for fields in kept[0]] if kept else list(self._calls)

    def wrap(self, func: Callable[..., Any], name: str | None = None) -> Callable[..., Any]:
        label = name or getattr(func, "__name__", "call")

        @functools.wraps(func)
        async def recorded(*args: Any, **kwargs: Any) -> Any:
            loop = asyncio.get_running_loop()
            task = asyncio.current_task()
            guard.clock(loop, loop.time())
            # A page awaited on a loop of the answer's own (another thread) is not the run's: its times say
            # nothing, so it is recorded as started and ended at no time (NaN: no comparison holds). The guard
            # knows the run's loops; without it, the runner's mark in this thread tells.
            ours = guard.on_a_run_loop(loop)
            if ours is None:
                ours = getattr(_here, "outcome", None) is not None
            call = Call(label, args, loop.time() if ours else math.nan, task=task.get_name() if task else "",
                        in_main_task=task is getattr(_here, "main", None))
            self._calls.append(call)
            # The guard's own record, from this frame's values: whatever later happens to `call` changes nothing.
            sys.audit("coursekit.record", self, call, {"name": label, "args": args, "started": call.started,
                                                      "task": call.task, "in_main_task": call.in_main_task})
            try:
                result = await func(*args, **kwargs)
            except asyncio.CancelledError:
                outcome, error = "cancelled", None
                raise
            except BaseException as raised:
                outcome, error = "raised", raised
                raise
            else:
                outcome, error = "returned", None
                return result
            finally:
                guard.clock(loop, loop.time())
                ended = loop.time() if ours else math.nan
                run = getattr(_here, "outcome", None)
                after = bool(run and run.returned)
                call.ended, call.outcome, call.ended_after_return, call.error = ended, outcome, after, error
                sys.audit("coursekit.record", self, call, {"ended": ended, "outcome": outcome,
                                                          "ended_after_return": after, "error": error})

        return recorded

    def of(self, name: str | None = None) -> list[Call]:
        return [c for c in self.calls if name is None or c.name == name]

    def clear(self) -> None:
        self._calls.clear()
        sys.audit("coursekit.record", self, None, None)


class _Forbid(threading.local):
    reason: str | None = None


_forbid = _Forbid()


@contextlib.contextmanager
def forbid_running(reason: str):
    """While the block runs, ``run_async`` refuses with ``reason`` (a prediction must not run the program)."""
    previous, _forbid.reason = _forbid.reason, reason
    guard.forbid(reason)  # kept by the guard too, where no cell can lift it
    try:
        yield
    finally:
        _forbid.reason = previous
        guard.forbid(None)


class Checks:
    """Collects every failed aspect of one exercise, then fails once, listing them all::

        with Checks("crawl_with_tasks(urls)") as check:
            check.expect(run.result, expected, "the result", hint="...")
            check.fact(all_started_at_once, "every page starts before any finishes", hint="...")

    The first item is the most telling one, so order the checks from the
    behaviour (what ran, and when) to the details.
    """

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.failures: list[Callable[[], str]] = []  # each makes its message in the student's language

    def expect(self, actual: Any, expected: Any, what: str, hint: str = "") -> bool:
        problem = _expect_problem(actual, expected, what, hint)
        if problem:
            self.failures.append(problem)
        return problem is None

    def fact(self, ok: bool, what: str, hint: str = "") -> bool:
        guard.verify()
        if not ok:
            self.failures.append(lambda: translate(what) + (say("colon") + translate(hint) if hint else ""))
        return ok

    def loop_time(self, run: Run, expected: float, hint: str = "", early_hint: str | None = EARLY) -> bool:
        problem = _loop_time_problem(run, expected, hint, early_hint)
        if problem:
            self.failures.append(problem)
        return problem is None

    def __enter__(self) -> Checks:
        return self

    def __exit__(self, kind, error, tb) -> None:
        __tracebackhide__ = True
        guard.verify()
        if kind is None and self.failures:
            raise AssertionError(in_each(self._message))

    def _message(self) -> str:
        subject = translate(self.subject)
        if len(self.failures) == 1:
            return subject + say("colon") + self.failures[0]()
        listed = "\n".join(f"  {n}. {failure()}" for n, failure in enumerate(self.failures, 1))
        return say("not_right_yet", subject=subject) + f"\n{listed}"


def try_it(func: Callable[..., Any], /, *args: Any, returns: Any = None, seconds: float | None = None, **kwargs: Any) -> Run:
    """A Try-it cell: run the student's coroutine and show it beside the example's answer."""
    __tracebackhide__ = True
    run = run_async(func, *args, **kwargs)
    run.example = (returns, seconds)
    return run


def _in_a_kernel() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return type(shell).__name__ == "ZMQInteractiveShell" and os.environ.get("COURSEKIT_GUARD", "on") != "off"


# A student's kernel gets the grader's guard as soon as an assignment's setup cell imports this module,
# before any answer runs, so it refuses what the grader refuses, with the same words (COURSEKIT_GUARD=off:
# not). A grading kernel has it from its start (coursekit.kernel).
# It arms at the next cell, when whatever imported this (possibly a test module) has finished importing.
if _in_a_kernel() and not guard.installed():
    guard.install(tools=True)
