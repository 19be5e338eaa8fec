"""The cinema site in a process of its own, for hidden tests.

A test that starts the site in the kernel's own process hands the student's
code a way to reach its request log and its expected answer (through the
garbage collector or the caller's frames).  ``IsolatedCinemaSite`` serves the
same site from a child process: the test keeps the movies and computes the
expected answer itself, and reads the log over a pipe that only it holds::

    with IsolatedCinemaSite(movies, latency=0.05) as site:
        ...crawl site.url...
        site.log.peak_in_flight("detail")   # fetched from the child, as the server saw it

The child is ``python -m coursekit.cinema.isolated``: it reads its settings as
one JSON line, prints its port, then answers "log" with every request so far,
and stops at "stop" or when its input closes.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping

from coursekit.cinema.data import Movie, default_movies
from coursekit.cinema.server import CinemaSite, Request, RequestLog, expected_crawl


CHILD = "COURSEKIT_CINEMA_CHILD"  # set in the site's own process, which must never start sites itself


def _spawn() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "coursekit.cinema.isolated"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env={**os.environ, CHILD: "1"},
        # A session of its own: at shutdown ipykernel terminates the children in its process group
        # and waits until they are gone, which a killed but unreaped child never is (2.5 s a kernel).
        # This module kills its children itself; a site whose kernel died sees its input close.
        start_new_session=True,
    )


# Children started ahead of time, so that a test's site is up at once: starting Python and
# importing aiohttp takes about half a second, which a test would otherwise wait for each time.
# Two, because a test cell may start its next site before a single spare has finished importing.
SPARES = 2
_spare: list[subprocess.Popen[str]] = []
_spare_lock = threading.Lock()


def _take() -> subprocess.Popen[str]:
    with _spare_lock:
        process = _spare.pop(0) if _spare else None
        while len(_spare) < SPARES:
            _spare.append(_spawn())  # warm for the next sites
    if process is None or process.poll() is not None:
        process = _spawn()
    return process


if os.environ.get("NBGRADER_EXECUTION") and not os.environ.get(CHILD):
    # Grading: tests will want sites soon, so the first ones are warm too.
    _spare.extend(_spawn() for _ in range(SPARES))


@atexit.register
def _drop_spare() -> None:
    with _spare_lock:
        for process in _spare:
            process.kill()
        _spare.clear()


class _PipedLog(RequestLog):
    """A RequestLog whose entries are fetched from the child on every question."""

    def __init__(self, ask) -> None:
        super().__init__()
        self._ask = ask

    def of(self, kind: str | None = None) -> list[Request]:
        entries = [Request(**{**row, "connection": tuple(row["connection"] or ())}) for row in self._ask("log")]
        return [e for e in entries if kind is None or e.kind == kind]

    def clear(self) -> None:
        self._ask("clear")


class IsolatedCinemaSite:
    """CinemaSite's interface (url, movies, log, expected), served by a child process."""

    def __init__(
        self,
        movies: Iterable[Movie] | None = None,
        *,
        latency: float = 0.0,
        page_latency: Mapping[str, float] | None = None,
        faults: Mapping[str, str] | None = None,
    ) -> None:
        self.movies = list(movies) if movies is not None else default_movies()
        self.faults = dict(faults or {})
        self._settings = {
            "movies": [dataclasses.asdict(m) for m in self.movies],
            "latency": latency,
            "page_latency": dict(page_latency or {}),
            "faults": self.faults,
        }
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self.port: int | None = None
        self.log = _PipedLog(self._ask)

    @property
    def url(self) -> str:
        if self._process is None:
            raise RuntimeError("the site is not running: use `with IsolatedCinemaSite() as site`")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> IsolatedCinemaSite:
        self._process = _take()
        self.port = self._ask(self._settings)["port"]
        return self

    def _ask(self, question) -> object:
        process = self._process
        if process is None:
            raise RuntimeError("the site is not running")
        with self._lock:
            process.stdin.write(json.dumps(question) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the cinema site's process ended: {process.stderr.read()[-2000:]}")
        return json.loads(line)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        # Everything a test asks of the site was asked over the pipe already: no graceful
        # shutdown to wait for (a hanging reply would hold it for half a second).
        process.kill()
        process.wait()
        process.stdin.close()
        process.stdout.close()
        process.stderr.close()

    def __enter__(self) -> IsolatedCinemaSite:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def expected(self, city: str = "beijing") -> list[dict[str, str | None]]:
        """What a correct crawl returns, computed here from the test's own movies."""
        return expected_crawl(self.movies, self.faults, self.url)


def _serve() -> None:
    first = sys.stdin.readline()
    if not first:  # a spare that nobody needed
        return
    settings = json.loads(first)
    movies = [Movie(**row) for row in settings["movies"]]
    site = CinemaSite(movies, latency=settings["latency"], page_latency=settings["page_latency"],
                      faults=settings["faults"]).start()
    try:
        print(json.dumps({"port": site.port}), flush=True)
        for line in sys.stdin:
            question = json.loads(line)
            if question == "log":
                answer = [dataclasses.asdict(e) for e in site.log.of()]
            elif question == "clear":
                site.log.clear()
                answer = None
            else:
                break
            print(json.dumps(answer), flush=True)
    finally:
        site.stop()


if __name__ == "__main__":
    _serve()
