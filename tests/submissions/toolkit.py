"""Submissions for 02-toolkit.

Each exercise is graded by its own test cell, so one submission can carry a
mistake in every exercise at once and still be scored cell by cell.
"""

ASSIGNMENT = "02-toolkit"
NOTEBOOK = "toolkit"
FULL = {
    "test_fastest_mirror": 2,
    "test_crawl_in_completion_order": 2,
    "test_save_safely": 2,
    "test_async_timed": 2,
    "test_fetch_all": 2,
}
ZERO = {name: 0 for name in FULL}

# Right answers written with other tools than the reference solution.
OTHER_TOOLS = {
    "fastest_mirror": """
async def fastest_mirror(mirrors):
    tasks = [asyncio.create_task(download(name, s)) for name, s in mirrors.items()]
    for first in asyncio.as_completed(tasks):
        result = await first
        break
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return result
""",
    "crawl_in_completion_order": """
async def crawl_in_completion_order(urls):
    url_of = {asyncio.create_task(crawl_page(url)): url for url in urls}
    pending, pairs = set(url_of), []
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        # several pages can finish at the same moment: keep input order among them
        pairs += [(url_of[t], t.result()) for t in sorted(done, key=lambda t: urls.index(url_of[t]))]
    return pairs
""",
    "save_safely": """
background_saves = set()


async def save_safely(save):
    task = asyncio.ensure_future(save())
    background_saves.add(task)
    task.add_done_callback(lambda done: background_saves.discard(done))
    return await asyncio.shield(task)
""",
    "async_timed": """
class async_timed:
    def __init__(self, label):
        self.label = label

    async def __aenter__(self):
        self.start = asyncio.get_running_loop().time()

    async def __aexit__(self, *exc_info):
        print(f"{self.label}: {asyncio.get_running_loop().time() - self.start:.2f} s")
        return False
""",
    "fetch_all": """
async def fetch_all(fetchers):
    tasks = [asyncio.create_task(fetch()) for fetch in fetchers]
    try:
        return await asyncio.gather(*tasks)
    except Exception as error:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise ExceptionGroup("a fetcher failed", [error])
""",
}

# The mistakes the tests exist for, one per exercise, two sets.
MISTAKES_A = {
    # returns the winner but leaves the losers running
    "fastest_mirror": """
async def fastest_mirror(mirrors):
    tasks = [asyncio.create_task(download(name, s)) for name, s in mirrors.items()]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    return done.pop().result()
""",
    # results in input order (gather), not completion order
    "crawl_in_completion_order": """
async def crawl_in_completion_order(urls):
    return list(zip(urls, await asyncio.gather(*(crawl_page(u) for u in urls))))
""",
    # no shield: the timeout cancels the save too
    "save_safely": """
async def save_safely(save):
    return await save()
""",
    # wall clock instead of the loop's clock
    "async_timed": """
import time

@contextlib.asynccontextmanager
async def async_timed(label):
    start = time.perf_counter()
    try:
        yield
    finally:
        print(f"{label}: {time.perf_counter() - start:.2f} s")
""",
    # gather: the first error propagates alone and the siblings keep running
    "fetch_all": """
async def fetch_all(fetchers):
    return await asyncio.gather(*(fetch() for fetch in fetchers))
""",
}

MISTAKES_B = {
    # cancels the losers but returns before they have stopped
    "fastest_mirror": """
async def fastest_mirror(mirrors):
    tasks = [asyncio.create_task(download(name, s)) for name, s in mirrors.items()]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return done.pop().result()
""",
    # completion order, but results zipped with the urls in input order
    "crawl_in_completion_order": """
async def crawl_in_completion_order(urls):
    results = [await r for r in asyncio.as_completed([crawl_page(u) for u in urls])]
    return list(zip(urls, results))
""",
    # shielded, but swallows the cancellation: the caller never times out
    "save_safely": """
async def save_safely(save):
    task = asyncio.create_task(save())
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        return await task
""",
    # no finally: nothing printed when the block raises
    "async_timed": """
@contextlib.asynccontextmanager
async def async_timed(label):
    loop = asyncio.get_running_loop()
    start = loop.time()
    yield
    print(f"{label}: {loop.time() - start:.2f} s")
""",
    # errors returned as values instead of raised
    "fetch_all": """
async def fetch_all(fetchers):
    return await asyncio.gather(*(fetch() for fetch in fetchers), return_exceptions=True)
""",
}

# Mistakes that fail at first sight: a blocking sleep, and waiting for every mirror.
MISTAKES_C = {
    "fastest_mirror": """
async def fastest_mirror(mirrors):
    results = await asyncio.gather(*(download(n, s) for n, s in mirrors.items()))
    return results[list(mirrors.values()).index(min(mirrors.values()))]
""",
    "async_timed": """
@contextlib.asynccontextmanager
async def async_timed(label):
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        yield
    finally:
        import time
        time.sleep(0.01)
        print(f"{label}: {loop.time() - start:.2f} s")
""",
}

VARIANTS = {
    "reference": ({}, FULL),
    "other_tools": (OTHER_TOOLS, FULL),
    "mistakes_a": (MISTAKES_A, ZERO),
    "mistakes_b": (MISTAKES_B, ZERO),
    "mistakes_c": (MISTAKES_C, {**FULL, "test_fastest_mirror": 0, "test_async_timed": 0}),
}

# The gaps a review found in the hidden tests (issue 10): each once got full marks.
GAPS = {
    "shield_without_reference": (
        {"save_safely": """
background_saves = set()


async def save_safely(save):
    return await asyncio.shield(save())
"""},
        {**FULL, "test_save_safely": 0},
        {"test_save_safely": "background_saves"},
    ),
    "completion_order_by_number": (
        {"crawl_in_completion_order": """
async def crawl_in_completion_order(urls):
    results = await asyncio.gather(*(crawl_page(url) for url in urls))
    pairs = list(zip(urls, results))
    return sorted(pairs, key=lambda pair: int(pair[0].split("_")[-1]))
"""},
        {**FULL, "test_crawl_in_completion_order": 0},
        {"test_crawl_in_completion_order": "in the order the pages finished"},
    ),
    "save_hard_coded": (
        {"save_safely": """
background_saves = set()


async def save_safely(save):
    task = asyncio.create_task(save())
    background_saves.add(task)
    task.add_done_callback(background_saves.discard)
    await asyncio.sleep(3)  # the example's save, hard-coded
    return "data from db"
"""},
        {**FULL, "test_save_safely": 0},
        {"test_save_safely": "save_safely"},
    ),
    "mirror_prints_only": (
        {"fastest_mirror": """
async def fastest_mirror(mirrors):
    fastest = min(mirrors, key=mirrors.get)
    for name in mirrors:
        print(f"start {name}")
    await asyncio.sleep(mirrors[fastest])
    print(f"done {fastest}")
    for name in mirrors:
        if name != fastest:
            print(f"cancelled {name}")
    return f"data from {fastest}"
"""},
        {**FULL, "test_fastest_mirror": 0},
        {"test_fastest_mirror": "download"},
    ),
    "fetch_all_gather_bare": (
        {"fetch_all": """
async def fetch_all(fetchers):
    return list(await asyncio.gather(*(fetch() for fetch in fetchers)))
"""},
        {**FULL, "test_fetch_all": 0},
        {"test_fetch_all": "fetch_all"},
    ),
}
VARIANTS.update(GAPS)
