"""The grading kernel: ``python -m coursekit.kernel -f <connection file>`` (ipykernel, guarded).

The grader starts every kernel it grades in through this module (the
sandbox's provisioner puts it in place of ``ipykernel_launcher``). Before
ipykernel starts, and so before any cell of the notebook, it imports what
the tests use and installs ``coursekit.guard`` with the key the grader
passed in ``COURSEKIT_SEAL_KEY`` and the folder where it puts each test's
code (``COURSEKIT_TESTS``). Both are then erased from every copy of
the environment the process can read; the guard refuses ``/proc``, where
the kernel's first environment stays.
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


def main() -> None:
    key, tests = _take("COURSEKIT_SEAL_KEY"), _take("COURSEKIT_TESTS")
    # What the tests import, loaded now: the guard's snapshot holds it, and cells start warm.
    import asyncio  # noqa: F401

    import looptime  # noqa: F401

    from coursekit import grading, guard  # noqa: F401
    from coursekit.cinema import isolated  # noqa: F401

    guard.install(bytes.fromhex(key) if key else None, tests)
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    sys.argv[0] = "ipykernel_launcher"
    main()
