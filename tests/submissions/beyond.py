"""Submissions for 05-beyond: other tools, and the mistakes each test exists for."""

ASSIGNMENT = "05-beyond"
NOTEBOOK = "beyond"
FULL = {"test_retry": 2, "test_single_flight": 2, "test_handle_all": 2, "test_stop_gracefully": 2}
ZERO = {name: 0 for name in FULL}


def scores(**changes: int) -> dict[str, int]:
    return {**FULL, **changes}


# Right another way: a while loop that keeps the last error; a task per key in flight; a copied context
# per task; waiting for each task in turn until a deadline on the loop's clock.
OTHER_TOOLS = {
    "retry": """
async def retry(operation, attempts, pause):
    tried, last = 0, None
    while tried < attempts:
        tried += 1
        try:
            return await operation()
        except asyncio.CancelledError:
            raise  # said out loud, though `except Exception` would not catch it anyway
        except Exception as error:
            last = error
        if tried < attempts:
            await asyncio.sleep(pause)
    raise last
""",
    "single_flight": """
class SingleFlight:
    def __init__(self):
        self.values = {}
        self.flights = {}  # key -> the task fetching it now

    async def get(self, key, fetch):
        if key in self.values:
            return self.values[key]
        task = self.flights.get(key)
        if task is None:
            task = asyncio.create_task(fetch(key))
            self.flights[key] = task
            task.add_done_callback(lambda done: self.flights.pop(key, None))
        value = await task
        self.values[key] = value
        return value
""",
    "handle_all": """
async def handle_all(requests, handle):
    tasks = []
    for request in requests:
        context = contextvars.copy_context()
        context.run(request_id.set, request)
        tasks.append(asyncio.create_task(handle(request), context=context))
    return await asyncio.gather(*tasks)
""",
    "stop_gracefully": """
async def stop_gracefully(tasks, grace):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    for task in tasks:
        left = deadline - loop.time()
        if left <= 0:
            break
        await asyncio.wait([task], timeout=left)
    late = [task for task in tasks if not task.done()]
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late)
    return [task.get_name() for task in late]
""",
}

# Right in yet another way: recursion; a future per key set by the first caller; set and reset around
# create_task; asyncio.wait twice.
OTHER_TOOLS_B = {
    "retry": """
async def retry(operation, attempts, pause):
    try:
        return await operation()
    except Exception:
        if attempts == 1:
            raise
    await asyncio.sleep(pause)
    return await retry(operation, attempts - 1, pause)
""",
    "single_flight": """
class SingleFlight:
    def __init__(self):
        self.kept = {}
        self.waiting = {}  # key -> future of the fetch on its way

    async def get(self, key, fetch):
        if key in self.kept:
            return self.kept[key]
        if key in self.waiting:
            return await self.waiting[key]
        future = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        try:
            value = await fetch(key)
        except Exception as error:
            future.set_exception(error)
        else:
            self.kept[key] = value
            future.set_result(value)
        finally:
            del self.waiting[key]
        return await future
""",
    "handle_all": """
async def handle_all(requests, handle):
    tasks = []
    for request in requests:
        token = request_id.set(request)
        try:
            tasks.append(asyncio.create_task(handle(request)))  # the task copies the context now
        finally:
            request_id.reset(token)
    return list(await asyncio.gather(*tasks))
""",
    "stop_gracefully": """
async def stop_gracefully(tasks, grace):
    done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    return [task.get_name() for task in tasks if task in pending]
""",
}

MISTAKES_A = {
    # retries everything, a cancellation too
    "retry": """
async def retry(operation, attempts, pause):
    for attempt in range(attempts):
        try:
            return await operation()
        except BaseException:
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(pause)
""",
    # check, await, then act: two callers both fetch
    "single_flight": """
class SingleFlight:
    def __init__(self):
        self.values = {}

    async def get(self, key, fetch):
        if key not in self.values:
            self.values[key] = await fetch(key)
        return self.values[key]
""",
    # sets the variable in the caller, never resets it
    "handle_all": """
async def handle_all(requests, handle):
    tasks = []
    for request in requests:
        request_id.set(request)
        tasks.append(asyncio.create_task(handle(request)))
    return await asyncio.gather(*tasks)
""",
    # cancels everything at once
    "stop_gracefully": """
async def stop_gracefully(tasks, grace):
    late = [task for task in tasks if not task.done()]
    for task in late:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return [task.get_name() for task in late]
""",
}

MISTAKES_B = {
    # swallows the cancellation in the pause and gives up quietly
    "retry": """
async def retry(operation, attempts, pause):
    for attempt in range(attempts):
        try:
            return await operation()
        except Exception:
            if attempt == attempts - 1:
                raise
        try:
            await asyncio.sleep(pause)
        except asyncio.CancelledError:
            return None
""",
    # one lock for every key: all fetches take turns
    "single_flight": """
class SingleFlight:
    def __init__(self):
        self.values = {}
        self.lock = asyncio.Lock()

    async def get(self, key, fetch):
        async with self.lock:
            if key not in self.values:
                self.values[key] = await fetch(key)
            return self.values[key]
""",
    # sets the variable, then lets gather make the tasks: every task copies the last value
    "handle_all": """
async def handle_all(requests, handle):
    token = request_id.set("-")
    coroutines = []
    for request in requests:
        request_id.set(request)
        coroutines.append(handle(request))
    try:
        return await asyncio.gather(*coroutines)
    finally:
        request_id.reset(token)
""",
    # cancels, but does not wait for the clean-ups
    "stop_gracefully": """
async def stop_gracefully(tasks, grace):
    done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    return [task.get_name() for task in tasks if task in pending]
""",
}

MISTAKES_C = {
    # pauses after the last failure too
    "retry": """
async def retry(operation, attempts, pause):
    error = None
    for _ in range(attempts):
        try:
            return await operation()
        except Exception as failure:
            error = failure
        await asyncio.sleep(pause)
    raise error
""",
    # keeps the task, failed or not: a failure is never fetched again
    "single_flight": """
class SingleFlight:
    def __init__(self):
        self.tasks = {}

    async def get(self, key, fetch):
        if key not in self.tasks:
            self.tasks[key] = asyncio.create_task(fetch(key))
        return await self.tasks[key]
""",
    # one request after another
    "handle_all": """
async def handle_all(requests, handle):
    results = []
    for request in requests:
        token = request_id.set(request)
        try:
            results.append(await handle(request))
        finally:
            request_id.reset(token)
    return results
""",
    # sits out the whole grace period even when every task is done
    "stop_gracefully": """
async def stop_gracefully(tasks, grace):
    await asyncio.sleep(grace)
    late = [task for task in tasks if not task.done()]
    for task in late:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return [task.get_name() for task in late]
""",
}

MISTAKES_D = {
    # gives up with an error of its own instead of the last attempt's
    "retry": """
async def retry(operation, attempts, pause):
    for attempt in range(attempts):
        try:
            return await operation()
        except Exception:
            if attempt < attempts - 1:
                await asyncio.sleep(pause)
    raise RuntimeError(f"gave up after {attempts} attempts")
""",
    # a failed task's exception escapes
    "stop_gracefully": """
async def stop_gracefully(tasks, grace):
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), grace)
    except TimeoutError:
        pass
    return [task.get_name() for task in tasks if task.cancelled()]
""",
}

VARIANTS = {
    "reference": ({}, FULL),
    "other_tools": (OTHER_TOOLS, FULL),
    "other_tools_b": (OTHER_TOOLS_B, FULL),
    "mistakes_a": (MISTAKES_A, ZERO, {"test_retry": "never be retried or swallowed",
                                      "test_single_flight": "share the fetch already on its way",
                                      "test_handle_all": "reset it with the token",
                                      "test_stop_gracefully": "the whole grace period first"}),
    "mistakes_b": (MISTAKES_B, ZERO, {"test_retry": "never be retried or swallowed",
                                      "test_single_flight": "one lock for every key",
                                      "test_handle_all": "seen by every task made after it",
                                      "test_stop_gracefully": "await the cancelled tasks"}),
    "mistakes_c": (MISTAKES_C, ZERO, {"test_retry": "right after the last attempt fails",
                                      "test_single_flight": "a fetch that failed is not kept",
                                      "test_handle_all": "start every handler at once",
                                      "test_stop_gracefully": "do not wait out the grace period"}),
    "mistakes_d": (MISTAKES_D, scores(test_retry=0, test_stop_gracefully=0),
                   {"test_retry": "that attempt's own exception",
                    "test_stop_gracefully": "do not let its exception out"}),
}
