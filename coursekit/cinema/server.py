"""The offline cinema site: a real aiohttp server in a background thread.

It answers like the real site where it matters to a crawler: HTTP 418 to a
client that does not look like a browser, a listing page and one detail page
per movie, images.  For teaching and grading it adds per-page latency, faults
on chosen detail pages (HTTP 500, or a reply that never comes), and a log of
every request with its arrival and finish time, so that a test can tell how
many requests were in flight at once, how many were made and over how many
connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiohttp import web

from coursekit.cinema import images, pages
from coursekit.cinema.data import Movie, default_movies

BROWSER_MARK = "Mozilla/"  # every browser's User-Agent starts with it


@dataclass
class Request:
    path: str
    kind: str  # "listing", "detail", "image" or "other"
    started: float  # seconds since the site started
    finished: float | None  # None while in flight
    status: int | None
    connection: object  # the client's address: one per TCP connection


def expected_crawl(movies: Iterable[Movie], faults: Mapping[str, str], url: str) -> list[dict[str, str | None]]:
    """What a correct crawl returns: every movie in page order, no poster where its page fails."""
    rows: list[dict[str, str | None]] = []
    for movie in movies:
        row: dict[str, str | None] = dict(movie.expected(url))
        if movie.id in faults:
            row["poster"] = None
        rows.append(row)
    return rows


class RequestLog:
    """Every request the site received, and the figures tests ask of it."""

    def __init__(self) -> None:
        self.entries: list[Request] = []
        self._lock = threading.Lock()

    def add(self, entry: Request) -> None:
        with self._lock:
            self.entries.append(entry)

    def of(self, kind: str | None = None) -> list[Request]:
        with self._lock:
            return [e for e in self.entries if kind is None or e.kind == kind]

    def count(self, kind: str | None = None) -> int:
        return len(self.of(kind))

    def per_path(self, kind: str | None = None) -> Counter[str]:
        return Counter(e.path for e in self.of(kind))

    def statuses(self, kind: str | None = None) -> Counter[int | None]:
        return Counter(e.status for e in self.of(kind))

    def connections(self) -> int:
        return len({e.connection for e in self.of()})

    def peak_in_flight(self, kind: str | None = "detail") -> int:
        """Most requests of a kind being served at the same moment."""
        events = []
        for e in self.of(kind):
            events.append((e.started, 1))
            events.append((e.finished if e.finished is not None else float("inf"), -1))
        peak = current = 0
        for _, step in sorted(events):  # at a tie, a finish (-1) sorts before a start
            current += step
            peak = max(peak, current)
        return peak

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()


class CinemaSite:
    """Serve the site on ``host``, in a thread of its own, until ``stop()``.

    ``latency`` delays every reply; ``page_latency`` overrides it for chosen
    detail pages (by movie id).  ``faults`` maps movie ids to ``"500"`` (an
    error reply) or ``"hang"`` (no reply until the site stops).
    """

    def __init__(
        self,
        movies: Iterable[Movie] | None = None,
        *,
        latency: float = 0.0,
        page_latency: Mapping[str, float] | None = None,
        faults: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.movies = list(movies) if movies is not None else default_movies()
        self._by_id = {m.id: m for m in self.movies}
        self.latency = latency
        self.page_latency = dict(page_latency or {})
        self.faults = dict(faults or {})
        bad = {k: v for k, v in self.faults.items() if k not in self._by_id or v not in ("500", "hang")}
        if bad:
            raise ValueError(f"faults must map ids of listed movies to '500' or 'hang'; these do not: {bad!r}")
        self.host, self.port = host, port
        self.log = RequestLog()
        self._origin_time = time.perf_counter()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._released: asyncio.Event | None = None

    # -- life cycle -------------------------------------------------------

    @property
    def url(self) -> str:
        if self._thread is None:
            raise RuntimeError("the site is not running: call start() or use `with CinemaSite() as site`")
        return f"http://{self.host}:{self.port}"

    def start(self) -> CinemaSite:
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._open())
            except BaseException as error:  # reported to start()'s caller
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._close())
            loop.close()

        self._thread = threading.Thread(target=serve, name="cinema-site", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None

    def __enter__(self) -> CinemaSite:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def expected(self, city: str = "beijing") -> list[dict[str, str | None]]:
        """What a correct crawl of this site returns, failed pages included."""
        return expected_crawl(self.movies, self.faults, self.url)

    def _spans(self, kind: str | None) -> list[tuple[str, float, float | None, str]]:
        return [
            (f"{e.kind} {e.path}", e.started, e.finished, str(e.status) if e.status is not None else "in flight")
            for e in sorted(self.log.of(kind), key=lambda e: e.started)
        ]

    def timeline(self, kind: str | None = None):
        """The logged requests as a chart, one lane per request."""
        from coursekit.timeline import Timeline

        return Timeline.from_spans(self._spans(kind))

    @contextlib.asynccontextmanager
    async def live_view(self, kind: str | None = None, every: float = 0.05):
        """In a notebook: draw the requests as the server sees them, while the block runs.

        The chart is redrawn by a task on the notebook's own loop, so the
        widget is only ever touched from the kernel's thread.
        """
        from coursekit.timeline import Timeline

        chart = Timeline.from_spans(self._spans(kind), live=True)

        async def refresh() -> None:
            while True:
                await asyncio.sleep(every)
                chart.replace(self._spans(kind))

        task = asyncio.create_task(refresh())
        try:
            yield chart
        finally:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():  # we are being cancelled too: pass it on
                    raise
            chart.replace(self._spans(kind))

    # -- the server, in its own thread -----------------------------------

    async def _open(self) -> None:
        self._released = asyncio.Event()
        app = web.Application(middlewares=[self._observe])
        app.add_routes(
            [
                web.get("/cinema/later/{city}/", self._listing),
                web.get("/subject/{id}/", self._detail),
                web.get("/img/poster/{id}.png", self._poster),
                web.get("/img/thumb/{id}.png", self._poster),
                web.get("/img/logo.png", self._logo),
            ]
        )
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the free port the OS chose

    async def _close(self) -> None:
        assert self._released is not None and self._runner is not None
        self._released.set()  # let hanging replies go
        await self._runner.cleanup()

    @web.middleware
    async def _observe(self, request: web.Request, handler) -> web.StreamResponse:
        path = request.path
        kind = (
            "listing" if path.startswith("/cinema/later/")
            else "detail" if path.startswith("/subject/")
            else "image" if path.startswith("/img/")
            else "other"
        )
        peer = request.transport.get_extra_info("peername") if request.transport else None
        entry = Request(path, kind, time.perf_counter() - self._origin_time, None, None, peer)
        self.log.add(entry)
        try:
            if BROWSER_MARK not in request.headers.get("User-Agent", ""):
                response: web.StreamResponse = web.Response(
                    status=418, text="418 I'm a teapot: this site answers browsers only (send a browser's User-Agent)"
                )
            else:
                delay = self.page_latency.get(request.match_info.get("id", ""), self.latency) if kind == "detail" else self.latency
                if delay:
                    await asyncio.sleep(delay)
                response = await handler(request)
            entry.status = response.status
            return response
        except web.HTTPException as error:
            entry.status = error.status
            raise
        finally:
            entry.finished = time.perf_counter() - self._origin_time

    async def _listing(self, request: web.Request) -> web.Response:
        city = request.match_info["city"]
        if city not in pages.CITIES:
            raise web.HTTPNotFound(text=f"unknown city {city!r}; try one of {', '.join(pages.CITIES)}")
        html = pages.listing_html(self.movies, str(request.url.origin()), city)
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def _detail(self, request: web.Request) -> web.Response:
        movie_id = request.match_info["id"]
        movie = self._by_id.get(movie_id)
        if movie is None:
            raise web.HTTPNotFound(text=f"no movie {movie_id}")
        fault = self.faults.get(movie_id)
        if fault == "500":
            raise web.HTTPInternalServerError(text="the detail page failed (a fault injected by the course)")
        if fault == "hang":
            assert self._released is not None
            await self._released.wait()  # no reply until the site stops
            raise web.HTTPServiceUnavailable()
        html = pages.detail_html(movie, str(request.url.origin()))
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def _poster(self, request: web.Request) -> web.Response:
        movie_id = request.match_info["id"]
        if movie_id not in self._by_id:
            raise web.HTTPNotFound()
        return web.Response(body=images.poster(movie_id, small="/thumb/" in request.path), content_type="image/png")

    async def _logo(self, request: web.Request) -> web.Response:
        return web.Response(body=images.LOGO, content_type="image/png")
