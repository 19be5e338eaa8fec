"""Wall-clock timing for lecture cells that use top-level ``await``.

IPython's ``%time`` cannot time ``await`` (``%time await main()`` is a
SyntaxError), so the lectures wrap the awaited code in ``stopwatch()``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator


@contextlib.contextmanager
def stopwatch(label: str = "Wall time") -> Iterator[None]:
    """Print how long the block took, like ``%time`` prints its wall time."""
    start = time.perf_counter()
    try:
        yield
    finally:
        print(f"{label}: {time.perf_counter() - start:.2f} s")
