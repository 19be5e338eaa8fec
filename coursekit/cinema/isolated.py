"""The cinema site in a process of its own, for hidden tests.

A test that starts the site in the kernel's own process hands the student's
code a way to reach its request log and its expected answer (through the
garbage collector or the caller's frames).  ``IsolatedCinemaSite`` serves the
same site from a child process: the test keeps the movies and computes the
expected answer itself, and reads the log over a pipe that only it holds::

    with IsolatedCinemaSite(movies, latency=0.05) as site:
        ...crawl site.url...
        site.log.peak_in_flight("detail")   # fetched from the child, as the server saw it

The child is ``python -m coursekit.cinema.isolated``: it reads a site's settings
as one JSON line, prints its port, then answers "log" with every request so
far; at "stop" it closes the site and waits for the next site's settings, and
it ends when its input closes.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import select
import signal
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


class _Forked:
    """A site's process forked from this one, with the part of Popen's interface that ``_children`` uses.

    Forked only while the kernel has run no cell and started no thread (``fork_spares``): the child is a
    copy of the test side before any of the student's code, and costs a fork where ``_spawn`` costs a
    Python start and aiohttp's import (0.3 s of CPU).
    """

    def __init__(self, earlier: list[int]) -> None:
        """``earlier``: this process's ends of the pipes of the children forked before, which this child
        closes (the kernel's end of a child's input must be the only one, so that the child sees it close)."""
        child_in, self_out = os.pipe()
        self_in, child_out = os.pipe()
        self_err, child_err = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                os.setsid()  # out of the kernel's process group, as _spawn's children are
                for fd, target in ((child_in, 0), (child_out, 1), (child_err, 2)):
                    os.dup2(fd, target)
                for fd in (child_in, child_out, child_err, self_out, self_in, self_err, *earlier):
                    try:
                        os.close(fd)
                    except OSError:  # an earlier child's, closed already
                        pass
                os.environ[CHILD] = "1"
                sys.stdin = open(0, encoding="utf-8", closefd=False)
                sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
                sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
                _serve()
                code = 0
            except BaseException:  # noqa: BLE001 - said on the child's stderr, which the test reads
                import traceback

                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(code)  # never back into the kernel's code
        for fd in (child_in, child_out, child_err):
            os.close(fd)
        earlier += [self_out, self_in, self_err]
        self.stdin = open(self_out, "w", encoding="utf-8")
        self.stdout = open(self_in, encoding="utf-8")
        self.stderr = open(self_err, encoding="utf-8")
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# Children started ahead of time and used again, so that a test's site is up at once: starting
# Python and importing aiohttp costs about 0.4 s of CPU, which a test would otherwise wait for each
# time, and a chapter-4 notebook starts a dozen sites. A child serves one site at a time; once its
# site stops, the child waits for the next one (``_serve``). Every child belongs to this kernel, so
# one student's sites never share a process with another's.
#
# The children and their pipes are held in a closure, never in an attribute: a cell that could hold
# a test's child could answer the test's questions itself (a request log of its own making). A child
# speaks one line for each line it reads, whatever it reads, so a site's own questions cannot leave
# it out of step for the next site; one that ends or stops answering is never used again.
SPARES = 2  # idle children kept: a test cell may hold two sites at once


def _children():
    spare: list[subprocess.Popen[str] | _Forked] = []
    forked_ends: list[int] = []
    serving: dict[int, tuple[object, subprocess.Popen[str], threading.Lock]] = {}  # id(site) -> ...
    lock = threading.Lock()

    def end(process: subprocess.Popen[str]) -> None:
        process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            try:
                stream.close()
            except OSError:  # a broken pipe while flushing: the child is gone anyway
                pass

    def warm() -> None:
        """Start a spare child now, so that the next site is up at once.

        Called by the test side of the chapter that uses sites (coursekit.checks.coming_soon) and after
        each start, not at import: every grading kernel imports this module, and spares there would cost
        every other chapter's notebooks a Python process importing aiohttp.
        """
        if os.environ.get(CHILD):
            return
        with lock:
            if not spare:
                spare.append(_spawn())

    def fork_spares() -> None:
        """Fork the spare children now (``_Forked``): only while this process has no other thread, as a
        grading kernel before its first cell (coursekit.kernel), else they start later as ``warm`` starts them."""
        if os.environ.get(CHILD) or threading.active_count() > 1 or len(os.listdir("/proc/self/task")) > 1:
            return
        with lock:
            while len(spare) < SPARES:
                spare.append(_Forked(forked_ends))

    def attach(site: object) -> None:
        with lock:
            process = spare.pop(0) if spare else None
        warm()  # for the next site
        if process is None or process.poll() is not None:
            process = _spawn()
        with lock:
            serving[id(site)] = (site, process, threading.Lock())

    def ask(site: object, question: object, timeout: float | None = None) -> str:
        """The child's one-line answer to ``question`` ("" when it ended, or gave none within ``timeout``)."""
        entry = serving.get(id(site))
        if entry is None or entry[0] is not site:
            raise RuntimeError("the site is not running: use `with IsolatedCinemaSite() as site`")
        _, process, talking = entry
        with talking:
            process.stdin.write(json.dumps(question) + "\n")
            process.stdin.flush()
            if timeout is not None and not select.select([process.stdout], [], [], timeout)[0]:
                return ""
            line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the cinema site's process ended: {process.stderr.read()[-2000:]}")
        return line

    def detach(site: object) -> None:
        """Stop the site; its child waits for the next site, or ends when enough are idle already."""
        if not running(site):
            return
        process = serving[id(site)][1]
        try:
            # The child answers "stop" at once and closes the site behind it (a hanging reply would hold
            # it for half a second); one that does not answer within a second is not used again.
            answered = ask(site, "stop", timeout=1.0) == '"stopped"\n'
        except (OSError, RuntimeError, ValueError):
            answered = False
        with lock:
            serving.pop(id(site), None)
            keep = answered and len(spare) < SPARES and process.poll() is None
            if keep:
                spare.append(process)
        if not keep:
            end(process)

    def running(site: object) -> bool:
        entry = serving.get(id(site))
        return entry is not None and entry[0] is site

    def drop_all() -> None:
        with lock:
            for process in spare:
                process.kill()
            spare.clear()

    return warm, fork_spares, attach, ask, detach, running, drop_all


warm, fork_spares, _attach, _ask_child, _detach, _running, _drop_spare = _children()
atexit.register(_drop_spare)


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
        self.port: int | None = None
        self.log = _PipedLog(self._ask)

    @property
    def url(self) -> str:
        if not _running(self):
            raise RuntimeError("the site is not running: use `with IsolatedCinemaSite() as site`")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> IsolatedCinemaSite:
        _attach(self)
        self.port = self._ask(self._settings)["port"]
        return self

    def _ask(self, question) -> object:
        return json.loads(_ask_child(self, question))

    def stop(self) -> None:
        _detach(self)

    def __enter__(self) -> IsolatedCinemaSite:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def expected(self, city: str = "beijing") -> list[dict[str, str | None]]:
        """What a correct crawl returns, computed here from the test's own movies."""
        return expected_crawl(self.movies, self.faults, self.url)


def _serve() -> None:
    """One site after another, each from a line of settings, until the input closes."""
    for first in sys.stdin:
        settings = json.loads(first)
        movies = [Movie(**row) for row in settings["movies"]]
        site = CinemaSite(movies, latency=settings["latency"], page_latency=settings["page_latency"],
                          faults=settings["faults"]).start()
        print(json.dumps({"port": site.port}), flush=True)
        try:
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
            else:
                return  # the input closed: the kernel is gone
        finally:
            # Closing waits for hanging replies: behind the answer, in a thread, so the next site starts now.
            threading.Thread(target=site.stop, daemon=True).start()
        print(json.dumps("stopped"), flush=True)


if __name__ == "__main__":
    _serve()
