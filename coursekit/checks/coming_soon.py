"""The test side of assignment 04-crawler (source/04-crawler/coming_soon.ipynb): what its test cells check.

Each test cell imports its checks from here and passes in the exercise's function
(``check_crawl(crawl_coming_soon, movies, 5, spread)``): it reads nothing else from the notebook, so
it runs the same alone, sealed by the grader, or after any other cell. The cases of the hidden tests
stay in the cells.
"""

from __future__ import annotations

from coursekit.cinema import IsolatedCinemaSite, isolated
from coursekit.cinema.pages import detail_html, listing_html
from coursekit.grading import expect, expect_no_leftover_tasks, fail, run_async

# -- exercise 1: parse_coming_soon --------------------------------------------------------------------


def check_listing(parse_coming_soon, movies, origin):
    isolated.warm()  # the crawl tests' sites: their process imports aiohttp while the parsers are checked
    expected = [{key: row[key] for key in ("title", "date", "url")} for row in (m.expected(origin) for m in movies)]
    got = parse_coming_soon(listing_html(movies, origin))
    expect(got, expected, f"parse_coming_soon of a page with {len(movies)} movies",
           hint="one dict per div.item inside #showing-soon, in page order: the title and url of the link in "
                "div.intro h3, and the text of the first li.dt")


# -- exercise 2: parse_poster -------------------------------------------------------------------------


def check_poster(parse_poster, movie, origin):
    isolated.warm()
    got = parse_poster(detail_html(movie, origin))
    if got == "/img/logo.png":
        fail("parse_poster returned the site's logo, the first image on the page: "
             "take the image inside #mainpic")
    expect(got, movie.expected(origin)["poster"], f"parse_poster of {movie.title}'s page",
           hint="return the src attribute of the image inside #mainpic")


# -- exercise 3: crawl_coming_soon (the crawl, then failing pages) ------------------------------------


def crawl_and_check(crawl_coming_soon, site, max_concurrency, timeout=10.0, real_timeout=20):
    """Crawl a running site; check what the server saw, then the data."""
    try:
        run = run_async(crawl_coming_soon, site.url, max_concurrency=max_concurrency, timeout=timeout,
                        virtual=False, real_timeout=real_timeout)
    finally:  # a refusal explains whatever went wrong after it
        refused = site.log.statuses()[418]
        if refused:
            fail(f"the site answered 418 (I'm a teapot) to {refused} request(s): it refuses clients "
                 f"that do not look like a browser. Send a browser-like User-Agent header on the session")
    expect(run.result, site.expected(), "crawl_coming_soon returned",
           hint="one dict per movie in page order with title, date, url and poster (None for a page that failed)")
    for path, times in site.log.per_path().items():
        expect(times, 1, f"requests for {path}", hint="fetch every page exactly once")
    expect(site.log.count("detail"), len(site.movies), "detail pages requested", hint="fetch every detail page once")
    expect_no_leftover_tasks(run, hint="await every request before returning")
    return run


def check_crawl(crawl_coming_soon, movies, max_concurrency, spread):
    latencies = dict(zip((m.id for m in movies), spread))
    with IsolatedCinemaSite(movies, latency=0.02, page_latency=latencies) as site:
        crawl_and_check(crawl_coming_soon, site, max_concurrency)
        peak = site.log.peak_in_flight("detail")
        expected_peak = min(max_concurrency, len(movies))
        if peak == 1 and expected_peak > 1:
            fail("the site served the detail pages one at a time: fetch them concurrently "
                 "(tasks or gather), with an async client (aiohttp), not one after another")
        expect(peak, expected_peak, f"detail requests in flight at once (max_concurrency={max_concurrency})",
               hint="start every detail request at once and let a Semaphore (or a connector limit) hold them "
                    "to max_concurrency")
        connections = site.log.connections()
        if connections > max_concurrency + 1:
            fail(f"the site saw {connections} connections for {site.log.count()} requests with "
                 f"max_concurrency={max_concurrency}: is a new ClientSession made for each request? "
                 f"Make one session for the whole crawl and share it")


def check_failures(crawl_coming_soon, movies, faults, timeout):
    with IsolatedCinemaSite(movies, latency=0.02, faults=faults) as site:
        run = crawl_and_check(crawl_coming_soon, site, max_concurrency=5, timeout=timeout, real_timeout=timeout + 4)
        if run.loop_time > timeout + 3:
            fail(f"the crawl took {run.loop_time:.1f} s with timeout={timeout}: "
                 f"give each request a timeout (aiohttp.ClientTimeout(total=timeout))")
