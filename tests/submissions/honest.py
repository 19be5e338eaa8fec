"""Correct answers in the styles students write: every one must get full marks."""

from __future__ import annotations

# name -> {"module": one of "crawler", "toolkit", "runtime", "coming_soon", "beyond",
#          "answers": {grade_id_of_solution_cell: full source of that cell},
#          "extra_cells": [sources of extra code cells the student added, inserted after the first code cell] (optional),
#          "styles": "short description of the styles this entry shows"}
HONEST: dict[str, dict] = {
    # ------------------------------------------------------------------ 01-crawler
    "crawler_reimports": {
        "module": "crawler",
        "answers": {
            "crawl_page": """import asyncio


async def crawl_page(url: str) -> str:
    print(f"crawling {url}")
    await asyncio.sleep(int(url.split("_")[-1]))
    print(f"OK {url}")
    return f"OK {url}"
""",
            "crawl_one_by_one": """import asyncio


async def crawl_one_by_one(urls: list[str]) -> list[str]:
    results = []
    for url in urls:
        result = await crawl_page(url)
        results.append(result)
    return results
""",
        },
        "extra_cells": ["help(len)"],
        "styles": "re-imports asyncio in the answer cells; plain for loop with append; help(len) in a cell of its own",
    },
    "crawler_template_main_guard": {
        "module": "crawler",
        "answers": {
            "crawl_page": """from __future__ import annotations

MESSAGE = "{status} {url}"


async def crawl_page(url: str) -> str:
    seconds = int(url.split("_")[-1])
    print(MESSAGE.format(status="crawling", url=url))
    await asyncio.sleep(seconds)
    done = MESSAGE.format(status="OK", url=url)
    print(done)
    return done


if __name__ == "__main__":
    print("crawl_page is defined: try it in the next cell")
""",
            "crawl_with_tasks": """async def crawl_with_tasks(urls: list[str]) -> list[str]:
    # start every page first, then collect the results in the order of urls
    tasks = [asyncio.create_task(crawl_page(url)) for url in urls]
    return [await task for task in tasks]
""",
        },
        "styles": "from __future__ import annotations; format string kept in a variable and .format(); "
                  "if __name__ == '__main__' guard around a harmless print; tasks awaited in a comprehension",
    },
    "crawler_logging_taskgroup_map": {
        "module": "crawler",
        "answers": {
            "crawl_page": """import logging

logger = logging.getLogger(__name__)


async def crawl_page(url: str) -> str:
    delay = int(url.rsplit("_", 1)[-1])
    logger.debug("sleeping %s s for %s", delay, url)
    print("crawling", url)
    await asyncio.sleep(delay)
    print("OK", url)
    return "OK " + url
""",
            "crawl_with_tasks": """import logging


async def crawl_with_tasks(urls: list[str]) -> list[str]:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(crawl_page(url)) for url in urls]
    logging.getLogger(__name__).info("crawled %d pages", len(tasks))
    return [task.result() for task in tasks]
""",
            "crawl_with_gather": """async def crawl_with_gather(urls: list[str]) -> list[str]:
    pages = await asyncio.gather(*map(crawl_page, urls))
    return list(pages)
""",
        },
        "styles": "logging.getLogger(__name__) with debug/info; rsplit; print with two arguments; string concatenation; "
                  "asyncio.TaskGroup; gather over map()",
    },
    "crawler_wait_names_stderr": {
        "module": "crawler",
        "answers": {
            "crawl_one_by_one": """async def crawl_one_by_one(urls: list[str]) -> list[str]:
    return [await crawl_page(url) for url in urls]
""",
            "crawl_with_tasks": """async def crawl_with_tasks(urls: list[str]) -> list[str]:
    tasks = []
    for url in urls:
        task = asyncio.create_task(crawl_page(url), name=f"{crawl_page.__name__}({url})")
        tasks.append(task)
    done, pending = await asyncio.wait(tasks)
    assert not pending, "asyncio.wait returns when every task is done"
    return [task.result() for task in tasks]
""",
            "crawl_with_gather": """import sys


async def crawl_with_gather(urls: list[str]) -> list[str]:
    coroutines = [crawl_page(url) for url in urls]
    try:
        results = await asyncio.gather(*coroutines)
    except Exception as error:
        print(f"crawl failed: {error!r}", file=sys.stderr)
        raise
    return results
""",
        },
        "extra_cells": ["print(len(dir()))"],
        "styles": "await in a list comprehension; task names built from fn.__name__; asyncio.wait then results in input order; "
                  "import sys and print(..., file=sys.stderr) in an except branch never taken; print(len(dir())) cell",
    },
    "crawler_as_completed_while": {
        "module": "crawler",
        "answers": {
            "crawl_page": """async def crawl_page(url: str) -> str:
    *_, number = url.split("_")
    print(f"crawling {url}")
    await asyncio.sleep(int(number))
    message = f"OK {url}"
    print(message)
    return message
""",
            "crawl_one_by_one": """async def crawl_one_by_one(urls: list[str]) -> list[str]:
    results: list[str] = []
    i = 0
    while i < len(urls):
        results.append(await crawl_page(urls[i]))
        i += 1
    return results
""",
            "crawl_with_tasks": """async def crawl_with_tasks(urls: list[str]) -> list[str]:
    tasks = [asyncio.create_task(crawl_page(url)) for url in urls]
    for finished in asyncio.as_completed(tasks):
        await finished  # only waiting here: the order comes from `tasks` below
    return [task.result() for task in tasks]
""",
        },
        "styles": "starred unpacking of the url; while loop with an index; as_completed to wait, results read in input order",
    },
    "crawler_class_and_gather": {
        "module": "crawler",
        "answers": {
            "crawl_with_tasks": """class PageCrawler:
    # keeps the tasks of one crawl together

    def __init__(self, urls: list[str]) -> None:
        self.urls = list(urls)
        self.tasks: list[asyncio.Task] = []

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({len(self.urls)} urls, {len(self.tasks)} tasks)"

    def start(self) -> None:
        self.tasks = [asyncio.create_task(crawl_page(url)) for url in self.urls]

    async def results(self) -> list[str]:
        return [await task for task in self.tasks]


async def crawl_with_tasks(urls: list[str]) -> list[str]:
    crawler = PageCrawler(urls)
    crawler.start()
    return await crawler.results()
""",
            "crawl_with_gather": """async def crawl_with_gather(urls: list[str]) -> list[str]:
    results = await asyncio.gather(*[crawl_page(u) for u in urls])
    return results
""",
        },
        "styles": "a class of one's own holding the tasks, __repr__ with self.__class__.__name__; gather over a list",
    },
    "crawler_worker_helper_debug_flag": {
        "module": "crawler",
        "answers": {
            "crawl_page": """def seconds_for(url: str) -> int:
    return int(url.split("_")[-1])


async def crawl_page(url: str) -> str:
    print(f"crawling {url}")
    await asyncio.sleep(seconds_for(url))
    result = f"OK {url}"
    print(result)
    return result
""",
            "crawl_with_tasks": """async def worker(url: str, results: list, index: int) -> None:
    results[index] = await crawl_page(url)


async def crawl_with_tasks(urls: list[str]) -> list[str]:
    results = [None] * len(urls)
    tasks = [asyncio.create_task(worker(url, results, i)) for i, url in enumerate(urls)]
    for task in tasks:
        await task
    return results
""",
            "crawl_with_gather": """SHOW_TASKS = False  # switch on to see the tasks while debugging


async def crawl_with_gather(urls: list[str]) -> list[str]:
    tasks = [asyncio.ensure_future(crawl_page(url)) for url in urls]
    if SHOW_TASKS:
        print(asyncio.all_tasks())
    return list(await asyncio.gather(*tasks))
""",
            "crawl_one_by_one": """async def crawl_one_by_one(urls: list[str]) -> list[str]:
    pages = []
    for position, url in enumerate(urls, start=1):
        page = await crawl_page(url)  # page `position` of len(urls)
        pages.append(page)
    return pages
""",
        },
        "extra_cells": ["print(len(vars()))"],
        "styles": "helper function; a helper of one's own named worker filling a results list by index; "
                  "ensure_future; asyncio.all_tasks() in a debug print behind a False flag; enumerate; print(len(vars())) cell",
    },
    # ------------------------------------------------------------------ 02-toolkit
    "toolkit_wait_and_as_completed": {
        "module": "toolkit",
        "answers": {
            "fastest_mirror": """async def fastest_mirror(mirrors: dict[str, float]) -> str:
    downloads = [asyncio.create_task(download(name, seconds)) for name, seconds in mirrors.items()]
    finished, still_running = await asyncio.wait(downloads, return_when=asyncio.FIRST_COMPLETED)
    for task in still_running:
        task.cancel()
    if still_running:
        await asyncio.wait(still_running)
    winner = next(iter(finished))
    return winner.result()
""",
            "crawl_in_completion_order": """async def crawl_in_completion_order(urls: list[str]) -> list[tuple[str, str]]:
    async def crawl_with_url(url):
        return url, await crawl_page(url)

    pairs = []
    for next_page in asyncio.as_completed([crawl_with_url(url) for url in urls]):
        pairs.append(await next_page)
    return pairs
""",
        },
        "styles": "asyncio.wait(FIRST_COMPLETED), cancel and asyncio.wait the losers; as_completed over a wrapper returning (url, result)",
    },
    "toolkit_as_completed_contextlib": {
        "module": "toolkit",
        "answers": {
            "fastest_mirror": """async def fastest_mirror(mirrors: dict[str, float]) -> str:
    tasks = [asyncio.create_task(download(name, secs)) for name, secs in mirrors.items()]
    try:
        for first in asyncio.as_completed(tasks):
            return await first
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
""",
            "async_timed": """import contextlib


@contextlib.asynccontextmanager
async def async_timed(label: str):
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        yield
    finally:
        seconds = loop.time() - start
        print(f"{label}: {seconds:.2f} s")
""",
        },
        "styles": "as_completed, return the first, cancel everything in finally and gather(return_exceptions=True); "
                  "re-imports contextlib; asynccontextmanager with try/finally",
    },
    "toolkit_timer_class_shield": {
        "module": "toolkit",
        "answers": {
            "async_timed": """class Timer:
    TEMPLATE = "{label}: {seconds:.2f} s"

    def __init__(self, label: str) -> None:
        self.label = label
        self.start = 0.0

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.label!r})"

    async def __aenter__(self) -> "Timer":
        self.start = asyncio.get_running_loop().time()
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        seconds = asyncio.get_running_loop().time() - self.start
        template = self.TEMPLATE
        print(template.format(label=self.label, seconds=seconds))
        return False  # never swallow the exception


def async_timed(label: str) -> "Timer":
    return Timer(label)
""",
            "save_safely": """background_saves = set()  # strong references to saves still running


async def save_safely(save: Callable[[], Awaitable[str]]) -> str:
    task = asyncio.create_task(save())
    background_saves.add(task)
    task.add_done_callback(background_saves.discard)
    return await asyncio.shield(task)
""",
        },
        "styles": "class with __aenter__/__aexit__ and a factory function; quoted forward references (-> 'Timer'); "
                  "template.format on a variable; self.__class__.__name__ in __repr__; create_task + shield",
    },
    "toolkit_dataclass_taskgroup": {
        "module": "toolkit",
        "answers": {
            "async_timed": """from dataclasses import dataclass


@dataclass
class async_timed:
    label: str
    started: float = 0.0
    seconds: float = 0.0

    async def __aenter__(self):
        self.started = asyncio.get_running_loop().time()
        return self

    async def __aexit__(self, *exc_info):
        self.seconds = asyncio.get_running_loop().time() - self.started
        print(f"{self.label}: {self.seconds:.2f} s")
""",
            "fetch_all": """async def fetch_all(fetchers: list[Callable[[], Awaitable[str]]]) -> list[str]:
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(fetcher()) for fetcher in fetchers]
    return [t.result() for t in tasks]
""",
        },
        "extra_cells": ["help(asyncio.TaskGroup)"],
        "styles": "the context manager as a dataclass whose fields change in __aenter__/__aexit__; TaskGroup in a comprehension",
    },
    "toolkit_wait_loops_by_hand": {
        "module": "toolkit",
        "answers": {
            "crawl_in_completion_order": """async def crawl_in_completion_order(urls: list[str]) -> list[tuple[str, str]]:
    url_of = {asyncio.create_task(crawl_page(url)): url for url in urls}
    pending = set(url_of)
    finished = []
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            finished.append((url_of[task], task.result()))
    return finished
""",
            "fetch_all": """async def fetch_all(fetchers: list[Callable[[], Awaitable[str]]]) -> list[str]:
    # what a TaskGroup does, by hand: stop at the first error, cancel the rest, raise a group
    tasks = [asyncio.create_task(fetcher()) for fetcher in fetchers]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    errors = [task.exception() for task in done if task.exception() is not None]
    if errors:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise ExceptionGroup("fetch_all: a fetcher failed", errors)
    return [task.result() for task in tasks]
""",
        },
        "styles": "asyncio.wait(FIRST_COMPLETED) in a while loop with a task -> url dict; "
                  "fetch_all built on asyncio.wait(FIRST_EXCEPTION) raising ExceptionGroup by hand",
    },
    "toolkit_future_callbacks_helper": {
        "module": "toolkit",
        "answers": {
            "fastest_mirror": """async def fastest_mirror(mirrors: dict[str, float]) -> str:
    loop = asyncio.get_running_loop()
    winner = loop.create_future()

    async def race(name, seconds):
        data = await download(name, seconds)
        if not winner.done():
            winner.set_result(data)

    racers = [asyncio.create_task(race(name, seconds)) for name, seconds in mirrors.items()]
    try:
        return await winner
    finally:
        for racer in racers:
            racer.cancel()
        await asyncio.gather(*racers, return_exceptions=True)
""",
            "crawl_in_completion_order": """async def crawl_in_completion_order(urls: list[str]) -> list[tuple[str, str]]:
    arrived = []

    def remember(url, task):
        arrived.append((url, task.result()))

    tasks = []
    for url in urls:
        task = asyncio.create_task(crawl_page(url))
        task.add_done_callback(functools.partial(remember, url))
        tasks.append(task)
    await asyncio.gather(*tasks)
    return arrived
""",
            "save_safely": """background_saves = set()  # strong references to saves still running


def keep_until_done(task: asyncio.Task) -> asyncio.Task:
    background_saves.add(task)
    task.add_done_callback(background_saves.discard)
    return task


async def save_safely(save: Callable[[], Awaitable[str]]) -> str:
    loop = asyncio.get_running_loop()
    task = keep_until_done(loop.create_task(save(), name="save"))
    result = await asyncio.shield(task)
    return result
""",
        },
        "styles": "a future set by the first racer to finish; done callbacks with functools.partial; "
                  "helper function keeping the task; loop.create_task",
    },
    "toolkit_queue_exception_signal": {
        "module": "toolkit",
        "answers": {
            "fastest_mirror": """class Arrived(Exception):
    # raised by the first download to finish: the TaskGroup then cancels the others
    def __init__(self, data: str) -> None:
        super().__init__(data)
        self.data = data


async def fastest_mirror(mirrors: dict[str, float]) -> str:
    async def fetch(name, seconds):
        raise Arrived(await download(name, seconds))

    data = None
    try:
        async with asyncio.TaskGroup() as group:
            for name, seconds in mirrors.items():
                group.create_task(fetch(name, seconds))
    except* Arrived as arrivals:
        data = arrivals.exceptions[0].data
    return data
""",
            "crawl_in_completion_order": """async def crawl_in_completion_order(urls: list[str]) -> list[tuple[str, str]]:
    arrivals: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    async def fetch(url: str) -> None:
        await arrivals.put((url, await crawl_page(url)))

    async with asyncio.TaskGroup() as tg:
        for url in urls:
            tg.create_task(fetch(url))
    return [arrivals.get_nowait() for _ in urls]
""",
            "fetch_all": """async def fetch_all(fetchers: list[Callable[[], Awaitable[str]]]) -> list[str]:
    results: list = [None] * len(fetchers)

    async def run_one(index, fetcher):
        results[index] = await fetcher()

    async with asyncio.TaskGroup() as group:
        for index, fetcher in enumerate(fetchers):
            group.create_task(run_one(index, fetcher))
    return results
""",
        },
        "styles": "an exception of one's own as the signal, caught with except*; a Queue filled as pages finish; "
                  "TaskGroup filling a results list by index",
    },
    "toolkit_ensure_future_lambda": {
        "module": "toolkit",
        "answers": {
            "save_safely": """background_saves = set()  # strong references to saves still running


async def save_safely(save: Callable[[], Awaitable[str]]) -> str:
    task = asyncio.ensure_future(save())
    background_saves.add(task)
    task.add_done_callback(lambda finished: background_saves.discard(finished))
    # shield: if our caller is cancelled, only this await stops, the save goes on
    return await asyncio.shield(task)
""",
            "async_timed": """@contextlib.asynccontextmanager
async def async_timed(label):
    clock = asyncio.get_running_loop().time
    began = clock()
    try:
        yield
    finally:
        print("{}: {:.2f} s".format(label, clock() - began))
""",
        },
        "styles": "ensure_future and a lambda as done callback; the loop's time method kept in a variable; str.format",
    },
    # ------------------------------------------------------------------ 03-runtime
    "runtime_reimports_wait": {
        "module": "runtime",
        "answers": {
            "predict_trace": """def predict_trace(first: int, second: int) -> list[str]:
    trace = ["before await", "worker_1 start", "worker_2 start"]
    if first < second:
        trace += ["worker_1 done", "awaited worker_1", "worker_2 done", "awaited worker_2"]
    else:
        # worker_2 finishes first, but main is still waiting for worker_1
        trace += ["worker_2 done", "worker_1 done", "awaited worker_1", "awaited worker_2"]
    return trace
""",
            "results_by_deadline": """from typing import Any


async def results_by_deadline(jobs: list[Callable[[], Awaitable[Any]]], deadline: float) -> list[Any]:
    tasks = [asyncio.create_task(job()) for job in jobs]
    done, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    return list(outcomes)
""",
        },
        "styles": "if/else on the two orders; re-imports typing.Any; asyncio.wait(timeout=...) then gather(return_exceptions=True)",
    },
    "runtime_itemgetter_timeout_logging": {
        "module": "runtime",
        "answers": {
            "predict_trace": """import operator


def predict_trace(first: int, second: int) -> list[str]:
    # (time, order within that moment, line): a done line comes before the await it wakes up
    events = [
        (first, 0, "worker_1 done"),
        (second, 0, "worker_2 done"),
        (first, 1, "awaited worker_1"),
        (max(first, second), 2, "awaited worker_2"),
    ]
    events.sort(key=operator.itemgetter(0, 1))
    return ["before await", "worker_1 start", "worker_2 start"] + [line for _, _, line in events]
""",
            "results_by_deadline": """import logging

logger = logging.getLogger(__name__)


def outcome_of(task: asyncio.Task) -> Any:
    if task.cancelled():
        return asyncio.CancelledError()
    error = task.exception()
    if error is not None:
        logger.debug("job failed with %s", type(error).__name__)
        return error
    return task.result()


async def results_by_deadline(jobs: list[Callable[[], Awaitable[Any]]], deadline: float) -> list[Any]:
    tasks = [asyncio.create_task(job()) for job in jobs]
    try:
        async with asyncio.timeout(deadline):
            await asyncio.wait(tasks)
    except TimeoutError:
        late = [task for task in tasks if not task.done()]
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
    return [outcome_of(task) for task in tasks]
""",
        },
        "styles": "events sorted with operator.itemgetter; asyncio.timeout around asyncio.wait, then each task read "
                  "(cancelled/exception/result) by a helper; logging with type(error).__name__",
    },
    "runtime_join_worker_traceback": {
        "module": "runtime",
        "answers": {
            "process_all": """async def process_all(
    produce: Callable[[], Awaitable[Any]],
    handle: Callable[[Any], Awaitable[None]],
    workers: int,
    maxsize: int,
) -> int:
    queue: asyncio.Queue = asyncio.Queue(maxsize)
    handled = 0

    async def producer() -> None:
        while (item := await produce()) is not None:
            await queue.put(item)

    async def worker() -> None:
        nonlocal handled
        while True:
            item = await queue.get()
            try:
                await handle(item)
                handled += 1
            finally:
                queue.task_done()

    consumers = [asyncio.create_task(worker()) for _ in range(workers)]
    await producer()
    await queue.join()
    for consumer in consumers:
        consumer.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)
    return handled
""",
            "on_each_done": """import traceback


def on_each_done(tasks: list[asyncio.Task], record: Callable[[str, Any], None]) -> None:
    def report(task: asyncio.Task) -> None:
        try:
            error = task.exception()
            record(task.get_name(), error if error is not None else task.result())
        except Exception:
            traceback.print_exc()

    for task in tasks:
        task.add_done_callback(report)
""",
        },
        "styles": "queue.join + cancel, with a nested helper named worker and nonlocal counter; "
                  "done callback with traceback.print_exc() in an except branch never taken",
    },
    "runtime_sentinels_dataclass_partial": {
        "module": "runtime",
        "answers": {
            "process_all": """from dataclasses import dataclass


@dataclass
class PipelineStats:
    produced: int = 0
    handled: int = 0


async def process_all(
    produce: Callable[[], Awaitable[Any]],
    handle: Callable[[Any], Awaitable[None]],
    workers: int,
    maxsize: int,
) -> int:
    queue = asyncio.Queue(maxsize)
    stats = PipelineStats()

    async def produce_all():
        while True:
            item = await produce()
            if item is None:
                break
            stats.produced += 1
            await queue.put(item)
        for _ in range(workers):
            await queue.put(None)  # one end marker per consumer

    async def consume():
        while (item := await queue.get()) is not None:
            await handle(item)
            stats.handled += 1

    await asyncio.gather(produce_all(), *(consume() for _ in range(workers)))
    return stats.handled
""",
            "on_each_done": """def report_outcome(record: Callable[[str, Any], None], task: asyncio.Task) -> None:
    if task.exception() is None:
        record(task.get_name(), task.result())
    else:
        record(task.get_name(), task.exception())


def on_each_done(tasks: list[asyncio.Task], record: Callable[[str, Any], None]) -> None:
    for task in tasks:
        task.add_done_callback(functools.partial(report_outcome, record))
""",
            "results_by_deadline": """async def results_by_deadline(jobs: list[Callable[[], Awaitable[Any]]], deadline: float) -> list[Any]:
    end = asyncio.get_running_loop().time() + deadline

    async def settle(job):
        try:
            async with asyncio.timeout_at(end) as scope:
                return await job()
        except TimeoutError as error:
            return asyncio.CancelledError() if scope.expired() else error
        except Exception as error:
            return error

    return await asyncio.gather(*(settle(job) for job in jobs))
""",
        },
        "extra_cells": ["print(len(dir()), len(vars()))"],
        "styles": "None end markers, one per consumer, with gather; a dataclass of counters whose fields change; "
                  "functools.partial done callback; one asyncio.timeout_at per job, every error returned as a value",
    },
    "runtime_heap_deque": {
        "module": "runtime",
        "answers": {
            "toy_scheduler": """import heapq
import itertools
from collections import deque


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.timers = []
        self.counter = itertools.count()

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        when = self.clock.now() + delay
        heapq.heappush(self.timers, (when, next(self.counter), callback))

    def run(self):
        while self.ready or self.timers:
            if self.ready:
                self.ready.popleft()()
            else:
                when, _, callback = heapq.heappop(self.timers)
                self.clock.advance_to(when)
                callback()
""",
            "predict_trace": """def predict_trace(first, second):
    lines = ["before await"] + [f"worker_{n} start" for n in (1, 2)]
    for _, n in sorted([(first, 1), (second, 2)]):
        lines.append(f"worker_{n} done")
        if n == 1:
            lines.append("awaited worker_1")  # main wakes up as soon as worker_1 is done
    lines.append("awaited worker_2")
    return lines
""",
        },
        "styles": "deque + heap of (when, seq, callback) with itertools.count, self.ready.popleft()(); "
                  "predict_trace by walking the workers in finishing order",
    },
    "runtime_timer_class_slots": {
        "module": "runtime",
        "answers": {
            "toy_scheduler": """from __future__ import annotations

import heapq
from collections import deque


class Timer:
    __slots__ = ("when", "seq", "callback")

    def __init__(self, when: float, seq: int, callback: Callable[[], None]) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback

    def __lt__(self, other: "Timer") -> bool:
        return (self.when, self.seq) < (other.when, other.seq)


class ToyScheduler:
    def __init__(self, clock) -> None:
        self.clock = clock
        self.ready: deque[Callable[[], None]] = deque()
        self.timers: list[Timer] = []
        self.seq = 0

    def call_soon(self, callback: Callable[[], None]) -> None:
        self.ready.append(callback)

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        self.seq += 1
        heapq.heappush(self.timers, Timer(self.clock.now() + delay, self.seq, callback))

    def run(self) -> None:
        while self.ready or self.timers:
            while self.ready:
                callback = self.ready.popleft()
                callback()
            if self.timers:
                timer = heapq.heappop(self.timers)
                self.clock.advance_to(timer.when)
                timer.callback()
""",
            "on_each_done": """class Reporter:
    def __init__(self, record):
        self.record = record

    def __call__(self, task):
        outcome = task.exception() if task.exception() is not None else task.result()
        self.record(task.get_name(), outcome)


def on_each_done(tasks, record):
    reporter = Reporter(record)
    for task in tasks:
        task.add_done_callback(reporter)
""",
        },
        "styles": "a Timer class of one's own with __slots__ and __lt__, used in a heap and in list[Timer]; "
                  "quoted annotation; a callable object as done callback",
    },
    "runtime_sorted_list_pipeline_class": {
        "module": "runtime",
        "answers": {
            "toy_scheduler": """import operator


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = []
        self.timers = []  # (when, number, callback), in no particular order
        self.number = 0

    def __repr__(self):
        return f"{self.__class__.__name__}(ready={len(self.ready)}, timers={len(self.timers)})"

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        self.timers.append((self.clock.now() + delay, self.number, callback))
        self.number += 1

    def run(self):
        while self.ready or self.timers:
            if self.ready:
                callback = self.ready.pop(0)
            else:
                earliest = min(self.timers, key=operator.itemgetter(0, 1))
                self.timers.remove(earliest)
                self.clock.advance_to(earliest[0])
                callback = earliest[2]
            callback()
""",
            "process_all": """class Pipeline:
    def __init__(self, produce, handle, workers, maxsize):
        self.produce = produce
        self.handle = handle
        self.workers = workers
        self.queue = asyncio.Queue(maxsize)
        self.count = 0

    async def fill(self):
        while True:
            item = await self.produce()
            if item is None:
                return
            await self.queue.put(item)

    async def consume(self):
        while True:
            item = await self.queue.get()
            await self.handle(item)
            self.count += 1
            self.queue.task_done()

    async def run(self):
        consumers = [asyncio.create_task(self.consume()) for _ in range(self.workers)]
        try:
            await self.fill()
            await self.queue.join()
        finally:
            for consumer in consumers:
                consumer.cancel()
            await asyncio.gather(*consumers, return_exceptions=True)
        return self.count


async def process_all(
    produce: Callable[[], Awaitable[Any]],
    handle: Callable[[Any], Awaitable[None]],
    workers: int,
    maxsize: int,
) -> int:
    return await Pipeline(produce, handle, workers, maxsize).run()
""",
        },
        "styles": "plain lists, ready.pop(0) and min() with operator.itemgetter; __repr__ with self.__class__.__name__; "
                  "a Pipeline class with join and cancel in finally",
    },
    "runtime_dataclass_order_taskgroup": {
        "module": "runtime",
        "answers": {
            "toy_scheduler": """import heapq
import itertools
from collections import deque
from dataclasses import dataclass, field


@dataclass(order=True)
class ScheduledCall:
    when: float
    seq: int
    callback: Callable[[], None] = field(compare=False)


class ToyScheduler:
    def __init__(self, clock):
        self.clock = clock
        self.ready = deque()
        self.scheduled: list[ScheduledCall] = []
        self.tickets = itertools.count()

    def call_soon(self, callback):
        self.ready.append(callback)

    def call_later(self, delay, callback):
        heapq.heappush(self.scheduled, ScheduledCall(self.clock.now() + delay, next(self.tickets), callback))

    def run(self):
        while self.ready or self.scheduled:
            if not self.ready:
                due = heapq.heappop(self.scheduled)
                self.clock.advance_to(due.when)
                self.ready.append(due.callback)
            self.ready.popleft()()
""",
            "process_all": """async def process_all(
    produce: Callable[[], Awaitable[Any]],
    handle: Callable[[Any], Awaitable[None]],
    workers: int,
    maxsize: int,
) -> int:
    queue = asyncio.Queue(maxsize=maxsize)
    done = object()  # end marker
    counts = [0] * workers

    async def consumer(n):
        while True:
            item = await queue.get()
            if item is done:
                return
            await handle(item)
            counts[n] += 1

    async with asyncio.TaskGroup() as tg:
        for n in range(workers):
            tg.create_task(consumer(n))
        while (item := await produce()) is not None:
            await queue.put(item)
        for _ in range(workers):
            await queue.put(done)
    return sum(counts)
""",
            "on_each_done": """def on_each_done(tasks, record):
    for task in tasks:
        task.add_done_callback(lambda t: record(t.get_name(), t.exception() or t.result()))
""",
        },
        "styles": "dataclass(order=True) timers with a field(compare=False) callback; the due timer goes through the ready "
                  "queue; TaskGroup with object() end markers and per-consumer counts; a lambda taking the task",
    },
    # ------------------------------------------------------------------ 04-crawler (coming soon)
    "cinema_select_semaphore": {
        "module": "coming_soon",
        "answers": {
            "parse_coming_soon": """from bs4 import BeautifulSoup


def parse_coming_soon(html: str) -> list[dict]:
    soup = BeautifulSoup(html, "lxml")
    movies = []
    for item in soup.select("#showing-soon div.item"):
        link = item.select_one("div.intro h3 a")
        movies.append({
            "title": link.get_text().strip(),
            "date": item.select_one("li.dt").get_text().strip(),
            "url": link["href"].strip(),
        })
    return movies
""",
            "parse_poster": """from bs4 import BeautifulSoup


def parse_poster(html: str) -> str:
    return BeautifulSoup(html, "lxml").select_one("#mainpic img")["src"]
""",
            "crawl_coming_soon": """HEADERS = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/126.0 Safari/537.36"}


async def crawl_coming_soon(base_url: str, city: str = "beijing", *, max_concurrency: int = 5,
                            timeout: float = 10.0) -> list[dict]:
    limit = asyncio.Semaphore(max_concurrency)
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        async with session.get(f"{base_url}/cinema/later/{city}/") as response:
            response.raise_for_status()
            movies = parse_coming_soon(await response.text())

        async def poster_of(url):
            async with limit:
                try:
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                        response.raise_for_status()
                        return parse_poster(await response.text())
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    return None

        posters = await asyncio.gather(*(poster_of(movie["url"]) for movie in movies))
    return [{**movie, "poster": poster} for movie, poster in zip(movies, posters)]
""",
        },
        "styles": "re-imports BeautifulSoup; CSS selectors; a Semaphore around each detail request, gather, "
                  "a ClientTimeout per request, None on ClientError/TimeoutError",
    },
    "cinema_find_connector_taskgroup": {
        "module": "coming_soon",
        "answers": {
            "parse_coming_soon": """def parse_coming_soon(html: str) -> list[dict]:
    soup = BeautifulSoup(html, "lxml")
    container = soup.find(id="showing-soon")
    result = []
    for item in container.find_all("div", class_="item"):
        anchor = item.find("div", class_="intro").find("h3").find("a")
        string = anchor.get_text(strip=True)
        first_dt = item.find("li", class_="dt")
        result.append({"title": string, "date": first_dt.get_text(strip=True), "url": anchor.get("href").strip()})
    return result
""",
            "parse_poster": """def parse_poster(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    mainpic = soup.find(id="mainpic")
    return mainpic.find("img").get("src")
""",
            "crawl_coming_soon": """async def crawl_coming_soon(base_url: str, city: str = "beijing", *, max_concurrency: int = 5,
                            timeout: float = 10.0) -> list[dict]:
    connector = aiohttp.TCPConnector(limit=max_concurrency)  # at most max_concurrency requests at once
    headers = {"User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
                             "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        async with session.get(f"{base_url}/cinema/later/{city}/") as listing:
            movies = parse_coming_soon(await listing.text())

        async def with_poster(movie):
            try:
                async with asyncio.timeout(timeout):
                    async with session.get(movie["url"]) as page:
                        page.raise_for_status()
                        poster = parse_poster(await page.text())
            except (aiohttp.ClientError, TimeoutError):
                poster = None
            return {**movie, "poster": poster}

        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(with_poster(movie)) for movie in movies]
    return [task.result() for task in tasks]
""",
        },
        "styles": "find/find_all with class_, a variable named string; find(id=...); TCPConnector(limit=...) as the bound, "
                  "asyncio.timeout per page, TaskGroup",
    },
    "cinema_worker_pool_dataclass": {
        "module": "coming_soon",
        "answers": {
            "crawl_coming_soon": """import pathlib
from dataclasses import asdict, dataclass
from operator import itemgetter

BROWSER = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"}


@dataclass
class Movie:
    title: str
    date: str
    url: str
    poster: str | None = None


async def worker(session: aiohttp.ClientSession, queue: asyncio.Queue, timeout: float) -> None:
    while True:
        movie = await queue.get()
        try:
            async with session.get(movie.url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                if response.status == 200:
                    movie.poster = parse_poster(await response.text())
        except (aiohttp.ClientError, asyncio.TimeoutError):
            movie.poster = None
        finally:
            queue.task_done()


async def crawl_coming_soon(base_url: str, city: str = "beijing", *, max_concurrency: int = 5,
                            timeout: float = 10.0) -> list[dict]:
    listing_path = pathlib.PurePosixPath("/cinema", "later", city)
    async with aiohttp.ClientSession(headers=BROWSER) as session:
        async with session.get(f"{base_url}{listing_path}/") as response:
            rows = parse_coming_soon(await response.text())
        movies = [Movie(*itemgetter("title", "date", "url")(row)) for row in rows]
        queue: asyncio.Queue[Movie] = asyncio.Queue()
        for movie in movies:
            queue.put_nowait(movie)
        pool = [asyncio.create_task(worker(session, queue, timeout))
                for _ in range(min(max_concurrency, len(movies)))]
        await queue.join()
        for task in pool:
            task.cancel()
        await asyncio.gather(*pool, return_exceptions=True)
    return [asdict(movie) for movie in movies]
""",
            "parse_poster": """def parse_poster(html: str) -> str:
    mainpic = BeautifulSoup(html, "lxml").find("div", {"id": "mainpic"})
    return mainpic.img["src"]
""",
        },
        "styles": "a pool of max_concurrency workers (a module-level helper named worker) reading a Queue; "
                  "a dataclass whose poster field is set; import pathlib to build the listing path; operator.itemgetter; "
                  "status check instead of raise_for_status; find with an attrs dict and .img",
    },
    "cinema_as_completed_logging": {
        "module": "coming_soon",
        "answers": {
            "parse_coming_soon": """def parse_coming_soon(html: str) -> list[dict]:
    soup = BeautifulSoup(html, "lxml")
    return [
        {
            "title": item.select_one(".intro h3 a").text.strip(),
            "date": item.select("li.dt")[0].text.strip(),
            "url": item.select_one(".intro h3 a").get("href", "").strip(),
        }
        for item in soup.select("#showing-soon .item")
    ]
""",
            "parse_poster": """def parse_poster(html: str) -> str:
    images = BeautifulSoup(html, "lxml").select("#mainpic img")
    return images[0].attrs["src"]
""",
            "crawl_coming_soon": """import logging

logger = logging.getLogger(__name__)
USER_AGENT = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"


async def crawl_coming_soon(base_url: str, city: str = "beijing", *, max_concurrency: int = 5,
                            timeout: float = 10.0) -> list[dict]:
    gate = asyncio.Semaphore(max_concurrency)
    client_timeout = aiohttp.ClientTimeout(total=timeout)

    async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
        async def get_html(url):
            async with session.get(url) as response:
                response.raise_for_status()
                return await response.text()

        movies = parse_coming_soon(await get_html(f"{base_url}/cinema/later/{city}/"))
        posters = [None] * len(movies)

        async def fetch_poster(index):
            async with gate:
                try:
                    async with session.get(movies[index]["url"], timeout=client_timeout) as response:
                        response.raise_for_status()
                        html = await response.text()
                except (aiohttp.ClientError, TimeoutError) as error:
                    logger.info("no poster for %s: %s", movies[index]["title"], type(error).__name__)
                    return
            posters[index] = parse_poster(html)

        for next_done in asyncio.as_completed([fetch_poster(i) for i in range(len(movies))]):
            await next_done
    return [dict(movie, poster=poster) for movie, poster in zip(movies, posters)]
""",
        },
        "styles": "a list comprehension of dicts; select()[0].attrs; semaphore + as_completed filling posters by index; "
                  "logging.getLogger(__name__).info with type(error).__name__",
    },
    "cinema_class_wait_main_guard": {
        "module": "coming_soon",
        "answers": {
            "parse_coming_soon": """def parse_coming_soon(html: str) -> list[dict]:
    soup = BeautifulSoup(html, "lxml")
    movies = []
    for heading in soup.select("#showing-soon div.intro h3"):
        item = heading.find_parent("div", class_="item")
        link = heading.a
        movies.append(dict(title=link.string.strip(), date=item.find("li", "dt").string.strip(), url=link["href"]))
    return movies
""",
            "crawl_coming_soon": """class CinemaClient:
    agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

    def __init__(self, base_url: str, max_concurrency: int, timeout: float) -> None:
        self.base_url = base_url
        self.limit = asyncio.Semaphore(max_concurrency)
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def listing(self, session: aiohttp.ClientSession, city: str) -> list[dict]:
        async with session.get(f"{self.base_url}/cinema/later/{city}/") as response:
            return parse_coming_soon(await response.text())

    async def poster(self, session: aiohttp.ClientSession, url: str) -> str | None:
        async with self.limit:
            try:
                async with session.get(url, timeout=self.timeout) as response:
                    if not response.ok:
                        return None
                    return parse_poster(await response.text())
            except (aiohttp.ClientError, asyncio.TimeoutError):
                return None

    async def crawl(self, city: str) -> list[dict]:
        async with aiohttp.ClientSession(headers={"User-Agent": self.agent}) as session:
            movies = await self.listing(session, city)
            tasks = [asyncio.create_task(self.poster(session, movie["url"])) for movie in movies]
            if tasks:
                await asyncio.wait(tasks)
        for movie, task in zip(movies, tasks):
            movie["poster"] = task.result()
        return movies


async def crawl_coming_soon(base_url: str, city: str = "beijing", *, max_concurrency: int = 5,
                            timeout: float = 10.0) -> list[dict]:
    return await CinemaClient(base_url, max_concurrency, timeout).crawl(city)


if __name__ == "__main__":
    pass  # the Try it cell below runs the crawl against a local site
""",
        },
        "styles": "headings first, find_parent, .string, dict(...) call; a client class with a semaphore, "
                  "asyncio.wait on tasks, response.ok; if __name__ == '__main__' guard around a no-op",
    },
    # ------------------------------------------------------------------ 05-beyond
    "beyond_for_else_lock_taskgroup_wait": {
        "module": "beyond",
        "answers": {
            "retry": """async def retry(operation: Callable[[], Awaitable[Any]], attempts: int, pause: float) -> Any:
    error: Exception | None = None
    for attempt in range(attempts):
        if attempt > 0:
            await asyncio.sleep(pause)  # only between two attempts, never after the last one
        try:
            return await operation()
        except Exception as exc:  # CancelledError is a BaseException: it goes straight through
            error = exc
    else:
        raise error
""",
            "single_flight": """from collections import defaultdict


class SingleFlight:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)  # one lock per key

    async def get(self, key: str, fetch: Callable[[str], Awaitable[Any]]) -> Any:
        if key in self.values:
            return self.values[key]
        async with self.locks[key]:
            # look again: the value may have come while we waited for the lock
            if key not in self.values:
                self.values[key] = await fetch(key)
            return self.values[key]
""",
            "handle_all": """async def handle_all(requests: list[str], handle: Callable[[str], Awaitable[Any]]) -> list[Any]:
    async def handle_one(request: str) -> Any:
        request_id.set(request)  # set in this task's own copy of the context
        return await handle(request)

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(handle_one(request)) for request in requests]
    return [task.result() for task in tasks]
""",
            "stop_gracefully": """async def stop_gracefully(tasks: list[asyncio.Task], grace: float) -> list[str]:
    done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)  # the clean-ups run to their end
    return [task.get_name() for task in tasks if task in pending]
""",
        },
        "styles": "retry: for/else, pause at the top of the loop, exception kept in a variable and raised after the loop; "
                  "SingleFlight: defaultdict(asyncio.Lock), double check under the lock; handle_all: TaskGroup and a "
                  "nested wrapper coroutine; stop_gracefully: asyncio.wait(timeout=...) then cancel and asyncio.wait again",
    },
    "beyond_while_shared_task_gather_shield": {
        "module": "beyond",
        "answers": {
            "retry": """async def retry(operation: Callable[[], Awaitable[Any]], attempts: int, pause: float) -> Any:
    attempt = 1
    while True:
        try:
            return await operation()
        except asyncio.CancelledError:
            raise  # a cancellation is never retried
        except Exception:
            if attempt >= attempts:
                raise
        attempt += 1
        await asyncio.sleep(pause)
""",
            "single_flight": """class SingleFlight:
    \"\"\"One fetch task per key; every caller that needs the key awaits it (through a shield).\"\"\"

    def __init__(self) -> None:
        self.cache: dict[str, Any] = {}
        self.in_flight: dict[str, asyncio.Task] = {}

    async def fetch_and_keep(self, key: str, fetch: Callable[[str], Awaitable[Any]]) -> Any:
        try:
            value = await fetch(key)
            self.cache[key] = value
            return value
        finally:
            del self.in_flight[key]

    async def get(self, key: str, fetch: Callable[[str], Awaitable[Any]]) -> Any:
        if key in self.cache:
            return self.cache[key]
        task = self.in_flight.get(key)
        if task is None:
            task = asyncio.create_task(self.fetch_and_keep(key, fetch), name=f"fetch {key}")
            self.in_flight[key] = task
        # shielded: a caller that is cancelled must not cancel the fetch the others wait for
        return await asyncio.shield(task)
""",
            "handle_all": """import logging

log = logging.getLogger("beyond")


async def handle_all(requests: list[str], handle: Callable[[str], Awaitable[Any]]) -> list[Any]:
    async def in_its_context(request: str) -> Any:
        request_id.set(request)
        log.debug("handling %s", request)
        return await handle(request)

    # gather wraps each coroutine in a task: each gets a copy of our context, ours is never touched
    return await asyncio.gather(*(in_its_context(request) for request in requests))
""",
            "stop_gracefully": """async def stop_gracefully(tasks: list[asyncio.Task], grace: float) -> list[str]:
    everything = asyncio.gather(*tasks, return_exceptions=True)  # never raises a task's exception
    try:
        async with asyncio.timeout(grace):
            # shielded: the timeout stops our wait, it must not cancel the gather (and the tasks with it)
            await asyncio.shield(everything)
        return []
    except TimeoutError:
        pass
    cancelled = [task for task in tasks if not task.done()]
    for task in cancelled:
        task.cancel()
    await everything
    return [task.get_name() for task in cancelled]
""",
        },
        "styles": "retry: while True with a counter, except asyncio.CancelledError: raise before except Exception; "
                  "SingleFlight: a named task per key running a helper method, awaited through asyncio.shield; "
                  "handle_all: gather of wrapper coroutines, logging; stop_gracefully: asyncio.timeout around a "
                  "shielded gather(return_exceptions=True), then cancel and await the same gather",
    },
    "beyond_recursion_future_context_deadline": {
        "module": "beyond",
        "answers": {
            "retry": """async def retry(operation: Callable[[], Awaitable[Any]], attempts: int, pause: float) -> Any:
    \"\"\"One attempt; if it fails and attempts are left, pause and retry the rest.\"\"\"
    try:
        return await operation()
    except Exception:
        if attempts <= 1:
            raise  # the last attempt's own exception, at once
    await asyncio.sleep(pause)
    return await retry(operation, attempts - 1, pause)
""",
            "single_flight": """class SingleFlight:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.waiting: dict[str, asyncio.Future] = {}  # key -> future of the fetch on its way

    async def get(self, key: str, fetch: Callable[[str], Awaitable[Any]]) -> Any:
        if key in self.values:
            return self.values[key]
        if key in self.waiting:
            return await asyncio.shield(self.waiting[key])
        future = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        try:
            value = await fetch(key)
        except Exception as error:
            future.set_exception(error)  # the callers waiting get the same error
            future.exception()  # retrieved: no "exception was never retrieved" if nobody waits
            raise
        except BaseException:
            future.cancel()  # we were cancelled: do not leave the others waiting forever
            raise
        else:
            self.values[key] = value
            future.set_result(value)
            return value
        finally:
            del self.waiting[key]
""",
            "handle_all": """async def handle_all(requests: list[str], handle: Callable[[str], Awaitable[Any]]) -> list[Any]:
    tasks = []
    for request in requests:
        context = contextvars.copy_context()
        context.run(request_id.set, request)
        tasks.append(asyncio.create_task(handle(request), context=context))
    return await asyncio.gather(*tasks)
""",
            "stop_gracefully": """async def stop_gracefully(tasks: list[asyncio.Task], grace: float) -> list[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    running = {task for task in tasks if not task.done()}
    while running and loop.time() < deadline:
        _, running = await asyncio.wait(running, timeout=deadline - loop.time(),
                                        return_when=asyncio.FIRST_COMPLETED)
    to_cancel = [task for task in tasks if task in running]
    for task in to_cancel:
        task.cancel()
    while running:
        _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    return [task.get_name() for task in to_cancel]
""",
        },
        "styles": "retry: recursion with attempts - 1; SingleFlight: a future per key made with loop.create_future(), "
                  "waiters shielded, try/except/else/finally; handle_all: contextvars.copy_context() and "
                  "create_task(context=...); stop_gracefully: deadline on the loop's clock, asyncio.wait "
                  "FIRST_COMPLETED in while loops",
    },
    "beyond_logging_dataclass_event_token_callbacks": {
        "module": "beyond",
        "answers": {
            "retry": """import logging

logger = logging.getLogger(__name__)


async def retry(operation: Callable[[], Awaitable[Any]], attempts: int, pause: float) -> Any:
    last_error: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except Exception as error:
            logger.info("attempt %d of %d failed: %r", attempt, attempts, error)
            last_error = error
        if attempt < attempts:
            await asyncio.sleep(pause)
    assert last_error is not None
    raise last_error
""",
            "single_flight": """from dataclasses import dataclass, field


@dataclass
class SingleFlight:
    values: dict[str, Any] = field(default_factory=dict, init=False)
    fetching: dict[str, asyncio.Event] = field(default_factory=dict, init=False)

    async def get(self, key: str, fetch: Callable[[str], Awaitable[Any]]) -> Any:
        while True:
            if key in self.values:
                return self.values[key]
            done = self.fetching.get(key)
            if done is None:
                break
            await done.wait()  # a fetch is on its way: wait for it, then look again
        done = self.fetching[key] = asyncio.Event()
        try:
            value = await fetch(key)
            self.values[key] = value
            return value
        finally:
            del self.fetching[key]
            done.set()  # the waiters find the value, or after a failure one of them fetches again
""",
            "handle_all": """async def handle_all(requests: list[str], handle: Callable[[str], Awaitable[Any]]) -> list[Any]:
    tasks: list[asyncio.Task] = []
    for request in requests:
        token = request_id.set(request)
        try:
            tasks.append(asyncio.create_task(handle(request)))  # the task copies the context right now
        finally:
            request_id.reset(token)  # the caller's value comes back at once
    return list(await asyncio.gather(*tasks))
""",
            "stop_gracefully": """async def stop_gracefully(tasks: list[asyncio.Task], grace: float) -> list[str]:
    running = {task for task in tasks if not task.done()}
    if not running:
        return []
    all_done = asyncio.Event()

    def on_done(task: asyncio.Task) -> None:
        running.discard(task)
        if not running:
            all_done.set()

    for task in running:
        task.add_done_callback(on_done)
    try:
        await asyncio.wait_for(all_done.wait(), timeout=grace)
        return []
    except TimeoutError:
        pass
    cancelled = [task for task in tasks if not task.done()]
    for task in cancelled:
        task.cancel()
    await all_done.wait()
    return [task.get_name() for task in cancelled]
""",
        },
        "styles": "retry: logging of each failure, last error kept and raised after the loop, assert; SingleFlight: "
                  "@dataclass with field(default_factory=dict, init=False), an asyncio.Event per key and waiters that "
                  "look again; handle_all: request_id.set / reset(token) around create_task; stop_gracefully: "
                  "done callbacks, a closure over a set, an Event and asyncio.wait_for",
    },
    "beyond_attempt_tasks_condition_as_completed": {
        "module": "beyond",
        "answers": {
            "retry": """async def retry(operation: Callable[[], Awaitable[Any]], attempts: int, pause: float) -> Any:
    for attempt in range(attempts):
        task = asyncio.ensure_future(operation())
        try:
            return await task  # cancelling retry cancels the task it awaits as well
        except asyncio.CancelledError:
            task.cancel()  # make sure the attempt goes down with us
            raise
        except Exception:
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(pause)
""",
            "single_flight": """class SingleFlight:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.busy: set[str] = set()  # keys whose fetch is on its way
        self.changed = asyncio.Condition()

    async def get(self, key: str, fetch: Callable[[str], Awaitable[Any]]) -> Any:
        async with self.changed:
            await self.changed.wait_for(lambda: key not in self.busy)
            if key in self.values:
                return self.values[key]
            self.busy.add(key)
        try:
            value = await fetch(key)  # outside the condition's lock: other keys go on meanwhile
            self.values[key] = value
            return value
        finally:
            async with self.changed:
                self.busy.discard(key)
                self.changed.notify_all()
""",
            "handle_all": """async def handle_all(requests: list[str], handle: Callable[[str], Awaitable[Any]]) -> list[Any]:
    async def numbered(index: int, request: str) -> tuple[int, Any]:
        request_id.set(request)
        return index, await handle(request)

    tasks = [asyncio.create_task(numbered(index, request)) for index, request in enumerate(requests)]
    results: list[Any] = [None] * len(requests)
    for next_done in asyncio.as_completed(tasks):
        index, result = await next_done
        results[index] = result
    return results
""",
            "stop_gracefully": """async def stop_gracefully(tasks: list[asyncio.Task], grace: float) -> list[str]:
    finished = asyncio.gather(*tasks, return_exceptions=True)
    try:
        await asyncio.wait_for(asyncio.shield(finished), grace)
    except TimeoutError:
        print(f"grace period of {grace} s over")
    stopped = []
    for task in tasks:
        if not task.done():
            task.cancel()
            stopped.append(task.get_name())
    await finished
    return stopped
""",
        },
        "styles": "retry: each attempt in a task of its own (ensure_future), cancelled explicitly; SingleFlight: one "
                  "asyncio.Condition with wait_for(predicate) and a set of busy keys; handle_all: as_completed over "
                  "tasks that return (index, result); stop_gracefully: asyncio.wait_for on a shielded gather, a debug print",
    },
    "beyond_countdown_future_cache_ctx_run": {
        "module": "beyond",
        "answers": {
            "retry": """async def retry(operation: Callable[[], Awaitable[Any]], attempts: int, pause: float) -> Any:
    left = attempts
    while left > 0:
        left -= 1
        try:
            return await operation()
        except Exception as error:
            if not left:
                raise
            # print(f"{error!r}: {left} attempts left")
        await asyncio.sleep(pause)
""",
            "single_flight": """import functools


class SingleFlight:
    \"\"\"Keeps one future per key: running while it is fetched, done (with the value) once it is kept.\"\"\"

    def __init__(self) -> None:
        self.flights: dict[str, asyncio.Future] = {}

    @staticmethod
    def failed(flight: asyncio.Future) -> bool:
        return flight.done() and (flight.cancelled() or flight.exception() is not None)

    def forget_failure(self, key: str, flight: asyncio.Future) -> None:
        if self.failed(flight) and self.flights.get(key) is flight:
            del self.flights[key]

    async def get(self, key: str, fetch: Callable[[str], Awaitable[Any]]) -> Any:
        flight = self.flights.get(key)
        if flight is None or self.failed(flight):
            flight = asyncio.ensure_future(fetch(key))
            self.flights[key] = flight
            flight.add_done_callback(functools.partial(self.forget_failure, key))
        if flight.done():
            return flight.result()  # the kept value, at once
        return await asyncio.shield(flight)
""",
            "handle_all": """async def handle_all(requests: list[str], handle: Callable[[str], Awaitable[Any]]) -> list[Any]:
    if not requests:
        return []
    tasks = []
    for request in requests:
        context = contextvars.copy_context()
        context.run(request_id.set, request)
        # create_task copies the current context: create it while the request's context is current
        tasks.append(context.run(asyncio.create_task, handle(request)))
    await asyncio.wait(tasks)
    return [task.result() for task in tasks]
""",
            "stop_gracefully": """async def stop_gracefully(tasks: list[asyncio.Task], grace: float) -> list[str]:
    try:
        async with asyncio.timeout(grace):
            await asyncio.wait(tasks)  # asyncio.wait never cancels the tasks it waits for
    except TimeoutError:
        pass
    late = [task for task in tasks if not task.done()]
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late)
    return [task.get_name() for task in late]
""",
        },
        "styles": "retry: countdown while loop, a commented-out debug print; SingleFlight: the future itself is the "
                  "cache (ensure_future), a @staticmethod, a done callback with functools.partial; handle_all: "
                  "context.run(asyncio.create_task, ...) and asyncio.wait; stop_gracefully: asyncio.timeout around "
                  "asyncio.wait, then cancel the late ones",
    },
    "beyond_suppress_wait_task_group_context_timeout_at": {
        "module": "beyond",
        "extra_cells": ["SHOW_DEBUG = False\n\n\ndef debug(*args: object) -> None:\n    if SHOW_DEBUG:\n        print(*args)\n"],
        "answers": {
            "retry": """import contextlib


async def retry(operation: Callable[[], Awaitable[Any]], attempts: int, pause: float) -> Any:
    for _ in range(attempts - 1):
        with contextlib.suppress(Exception):  # not CancelledError: that one is a BaseException
            return await operation()
        debug("attempt failed, pausing", pause)
        await asyncio.sleep(pause)
    return await operation()  # the last attempt: its exception goes to the caller as it is
""",
            "single_flight": """class SingleFlight:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.running: dict[str, asyncio.Task] = {}

    async def fetch_once(self, key: str, fetch: Callable[[str], Awaitable[Any]]) -> Any:
        try:
            self.values[key] = await fetch(key)
            return self.values[key]
        finally:
            self.running.pop(key, None)

    async def get(self, key: str, fetch: Callable[[str], Awaitable[Any]]) -> Any:
        if key in self.values:
            return self.values[key]
        if key not in self.running:
            self.running[key] = asyncio.create_task(self.fetch_once(key, fetch))
        task = self.running[key]
        await asyncio.wait([task])  # unlike a bare await, a cancelled caller leaves the shared fetch alone
        return task.result()
""",
            "handle_all": """async def handle_all(requests: list[str], handle: Callable[[str], Awaitable[Any]]) -> list[Any]:
    def context_for(request: str) -> contextvars.Context:
        context = contextvars.copy_context()
        context.run(request_id.set, request)
        return context

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(handle(request), context=context_for(request)) for request in requests]
    debug("all handled, request_id is back to", request_id.get())
    return [task.result() for task in tasks]
""",
            "stop_gracefully": """async def stop_gracefully(tasks: list[asyncio.Task], grace: float) -> list[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    try:
        async with asyncio.timeout_at(deadline):
            for task in tasks:
                await asyncio.wait([task])  # waits, whether the task returns or fails
    except TimeoutError:
        debug("deadline reached at", loop.time())
    cancelled = [task for task in tasks if not task.done()]
    for task in cancelled:
        task.cancel()
    await asyncio.gather(*cancelled, return_exceptions=True)
    return [task.get_name() for task in cancelled]
""",
        },
        "styles": "an extra cell with a debug helper used by every answer; retry: contextlib.suppress(Exception) on "
                  "all attempts but the last, the last one outside; SingleFlight: a task per key awaited through "
                  "asyncio.wait([task]) then task.result(); handle_all: TaskGroup.create_task(context=...) from a "
                  "helper; stop_gracefully: asyncio.timeout_at a deadline on the loop clock, tasks waited one by one, "
                  "gather(return_exceptions=True) for the clean-ups",
    },
}
