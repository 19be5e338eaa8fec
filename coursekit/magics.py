"""``%time`` and ``%%time`` that accept top-level ``await``, for the course's notebooks.

IPython's ``%time`` compiles its code as a plain statement, where ``await`` is
a SyntaxError (IPython issues 11314 and 14157).  This extension rewrites a
timed line or cell that awaits into ordinary top-level code, before IPython
sees the magic, so the notebook's own event loop runs it::

    %load_ext coursekit.magics
    %time await crawl_with_tasks(urls)      # CPU times: ...  Wall time: 4.00 s

Code without ``await`` is left to IPython's own ``%time``.  The times are
printed even when the timed code raises; the exception then propagates as it
would without ``%time``.  A final expression is displayed as the cell's value.
"""

from __future__ import annotations

import ast
import os
import re
import time
from dataclasses import dataclass

_LINE = re.compile(r"^%time\s+(?P<code>.*\bawait\b.*)$")
_TIMER = "__coursekit_timer"
_VALUE = "__coursekit_value"


@dataclass
class _Clock:
    wall: float
    user: float
    system: float

    @classmethod
    def now(cls) -> _Clock:
        times = os.times()
        return cls(time.perf_counter(), times.user, times.system)


def start() -> _Clock:
    return _Clock.now()


def report(started: _Clock) -> None:
    """Print the elapsed times in the format of IPython's %time."""
    ended = _Clock.now()
    user, system = ended.user - started.user, ended.system - started.system
    print(f"CPU times: user {_format(user)}, sys: {_format(system)}, total: {_format(user + system)}")
    print(f"Wall time: {_format(ended.wall - started.wall)}")


def _format(seconds: float) -> str:
    if seconds >= 60:
        minutes, rest = divmod(seconds, 60)
        return f"{int(minutes)}min {rest:.0f}s"
    for unit, scale in (("s", 1), ("ms", 1e3), ("µs", 1e6), ("ns", 1e9)):
        if seconds >= 1 / scale or unit == "ns":
            value = seconds * scale
            return f"{value:.3g} {unit}" if unit != "s" else f"{value:.2f} s"
    raise AssertionError("unreachable")


def _final_expression(lines: list[str]) -> int | None:
    """Index of the line where the code's last statement starts, if it is a whole-line expression."""
    wrapped = "async def _f():\n" + "\n".join("    " + line for line in lines)
    last = ast.parse(wrapped).body[0].body[-1]  # inside `async def`, `await` parses anywhere
    return last.lineno - 2 if isinstance(last, ast.Expr) and last.col_offset == 4 else None


def _timed(body: str, keep_value: bool = True) -> str:
    """Python source that runs ``body`` between start() and report().

    With ``keep_value``, a final expression is kept and shown afterwards, as
    %time shows Out[] for the last line of a cell.
    """
    lines = body.rstrip().splitlines() or ["pass"]
    final = _final_expression(lines) if keep_value else None
    if final is not None:
        lines[final] = f"{_VALUE} = " + lines[final]
    indented = "\n".join("    " + line for line in lines)
    source = (
        f"import coursekit.magics as __coursekit_magics\n"
        f"{_VALUE} = None\n"
        f"{_TIMER} = __coursekit_magics.start()\n"
        f"try:\n{indented}\n"
        f"finally:\n    __coursekit_magics.report({_TIMER})\n"
    )
    if final is not None:
        source += f"{_VALUE}\n"
    return source


def rewrite(lines: list[str]) -> list[str]:
    """IPython input transformer: only timed code that awaits is changed.

    A ``%%time`` cell is timed whole; a ``%time`` line may stand anywhere at
    the top level of a cell, and shows its value only as the cell's last line.
    """
    if not lines:
        return lines
    try:
        if lines[0].strip() == "%%time" and re.search(r"\bawait\b", "".join(lines[1:])):
            return _timed("".join(lines[1:])).splitlines(keepends=True)
        out: list[str] = []
        for number, line in enumerate(lines):
            match = _LINE.match(line.rstrip("\n"))
            if match:
                out += _timed(match["code"], keep_value=number == len(lines) - 1).splitlines(keepends=True)
            else:
                out.append(line)
        return out
    except SyntaxError:
        return lines  # left to IPython, which reports the error in the student's own code


def load_ipython_extension(ipython) -> None:
    if rewrite not in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.append(rewrite)


def unload_ipython_extension(ipython) -> None:
    if rewrite in ipython.input_transformers_cleanup:
        ipython.input_transformers_cleanup.remove(rewrite)
