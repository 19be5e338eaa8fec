"""The grading kernel: ``python -m coursekit.kernel -f <connection file>`` (ipykernel, guarded).

The grader starts every kernel it grades in through this module (the
sandbox's provisioner puts it in place of ``ipykernel_launcher``). Before
ipykernel starts, and so before any cell of the notebook, it imports what
the tests use and installs ``coursekit.guard`` with the key the grader
passed in ``COURSEKIT_SEAL_KEY`` and the folder where it puts each test's
code (``COURSEKIT_TESTS``), after the modules the notebook's own cells import
(``COURSEKIT_PRELOAD``), so that the guard's snapshot holds them. Both are then erased from every copy of the
environment the process can read, ``/proc/self/environ`` included (the
process starts again without them, reading them from a pipe), and the guard
refuses ``/proc``'s secrets however they are spelled.
"""

from __future__ import annotations

import os
import sys


def _take(name: str) -> str | None:
    """A variable of the environment, erased from every copy of it this process can read."""
    value = os.environ.pop(name, None)
    if hasattr(os, "environb"):
        os.environb.pop(name.encode(), None)
    import posix

    posix.environ.pop(name.encode(), None)
    posix.environ.pop(name, None)
    return value


def _secrets() -> tuple[str | None, str | None]:
    """The key and the tests' folder, out of this process's environment *and* out of ``/proc/self/environ``.

    ``/proc/self/environ`` keeps the environment a process was started with, whatever it later erases; so
    the first start hands both to a fresh image of itself through a pipe and an environment without them.
    """
    fd = os.environ.pop("COURSEKIT_SECRETS_FD", None)
    if fd is not None:
        with os.fdopen(int(fd), encoding="utf-8") as pipe:
            key, tests = pipe.read().split("\n")
        return key or None, tests or None
    key, tests = _take("COURSEKIT_SEAL_KEY"), _take("COURSEKIT_TESTS")
    if key is None and tests is None:
        return None, None
    read, write = os.pipe()
    os.write(write, f"{key or ''}\n{tests or ''}".encode("utf-8"))  # far below a pipe's buffer
    os.close(write)
    os.set_inheritable(read, True)
    env = {**os.environ, "COURSEKIT_SECRETS_FD": str(read)}
    os.execve(sys.executable, [sys.executable, "-m", "coursekit.kernel", *sys.argv[1:]], env)
    raise AssertionError("unreachable")  # execve does not return


def preload(names: str | None) -> list[str] | None:
    """Import the modules ``names`` lists (comma-separated), as the grader read them from the notebook's
    setup and test cells (``instructor.sealing.preloads``); the test modules among them, for the guard.

    Without a list (None), nothing more is imported here and the guard loads the test side of every
    assignment. Only what the notebook uses: aiohttp alone costs 0.7 s of CPU a kernel.
    """
    if names is None:
        return None
    import importlib

    from coursekit import guard

    wanted = [name for name in names.split(",") if name and name.split(".")[0] in guard.ALLOWED_IMPORTS]
    for name in wanted:
        try:
            importlib.import_module(name)
        except ImportError:  # the cell that imports it will say so
            pass
    return [name for name in wanted if name.startswith("coursekit.checks.")]


def warm() -> None:
    """Import what every grading kernel needs (instructor/zygote.py does it once, before it forks kernels)."""
    import asyncio  # noqa: F401
    import importlib

    import looptime  # noqa: F401
    from ipykernel import ipkernel, kernelapp, zmqshell  # noqa: F401 - what IPKernelApp loads as it starts

    # What IPKernelApp.initialize imports on its way: 0.11 s of CPU a kernel, most of it the debugger's pydevd.
    for name in ("ipykernel.debugger", "IPython.core.debugger", "IPython.core.completerlib",
                 "IPython.extensions.storemagic", "sqlite3", "tornado.platform.asyncio", "psutil"):
        try:
            importlib.import_module(name)
        except ImportError:  # psutil is optional in ipykernel
            pass

    from coursekit import grading, guard  # noqa: F401


def run(key: str | None, tests: str | None, preloads: str | None, argv: list[str]) -> None:
    """ipykernel with ``argv``, the guard installed first when there is a key or a tests' folder."""
    # What the tests import, loaded now: the guard's snapshot holds it, and cells start warm.
    warm()
    from coursekit import messages

    # A kernel forked warm (instructor/zygote.py) imported messages before it had its own environment.
    messages.use_language(messages._starting_language())
    if key or tests:
        from coursekit import guard

        checks = preload(preloads)
        if "coursekit.checks.coming_soon" in sys.modules:
            # Chapter 4's tests serve their sites from child processes: forked now, before any thread
            # and any cell, each costs a fork instead of a Python start (coursekit.cinema.isolated).
            from coursekit.cinema import isolated

            isolated.fork_spares()
        guard.install(bytes.fromhex(key) if key else None, tests, checks=checks)
    sys.argv = ["ipykernel_launcher", *argv]
    if not os.environ.get("JPY_PARENT_PID"):
        # The sandbox hides the grader (a pid namespace of its own). Parent 1 means "none to poll", as 0
        # does, and keeps ipykernel from printing its banner for a terminal into the grader's output.
        sys.argv.append("--IPKernelApp.parent_handle=1")
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def main() -> None:
    key, tests = _secrets()
    run(key, tests, os.environ.pop("COURSEKIT_PRELOAD", None), sys.argv[1:])


if __name__ == "__main__":
    sys.argv[0] = "ipykernel_launcher"
    main()
