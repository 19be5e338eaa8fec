"""Submissions for 03-runtime: other tools, and the mistakes each test exists for."""

ASSIGNMENT = "03-runtime"
NOTEBOOK = "runtime"
FULL = {"test_predict_trace": 2, "test_results_by_deadline": 2, "test_process_all": 2, "test_on_each_done": 2,
        "test_toy_scheduler": 2, "test_step_task": 2}
ZERO = {name: 0 for name in FULL}
ZERO_BUT_STEP = {**ZERO, "test_step_task": 2}  # mistakes in exercises 1-5, exercise 6 as the reference has it


def scores(**changes: int) -> dict[str, int]:
    return {**FULL, **changes}


OTHER_TOOLS = {
    "predict_trace": """
def predict_trace(first, second):
    events = sorted([(first, "worker_1 done"), (second, "worker_2 done")])
    trace = ["before await", "worker_1 start", "worker_2 start"]
    for seconds, line in events:
        trace.append(line)
        if line == "worker_1 done":
            trace.append("awaited worker_1")
            if second < first:
                trace.append("awaited worker_2")
    if first < second:
        trace.append("awaited worker_2")
    return trace
""",
    "results_by_deadline": """
async def results_by_deadline(jobs, deadline):
    tasks = [asyncio.create_task(job()) for job in jobs]
    try:
        async with asyncio.timeout(deadline):
            await asyncio.gather(*tasks, return_exceptions=True)
    except TimeoutError:
        pass  # the timeout cancelled the gather, and the gather cancelled the late tasks
    return await asyncio.gather(*tasks, return_exceptions=True)
""",
    "process_all": """
async def process_all(produce, handle, workers, maxsize):
    queue = asyncio.Queue(maxsize)

    async def consume():
        count = 0
        while (item := await queue.get()) is not None:  # None marks the end
            await handle(item)
            count += 1
        return count

    async with asyncio.TaskGroup() as group:
        consumers = [group.create_task(consume()) for _ in range(workers)]
        while (item := await produce()) is not None:
            await queue.put(item)
        for _ in consumers:
            await queue.put(None)
    return sum(c.result() for c in consumers)
""",
    "on_each_done": """
def on_each_done(tasks, record):
    def report(name, task):
        record(name, task.exception() or task.result())

    for task in tasks:
        task.add_done_callback(functools.partial(report, task.get_name()))
""",
    # a sorted list (bisect) instead of a heap, a plain list as the ready queue; the earliest timer
    # joins the ready list, so what it makes ready queues behind it, before the next timer
    "toy_scheduler": """
import bisect
import itertools


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = []
        self.timers = []  # sorted by (when, number)
        self.numbers = itertools.count()

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        bisect.insort(self.timers, (self.clock.now() + delay, next(self.numbers), callback))

    def run(self):
        while True:
            if not self.ready:
                if not self.timers:
                    return
                when, _, callback = self.timers.pop(0)
                self.clock.advance_to(when)
                self.ready.append(callback)
            callback = self.ready.pop(0)
            callback()
""",
}

# Right in yet another way: a dataclass, timers grouped by time in a dict, the earliest found with min();
# late jobs cancelled with a message (still a CancelledError, whatever it says).
OTHER_TOOLS_B = {
    "results_by_deadline": """
async def results_by_deadline(jobs, deadline):
    tasks = [asyncio.create_task(job()) for job in jobs]
    await asyncio.wait(tasks, timeout=deadline)
    for task in tasks:
        if not task.done():
            task.cancel(f"still running at the {deadline} s deadline")
    return await asyncio.gather(*tasks, return_exceptions=True)
""",
    "toy_scheduler": """
from dataclasses import dataclass, field


@dataclass
class ToyScheduler:
    clock: object
    ready: list = field(default_factory=list)
    timers: dict = field(default_factory=dict)  # time -> callbacks due then, in the order they were set

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.timers.setdefault(self.clock.now() + delay, []).append(callback)

    def run(self):
        while self.ready or self.timers:
            if self.ready:
                callback = self.ready.pop(0)
                callback()
                continue
            when = min(self.timers)
            self.clock.advance_to(when)
            due = self.timers[when]
            callback = due.pop(0)  # one timer at a time, the first set
            if not due:
                del self.timers[when]
            callback()
""",
}

MISTAKES_A = {
    # always the order of the example
    "predict_trace": """
def predict_trace(first, second):
    return ["before await", "worker_1 start", "worker_2 start", "worker_1 done", "awaited worker_1",
            "worker_2 done", "awaited worker_2"]
""",
    # no deadline at all
    "results_by_deadline": """
async def results_by_deadline(jobs, deadline):
    return await asyncio.gather(*(job() for job in jobs), return_exceptions=True)
""",
    # the article's ending: a guessed sleep, then cancel
    "process_all": """
async def process_all(produce, handle, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    handled = 0

    async def consume():
        nonlocal handled
        while True:
            item = await queue.get()
            await handle(item)
            handled += 1

    consumers = [asyncio.create_task(consume()) for _ in range(workers)]
    while (item := await produce()) is not None:
        await queue.put(item)
    await asyncio.sleep(30)
    for task in consumers:
        task.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    return handled
""",
    # the late-binding lambda
    "on_each_done": """
def on_each_done(tasks, record):
    for task in tasks:
        task.add_done_callback(lambda _: record(task.get_name(), task.exception() or task.result()))
""",
    # the ready queue used as a stack
    "toy_scheduler": """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = []
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.seq += 1
        heapq.heappush(self.timers, (self.clock.now() + delay, self.seq, callback))

    def run(self):
        while self.ready or self.timers:
            while self.ready:
                callback = self.ready.pop()  # the newest first: a stack, not a queue
                callback()
            if self.timers:
                when, _, callback = heapq.heappop(self.timers)
                self.clock.advance_to(when)
                callback()
""",
}

MISTAKES_B = {
    # as if the coroutines were awaited one after the other
    "predict_trace": """
def predict_trace(first, second):
    return ["before await", "worker_1 start", "worker_1 done", "awaited worker_1", "worker_2 start",
            "worker_2 done", "awaited worker_2"]
""",
    # cancels at the deadline but returns before the cancelled tasks have stopped
    "results_by_deadline": """
async def results_by_deadline(jobs, deadline):
    tasks = [asyncio.create_task(job()) for job in jobs]
    done, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    return [(t.exception() or t.result()) if t in done else asyncio.CancelledError() for t in tasks]
""",
    # a queue without a bound: no back-pressure
    "process_all": """
async def process_all(produce, handle, workers, maxsize):
    queue = asyncio.Queue()
    handled = 0

    async def consume():
        nonlocal handled
        while True:
            item = await queue.get()
            await handle(item)
            handled += 1
            queue.task_done()

    consumers = [asyncio.create_task(consume()) for _ in range(workers)]
    while (item := await produce()) is not None:
        await queue.put(item)
    await queue.join()
    for task in consumers:
        task.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    return handled
""",
    # task.result() raises in the callback for a failed task
    "on_each_done": """
def on_each_done(tasks, record):
    for task in tasks:
        task.add_done_callback(lambda t: record(t.get_name(), t.result()))
""",
    # a heap of (when, callback): two timers due at the same time make it compare callbacks
    "toy_scheduler": """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        heapq.heappush(self.timers, (self.clock.now() + delay, callback))  # no tie-breaker

    def run(self):
        while self.ready or self.timers:
            while self.ready:
                callback = self.ready.popleft()
                callback()
            if self.timers:
                when, callback = heapq.heappop(self.timers)
                self.clock.advance_to(when)
                callback()
""",
}

MISTAKES_C = {
    # always waits for the whole deadline
    "results_by_deadline": """
async def results_by_deadline(jobs, deadline):
    tasks = [asyncio.create_task(job()) for job in jobs]
    await asyncio.sleep(deadline)
    for task in tasks:
        task.cancel()
    return await asyncio.gather(*tasks, return_exceptions=True)
""",
    # one consumer, whatever `workers` says
    "process_all": """
async def process_all(produce, handle, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    handled = 0

    async def consume():
        nonlocal handled
        while (item := await queue.get()) is not None:
            await handle(item)
            handled += 1

    consumer = asyncio.create_task(consume())
    while (item := await produce()) is not None:
        await queue.put(item)
    await queue.put(None)
    await consumer
    return handled
""",
    # an async def: it registers nothing when called without await
    "on_each_done": """
async def on_each_done(tasks, record):
    for task in tasks:
        task.add_done_callback(lambda t: record(t.get_name(), t.exception() or t.result()))
""",
    # timers kept by their delay, not by the time they are due
    "toy_scheduler": """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.seq += 1
        heapq.heappush(self.timers, (delay, self.seq, callback))  # the delay, not the time it is due

    def run(self):
        while self.ready or self.timers:
            while self.ready:
                callback = self.ready.popleft()
                callback()
            if self.timers:
                when, _, callback = heapq.heappop(self.timers)
                self.clock.advance_to(when)
                callback()
""",
}

MISTAKES_D = {
    # joins the queue but leaves the consumers waiting for ever
    "process_all": """
async def process_all(produce, handle, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    handled = 0

    async def consume():
        nonlocal handled
        while True:
            item = await queue.get()
            await handle(item)
            handled += 1
            queue.task_done()

    consumers = [asyncio.create_task(consume()) for _ in range(workers)]
    while (item := await produce()) is not None:
        await queue.put(item)
    await queue.join()
    return handled
""",
    # timers taken in the order they were set, not by time
    "toy_scheduler": """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.timers.append((self.clock.now() + delay, callback))  # in the order set, not by time

    def run(self):
        while self.ready or self.timers:
            while self.ready:
                callback = self.ready.popleft()
                callback()
            if self.timers:
                when, callback = self.timers.pop(0)
                self.clock.advance_to(when)
                callback()
""",
}

VARIANTS = {
    "reference": ({}, FULL),
    "other_tools": (OTHER_TOOLS, FULL),
    "other_tools_b": (OTHER_TOOLS_B, FULL),
    "mistakes_a": (MISTAKES_A, ZERO_BUT_STEP),
    "mistakes_b": (MISTAKES_B, ZERO_BUT_STEP),
    "mistakes_c": (MISTAKES_C, scores(test_results_by_deadline=0, test_process_all=0, test_on_each_done=0,
                                      test_toy_scheduler=0)),
    "mistakes_d": (MISTAKES_D, scores(test_process_all=0, test_toy_scheduler=0)),
}

# The gaps a review found in the hidden tests (issue 10): each once got full marks.
GAPS = {
    "task_done_too_early": (
        {"process_all": """
async def process_all(produce, handle, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    handled = 0

    async def consume():
        nonlocal handled
        while True:
            item = await queue.get()
            queue.task_done()  # too early: join() may return while this item is still being handled
            await handle(item)
            handled += 1

    consumers = [asyncio.create_task(consume()) for _ in range(workers)]
    count = 0
    while (item := await produce()) is not None:
        await queue.put(item)
        count += 1
    await queue.join()
    for task in consumers:
        task.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    return count
"""},
        {**FULL, "test_process_all": 0},
        {"test_process_all": "task_done"},
    ),
    "no_task_done": (
        {"process_all": """
async def process_all(produce, handle, workers, maxsize):
    queue = asyncio.Queue(maxsize)

    async def consume():
        while True:
            await handle(await queue.get())

    consumers = [asyncio.create_task(consume()) for _ in range(workers)]
    count = 0
    while (item := await produce()) is not None:
        await queue.put(item)
        count += 1
    await queue.join()
    for task in consumers:
        task.cancel()
    return count
"""},
        {**FULL, "test_process_all": 0},
        {"test_process_all": "task_done()"},
    ),
    "predict_by_running": (
        {"predict_trace": """
def predict_trace(first, second):
    return run_async(two_workers, first, second).lines
"""},
        {**FULL, "test_predict_trace": 0},
        {"test_predict_trace": "predict"},
    ),
    "deadline_gather_bare": (
        {"results_by_deadline": """
async def results_by_deadline(jobs, deadline):
    tasks = [asyncio.create_task(job()) for job in jobs]
    _, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    return await asyncio.gather(*tasks)
"""},
        {**FULL, "test_results_by_deadline": 0},
        {"test_results_by_deadline": "return_exceptions"},
    ),
}
VARIANTS.update(GAPS)

# Toy schedulers with one mistake each (exercise 5).
_CLOCK_NEVER_MOVES = """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.seq += 1
        heapq.heappush(self.timers, (self.clock.now() + delay, self.seq, callback))

    def run(self):
        while self.ready or self.timers:
            while self.ready:
                callback = self.ready.popleft()
                callback()
            if self.timers:
                when, _, callback = heapq.heappop(self.timers)
                callback()  # the clock is never moved
"""
_TIMERS_BEFORE_READY = """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.seq += 1
        heapq.heappush(self.timers, (self.clock.now() + delay, self.seq, callback))

    def run(self):
        while self.ready or self.timers:
            while self.ready:
                callback = self.ready.popleft()
                callback()
            while self.timers:  # every timer before going back to what they made ready
                when, _, callback = heapq.heappop(self.timers)
                self.clock.advance_to(when)
                callback()
"""
_STOPS_EARLY = """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.seq += 1
        heapq.heappush(self.timers, (self.clock.now() + delay, self.seq, callback))

    def run(self):
        for callback in list(self.ready):  # only what was there when run() started
            callback()
        for when, _, callback in sorted(self.timers):
            self.clock.advance_to(when)
            callback()
"""
_TIES_REVERSED = """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.timers.append((self.clock.now() + delay, callback))
        self.timers.sort(key=lambda timer: timer[0], reverse=True)  # the earliest last, to pop() it

    def run(self):
        while self.ready or self.timers:
            while self.ready:
                callback = self.ready.popleft()
                callback()
            if self.timers:
                when, callback = self.timers.pop()
                self.clock.advance_to(when)
                callback()
"""
_NEVER_RETURNS = """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.seq += 1
        heapq.heappush(self.timers, (self.clock.now() + delay, self.seq, callback))

    def run(self):
        while True:  # never returns
            while self.ready:
                callback = self.ready.popleft()
                callback()
            if self.timers:
                when, _, callback = heapq.heappop(self.timers)
                self.clock.advance_to(when)
                callback()
"""
_SLEEPS_FOR_REAL = """
import time
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.seq += 1
        heapq.heappush(self.timers, (self.clock.now() + delay, self.seq, callback))

    def run(self):
        while self.ready or self.timers:
            while self.ready:
                callback = self.ready.popleft()
                callback()
            if self.timers:
                when, _, callback = heapq.heappop(self.timers)
                time.sleep(when - self.clock.now())  # waits for real
                self.clock.advance_to(when)
                callback()
"""

_ALL_DUE_AT_ONCE = """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.seq += 1
        heapq.heappush(self.timers, (self.clock.now() + delay, self.seq, callback))

    def run(self):
        while self.ready or self.timers:
            if not self.ready:  # every timer due now joins the ready queue at once, as asyncio's loop does
                self.clock.advance_to(self.timers[0][0])
                while self.timers and self.timers[0][0] <= self.clock.now():
                    self.ready.append(heapq.heappop(self.timers)[2])
            self.ready.popleft()()
"""
_HEAP_POPPED_AS_A_LIST = """
import heapq
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.seq = 0

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
                when, _, callback = self.timers.pop(0)  # the heap's first item, but the heap is no longer one
                self.clock.advance_to(when)
                callback()
"""

# More mistakes in the toy scheduler (exercise 5), each with the words its feedback must say.
SCHEDULER_MISTAKES = {
    "scheduler_clock_never_moves": (_CLOCK_NEVER_MOVES, "advance_to"),
    "scheduler_timers_before_ready": (_TIMERS_BEFORE_READY, "runs before the next timer"),
    "scheduler_stops_early": (_STOPS_EARLY, "stopped too early"),
    "scheduler_ties_reversed": (_TIES_REVERSED, "in another order than they were set"),
    "scheduler_never_returns": (_NEVER_RETURNS, "must return as soon as nothing is ready"),
    "scheduler_sleeps_for_real": (_SLEEPS_FOR_REAL, "must not wait in real time"),
    "scheduler_all_due_at_once": (_ALL_DUE_AT_ONCE, "this toy takes one at a time"),
    "scheduler_heap_popped_as_a_list": (_HEAP_POPPED_AS_A_LIST, ["clock went back", "heapq.heappop"]),
}
VARIANTS.update(
    (name, ({"toy_scheduler": code}, scores(test_toy_scheduler=0), {"test_toy_scheduler": words}))
    for name, (code, words) in SCHEDULER_MISTAKES.items()
)


# Exercise 6: a right StepTask, then the same with one mistake each (what changes, what it becomes), and the words
# its feedback must say.
_STEP_TASK = """
from coursekit.toyloop import ToyFuture


class StepTask(ToyFuture):
    def __init__(self, scheduler, coro):
        super().__init__()
        self.scheduler, self.coro = scheduler, coro
        self.cancelled = False
        self.must_cancel = False
        self.waiting_for = None
        scheduler.call_soon(self.step)

    def step(self):
        if self.done:
            return
        self.waiting_for = None
        try:
            if self.must_cancel:
                self.must_cancel = False
                future = self.coro.throw(asyncio.CancelledError())
            else:
                future = self.coro.send(None)
        except StopIteration as stop:
            self.set_result(stop.value)
            return
        except asyncio.CancelledError:
            self.cancelled = True
            self.set_result(None)
            return
        self.waiting_for = future
        future.add_done_callback(self.wake_up)

    def wake_up(self, future):
        if future is self.waiting_for:
            self.waiting_for = None
            self.scheduler.call_soon(self.step)

    def cancel(self):
        if self.done:
            return False
        self.must_cancel = True
        if self.waiting_for is not None:
            self.waiting_for = None
            self.scheduler.call_soon(self.step)
        return True
"""


def _step_task_with(*changes: tuple[str, str]) -> str:
    code = _STEP_TASK
    for old, new in changes:
        assert old in code, old
        code = code.replace(old, new)
    return code


_WAKES_ON_ANY = ("""        if future is self.waiting_for:
            self.waiting_for = None
            self.scheduler.call_soon(self.step)""", """        self.scheduler.call_soon(self.step)  # whichever future it was""")
_SCHEDULES = """        self.must_cancel = True
        if self.waiting_for is not None:
            self.waiting_for = None
            self.scheduler.call_soon(self.step)
        return True"""
STEP_MISTAKES = {
    "step_wakes_on_any_future": (_step_task_with(_WAKES_ON_ANY), "no longer waits for"),
    "step_cancel_waits_for_the_future": (
        _step_task_with((_SCHEDULES, """        self.must_cancel = True  # noticed only when the awaited future is done
        return True""")), "schedule a step at once"),
    "step_closes_the_coroutine": (
        _step_task_with(("""                future = self.coro.throw(asyncio.CancelledError())""",
                         """                self.coro.close()  # stops it, but runs no except clause for CancelledError
                raise asyncio.CancelledError()""")), "must not close the coroutine"),
    "step_after_done": (
        _step_task_with(("""        if self.done:
            return
        self.waiting_for = None""", """        self.waiting_for = None"""), _WAKES_ON_ANY), "must do nothing once the task is done"),
    "step_cancel_schedules_twice": (
        _step_task_with((_SCHEDULES, """        self.must_cancel = True
        self.waiting_for = None
        self.scheduler.call_soon(self.step)  # even when a step is already scheduled
        return True""")), "must not schedule a second step"),
}
VARIANTS.update(
    (name, ({"step_task": code}, scores(test_step_task=0), {"test_step_task": words}))
    for name, (code, words) in STEP_MISTAKES.items()
)
