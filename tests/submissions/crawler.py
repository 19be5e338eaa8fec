"""Submissions for 01-crawler: alternative right answers and typical mistakes."""

ASSIGNMENT = "01-crawler"
NOTEBOOK = "crawler"
FULL = {"test_crawl_page": 1, "test_crawl_one_by_one": 1, "test_crawl_with_tasks": 2, "test_crawl_with_gather": 2}


def scores(**changes: int) -> dict[str, int]:
    return {**FULL, **changes}


# name: (answers replacing the reference solution, expected points per test cell)
VARIANTS: dict[str, tuple[dict[str, str], dict[str, int]]] = {
    "reference": ({}, FULL),
    "taskgroup": (
        {
            "crawl_with_tasks": """
async def crawl_with_tasks(urls):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(crawl_page(url)) for url in urls]
    return [task.result() for task in tasks]
"""
        },
        FULL,
    ),
    "wait_then_results": (
        {
            "crawl_with_tasks": """
async def crawl_with_tasks(urls):
    tasks = [asyncio.create_task(crawl_page(url)) for url in urls]
    await asyncio.wait(tasks)
    return [task.result() for task in tasks]
""",
            "crawl_with_gather": """
async def crawl_with_gather(urls):
    tasks = [asyncio.create_task(crawl_page(u)) for u in urls]
    return list(await asyncio.gather(*tasks))
""",
        },
        FULL,
    ),
    "tasks_awaited_one_by_one": (
        {
            "crawl_with_tasks": """
async def crawl_with_tasks(urls):
    results = []
    for url in urls:
        results.append(await asyncio.create_task(crawl_page(url)))
    return results
"""
        },
        scores(test_crawl_with_tasks=0),
    ),
    "completion_order": (
        {
            "crawl_with_gather": """
async def crawl_with_gather(urls):
    return [await done for done in asyncio.as_completed([crawl_page(u) for u in urls])]
"""
        },
        scores(test_crawl_with_gather=0),
    ),
    "one_by_one_concurrent": (
        {
            "crawl_one_by_one": """
async def crawl_one_by_one(urls):
    return await asyncio.gather(*(crawl_page(u) for u in urls))
"""
        },
        scores(test_crawl_one_by_one=0),
    ),
    "forgot_await": (
        {
            "crawl_with_tasks": """
async def crawl_with_tasks(urls):
    pages = [crawl_page(url) for url in urls]
    return [f"OK {url}" for url in urls]
"""
        },
        scores(test_crawl_with_tasks=0),
    ),
    "hard_coded": (
        {
            "crawl_with_tasks": """
async def crawl_with_tasks(urls):
    for url in urls:
        print(f"crawling {url}")
    await asyncio.sleep(4)
    for url in ["url_1", "url_2", "url_3", "url_4"]:
        print(f"OK {url}")
    return ["OK url_3", "OK url_1", "OK url_4", "OK url_2"]
"""
        },
        scores(test_crawl_with_tasks=0),
    ),
    "blocking_sleep": (
        {
            "crawl_page": """
import time

async def crawl_page(url):
    print(f"crawling {url}")
    time.sleep(int(url.split("_")[-1]))
    print(f"OK {url}")
    return f"OK {url}"
"""
        },
        # The other exercises run with the test's own crawl_page, so they keep their points.
        scores(test_crawl_page=0),
    ),
    "endless_loop": (
        {
            "crawl_with_gather": """
async def crawl_with_gather(urls):
    while True:
        pass
"""
        },
        scores(test_crawl_with_gather=0),
    ),
    "sleeps_for_ever": (
        {
            "crawl_with_tasks": """
async def crawl_with_tasks(urls):
    await asyncio.sleep(1e9)
"""
        },
        scores(test_crawl_with_tasks=0),
    ),
}

# The gaps a review found in the hidden tests (issue 10): each once got full marks or a misleading message.
GAPS = {
    "prints_without_tasks": (
        {"crawl_with_tasks": """
async def crawl_with_tasks(urls):
    delays = [int(url.split("_")[-1]) for url in urls]
    for url in urls:
        print(f"crawling {url}")
    await asyncio.sleep(max(delays))
    for url in sorted(urls, key=lambda url: int(url.split("_")[-1])):
        print(f"OK {url}")
    return [f"OK {url}" for url in urls]
"""},
        scores(test_crawl_with_tasks=0),
        {"test_crawl_with_tasks": "crawl_page"},
    ),
    "late_binding": (
        {"crawl_with_tasks": """
async def crawl_with_tasks(urls):
    makers = [lambda: crawl_page(url) for url in urls]
    tasks = [asyncio.create_task(make()) for make in makers]
    return [await task for task in tasks]
"""},
        scores(test_crawl_with_tasks=0),
        {"test_crawl_with_tasks": "late binding"},
    ),
}
VARIANTS.update(GAPS)
