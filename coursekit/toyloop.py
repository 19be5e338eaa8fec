"""The toy event loop's coroutine side, for any scheduler: futures, tasks, sleep.

Lecture 3 builds a toy event loop in small cells: a ``ToyFuture`` whose
``__await__`` yields the future itself, a ``ToyTask`` that drives a coroutine
with ``send(None)``, ``toy_sleep`` made of a timer and a future, and the
scheduler that runs them (a ready queue, a heap of timers, a virtual clock).
This module holds the same futures, tasks and sleep, so that assignment 3 can
run coroutines on a scheduler a student wrote.  A scheduler is anything with

* ``call_soon(callback)``: run ``callback()`` soon, after what is already ready;
* ``call_later(delay, callback)``: run ``callback()`` once ``delay`` seconds have passed;
* ``run()``: run callbacks until nothing is ready and no timer is left;

and it reads and moves a clock with ``now()`` and ``advance_to(when)``::

    clock = Clock()
    scheduler = MyScheduler(clock)
    result = toy_run(scheduler, clock, main())

The scheduler itself is not here: writing it is the exercise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["Clock", "ToyFuture", "ToyTask", "toy_sleep", "toy_create_task", "toy_gather", "toy_now", "toy_run"]


class Clock:
    """A virtual clock: ``now()`` reads it, ``advance_to(when)`` moves it forward, never back."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, when: float) -> None:
        if when < self._now:
            raise ValueError(
                f"the clock cannot go back from {self._now:g} s to {when:g} s: a timer is due at "
                f"clock.now() + delay, computed when call_later is called"
            )
        self._now = when

    def __repr__(self) -> str:
        return f"Clock(now={self._now:g})"


class ToyFuture:
    """A result that is not there yet. ``await`` on it suspends the awaiting task until it is set."""

    def __init__(self) -> None:
        self.done = False
        self.result: Any = None
        self._callbacks: list[Callable[[ToyFuture], None]] = []

    def add_done_callback(self, callback: Callable[[ToyFuture], None]) -> None:
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)

    def set_result(self, result: Any) -> None:
        if self.done:
            raise RuntimeError("this future already has its result")
        self.done, self.result = True, result
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def __await__(self):
        if not self.done:
            yield self  # out through every `await` to the task's send(): "wake me when I am done"
        return self.result


class ToyTask(ToyFuture):
    """Drives a coroutine on a scheduler: one ``send(None)`` per step, the next step once what it awaits is done."""

    def __init__(self, scheduler: Any, coro: Coroutine[Any, Any, Any]) -> None:
        super().__init__()
        self.scheduler, self.coro = scheduler, coro
        if _running.tasks is not None:
            _running.tasks.append(self)  # toy_run closes what is left when it ends
        scheduler.call_soon(self.step)  # scheduled, not started

    def step(self) -> None:
        try:
            awaited = self.coro.send(None)  # runs the coroutine up to its next suspension
        except StopIteration as stop:
            self.set_result(stop.value)  # it returned: the task is done
            return
        if not isinstance(awaited, ToyFuture):
            self.coro.close()
            raise TypeError(f"a toy task can only wait for toy futures, not for {awaited!r} (an asyncio object?)")
        awaited.add_done_callback(self._wake_up)

    def _wake_up(self, _future: ToyFuture) -> None:
        self.scheduler.call_soon(self.step)


class _Running(threading.local):
    scheduler: Any = None
    clock: Any = None
    tasks: list[ToyTask] | None = None


_running = _Running()


def _scheduler() -> Any:
    if _running.scheduler is None:
        raise RuntimeError("no toy loop is running: start the main coroutine with toy_run(scheduler, clock, main())")
    return _running.scheduler


async def toy_sleep(seconds: float) -> None:
    """The toy's asyncio.sleep: a future, and a timer that sets it."""
    future = ToyFuture()
    _scheduler().call_later(seconds, lambda: future.set_result(None))
    await future


def toy_create_task(coro: Coroutine[Any, Any, Any]) -> ToyTask:
    """The toy's asyncio.create_task, on the scheduler toy_run is running."""
    return ToyTask(_scheduler(), coro)


async def toy_gather(*coros: Coroutine[Any, Any, Any]) -> list[Any]:
    """The toy's gather: every coroutine in a task of its own, the results in the order given."""
    tasks = [toy_create_task(coro) for coro in coros]
    return [await task for task in tasks]


def toy_now() -> float:
    """The time on the running toy loop's clock."""
    _scheduler()
    return _running.clock.now()


def toy_run(scheduler: Any, clock: Any, main: Coroutine[Any, Any, Any]) -> Any:
    """The toy's asyncio.run: ``main`` as the first task, then ``scheduler.run()``; returns what main returned."""
    if _running.scheduler is not None:
        main.close()
        raise RuntimeError("toy_run cannot be called while a toy loop is running")
    _running.scheduler, _running.clock, _running.tasks = scheduler, clock, []
    tasks = _running.tasks
    try:
        task = ToyTask(scheduler, main)
        scheduler.run()
    finally:
        _running.scheduler = _running.clock = _running.tasks = None
        # A scheduler that stopped early leaves coroutines suspended or never started: close them
        # now, quietly, rather than let the garbage collector warn later in some other cell.
        for left in tasks:
            if not left.done:
                left.coro.close()
    if not task.done:
        raise RuntimeError(
            f"scheduler.run() returned at {clock.now():g} s while the main coroutine was still waiting: "
            f"run() must go on until nothing is ready and no timer is left"
        )
    return task.result
