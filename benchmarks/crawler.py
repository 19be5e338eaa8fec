"""Crawler figures for chapter 4 (issue 5). Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/crawler.py [--runs 5]

1. The synchronous crawler (requests) against the asynchronous reference
   solution of 04-crawler, on the default sixteen movies with 200 ms per reply:
   median wall time of each over --runs runs, and their ratio. With every
   detail page in flight at once the floor is 2 latencies against 17.
2. The reference crawl of 1,000 made-up movies with max_concurrency=50:
   wall time and peak memory of the crawling process (a child process, so the
   site's memory is not counted), and the peak of detail requests in flight
   as the site saw it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time

import requests

from instructor import nbtools
from coursekit.cinema import CinemaSite, generated_movies
from instructor.course import REPO

LATENCY = 0.2
HEADERS = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) CourseBenchmark/1.0"}


def reference_crawler() -> dict:
    """The functions of the 04-crawler reference solution, run from the source notebook."""
    source = nbtools.read(REPO / "source" / "04-crawler" / "coming_soon.ipynb")
    namespace: dict = {}
    exec("import asyncio\nimport aiohttp\nfrom bs4 import BeautifulSoup", namespace)
    for code in nbtools.reference_answers(source).values():
        exec(code, namespace)
    return namespace


def crawl_sync(base_url: str, ns: dict) -> list[dict]:
    with requests.Session() as session:
        session.headers.update(HEADERS)
        movies = ns["parse_coming_soon"](session.get(f"{base_url}/cinema/later/beijing/").text)
        return [dict(m, poster=ns["parse_poster"](session.get(m["url"]).text)) for m in movies]


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def child(url: str, max_concurrency: int) -> None:
    """Crawl in this process and report time and peak memory as JSON."""
    ns = reference_crawler()
    start = time.perf_counter()
    movies = asyncio.run(ns["crawl_coming_soon"](url, max_concurrency=max_concurrency))
    seconds = time.perf_counter() - start
    print(json.dumps({
        "seconds": seconds,
        "movies": len(movies),
        "posters": sum(m["poster"] is not None for m in movies),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("URL", "MAX_CONCURRENCY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return

    ns = reference_crawler()
    print(f"Python {sys.version.split()[0]}; {LATENCY * 1000:.0f} ms per reply")
    with CinemaSite(latency=LATENCY) as site:
        expected = site.expected()
        assert crawl_sync(site.url, ns) == expected, "the synchronous crawl returned wrong data"
        sync = [timed(lambda: crawl_sync(site.url, ns)) for _ in range(args.runs)]
        for bound in (16, 5):
            runs = [timed(lambda: asyncio.run(ns["crawl_coming_soon"](site.url, max_concurrency=bound)))
                    for _ in range(args.runs)]
            ratio = statistics.median(runs) / statistics.median(sync)
            print(f"1. 16 movies: sync median {statistics.median(sync):.3f} s, async (max_concurrency={bound}) "
                  f"median {statistics.median(runs):.3f} s: ratio {ratio:.3f}"
                  + (" (target <= 0.15)" if bound == 16 else ""))

    with CinemaSite(generated_movies(1000), latency=LATENCY) as site:
        result = subprocess.run([sys.executable, __file__, "--child", site.url, "50"],
                                capture_output=True, text=True, check=True)
        figures = json.loads(result.stdout)
        print(f"2. 1,000 movies, max_concurrency=50: {figures['seconds']:.2f} s, {figures['posters']} posters, "
              f"peak in flight {site.log.peak_in_flight('detail')}, requests {site.log.count()}, "
              f"peak memory of the crawling process {figures['maxrss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
