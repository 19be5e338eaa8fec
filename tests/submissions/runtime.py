"""Submissions for 03-runtime: other tools, and the mistakes each test exists for."""

ASSIGNMENT = "03-runtime"
NOTEBOOK = "runtime"
FULL = {"test_predict_trace": 2, "test_results_by_deadline": 2, "test_process_all": 2, "test_on_each_done": 2}
ZERO = {name: 0 for name in FULL}


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
}

VARIANTS = {
    "reference": ({}, FULL),
    "other_tools": (OTHER_TOOLS, FULL),
    "mistakes_a": (MISTAKES_A, ZERO),
    "mistakes_b": (MISTAKES_B, ZERO),
    "mistakes_c": (MISTAKES_C, scores(test_results_by_deadline=0, test_process_all=0, test_on_each_done=0)),
    "mistakes_d": (MISTAKES_D, scores(test_process_all=0)),
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
