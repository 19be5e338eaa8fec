"""Submissions for 04-crawler: other ways to bound the crawl, and the classic mistakes."""

ASSIGNMENT = "04-crawler"
NOTEBOOK = "coming_soon"
FULL = {"test_parse_coming_soon": 2, "test_parse_poster": 1, "test_crawl_coming_soon": 3, "test_crawl_failing_pages": 2}

UA = '{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}'

# Bounded by the connector instead of a semaphore.
CONNECTOR_LIMIT = {
    "crawl_coming_soon": f"""
async def crawl_coming_soon(base_url, city="beijing", *, max_concurrency=5, timeout=10.0):
    connector = aiohttp.TCPConnector(limit=max_concurrency)
    async with aiohttp.ClientSession(headers={UA}, connector=connector) as session:
        async def page(url):
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                response.raise_for_status()
                return await response.text()

        async def poster(url):
            try:
                return parse_poster(await page(url))
            except (aiohttp.ClientError, asyncio.TimeoutError):
                return None

        movies = parse_coming_soon(await page(f"{{base_url}}/cinema/later/{{city}}/"))
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(poster(m["url"])) for m in movies]
    return [{{**m, "poster": t.result()}} for m, t in zip(movies, tasks)]
""",
    "parse_poster": """
def parse_poster(html):
    return BeautifulSoup(html, "lxml").find("div", id="mainpic").find("img")["src"]
""",
}

# A pool of workers reading a queue; the article's way of reading the listing.
WORKER_POOL = {
    "crawl_coming_soon": f"""
async def crawl_coming_soon(base_url, city="beijing", *, max_concurrency=5, timeout=10.0):
    async with aiohttp.ClientSession(headers={UA}, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.get(f"{{base_url}}/cinema/later/{{city}}/") as response:
            movies = parse_coming_soon(await response.text())
        queue = asyncio.Queue()
        for index, movie in enumerate(movies):
            queue.put_nowait((index, movie["url"]))
        posters = [None] * len(movies)

        async def worker():
            while not queue.empty():
                index, url = queue.get_nowait()
                try:
                    async with session.get(url) as response:
                        if response.status == 200:
                            posters[index] = parse_poster(await response.text())
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass

        await asyncio.gather(*(worker() for _ in range(max_concurrency)))
    return [dict(m, poster=p) for m, p in zip(movies, posters)]
""",
    "parse_coming_soon": """
def parse_coming_soon(html):
    soup = BeautifulSoup(html, "lxml")
    result = []
    for each in soup.find("div", id="showing-soon").find_all("div", class_="item"):
        links, lines = each.find_all("a"), each.find_all("li")
        result.append({"title": links[1].text.strip(), "date": lines[0].text.strip(), "url": links[1]["href"]})
    return result
""",
}

MISTAKES_PARSE = {
    # the thumbnail link comes first and has no text
    "parse_coming_soon": """
def parse_coming_soon(html):
    soup = BeautifulSoup(html, "lxml")
    return [{"title": item.find("a").text.strip(), "date": item.find("li").text.strip(), "url": item.find("a")["href"]}
            for item in soup.select("#showing-soon div.item")]
""",
}

MISTAKES_A = {
    # the first image of the page: the logo
    "parse_poster": """
def parse_poster(html):
    return BeautifulSoup(html, "lxml").find("img")["src"]
""",
    **MISTAKES_PARSE,
}

MISTAKES_B = {
    # no User-Agent: the site answers 418
    "crawl_coming_soon": """
async def crawl_coming_soon(base_url, city="beijing", *, max_concurrency=5, timeout=10.0):
    limit = asyncio.Semaphore(max_concurrency)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async def fetch(url):
            async with limit:
                async with session.get(url) as response:
                    response.raise_for_status()
                    return await response.text()

        movies = parse_coming_soon(await fetch(f"{base_url}/cinema/later/{city}/"))
        pages = await asyncio.gather(*(fetch(m["url"]) for m in movies), return_exceptions=True)
    return [dict(m, poster=None if isinstance(p, BaseException) else parse_poster(p)) for m, p in zip(movies, pages)]
""",
}

MISTAKES_C = {
    # a new session for every request (bounded, with a User-Agent, but no shared pool)
    "crawl_coming_soon": f"""
async def crawl_coming_soon(base_url, city="beijing", *, max_concurrency=5, timeout=10.0):
    limit = asyncio.Semaphore(max_concurrency)

    async def fetch(url):
        async with limit:
            async with aiohttp.ClientSession(headers={UA}, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
                async with session.get(url) as response:
                    response.raise_for_status()
                    return await response.text()

    async def poster(url):
        try:
            return parse_poster(await fetch(url))
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return None

    movies = parse_coming_soon(await fetch(f"{{base_url}}/cinema/later/{{city}}/"))
    return [dict(m, poster=p) for m, p in zip(movies, await asyncio.gather(*(poster(m["url"]) for m in movies)))]
""",
}

MISTAKES_D = {
    # no bound, and no handling of a failing page
    "crawl_coming_soon": f"""
async def crawl_coming_soon(base_url, city="beijing", *, max_concurrency=5, timeout=10.0):
    async with aiohttp.ClientSession(headers={UA}, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async def fetch(url):
            async with session.get(url) as response:
                response.raise_for_status()
                return await response.text()

        movies = parse_coming_soon(await fetch(f"{{base_url}}/cinema/later/{{city}}/"))
        pages = await asyncio.gather(*(fetch(m["url"]) for m in movies))
    return [dict(m, poster=parse_poster(p)) for m, p in zip(movies, pages)]
""",
}

MISTAKES_E = {
    # one page after another, and the timeout parameter ignored
    "crawl_coming_soon": f"""
async def crawl_coming_soon(base_url, city="beijing", *, max_concurrency=5, timeout=10.0):
    async with aiohttp.ClientSession(headers={UA}) as session:
        async def fetch(url):
            async with session.get(url) as response:
                response.raise_for_status()
                return await response.text()

        movies = parse_coming_soon(await fetch(f"{{base_url}}/cinema/later/{{city}}/"))
        for movie in movies:
            try:
                movie["poster"] = parse_poster(await fetch(movie["url"]))
            except (aiohttp.ClientError, asyncio.TimeoutError):
                movie["poster"] = None
    return movies
""",
}

CRAWL_ZERO = {**FULL, "test_crawl_coming_soon": 0, "test_crawl_failing_pages": 0}

VARIANTS = {
    "reference": ({}, FULL),
    "connector_limit": (CONNECTOR_LIMIT, FULL),
    "worker_pool": (WORKER_POOL, FULL),
    # wrong parsers: the crawl, which uses them, fails too
    "mistakes_a": (MISTAKES_A, {name: 0 for name in FULL}),
    "mistakes_b": (MISTAKES_B, CRAWL_ZERO),
    "mistakes_c": (MISTAKES_C, {**FULL, "test_crawl_coming_soon": 0}),  # its failing pages are handled right
    "mistakes_d": (MISTAKES_D, CRAWL_ZERO),
    "mistakes_e": (MISTAKES_E, CRAWL_ZERO),
}
