"""`%time await ...` and `%%time` cells that await, in a real kernel."""

from __future__ import annotations

import re

import pytest

from conftest import run_in_kernel
from coursekit.magics import _format, rewrite

CELLS = {
    "load": "%load_ext coursekit.magics\nimport asyncio\n\nasync def boom():\n    await asyncio.sleep(0.05)\n    raise ValueError('inside the timed code')",
    "line": "%time await asyncio.sleep(0.2)",
    "value": "%time await asyncio.sleep(0.1, result=42)",
    "cell": "%%time\nx = await asyncio.sleep(0.1, result=5)\nx * 2",
    "cell_statement": "%%time\nfor i in range(2):\n    await asyncio.sleep(0.05)\ny = i",
    "after": "y",
    "error": "%time await boom()",
    "plain": "%time sum(range(10))",
    "mid_cell": "before = 1\n%time z = await asyncio.sleep(0.05, result=3)\nz + before",
}


@pytest.fixture(scope="module")
def outputs():
    return dict(zip(CELLS, run_in_kernel(*CELLS.values(), allow_errors=True)))


def text(outputs, name="stdout"):
    return "".join(o.text for o in outputs if o.output_type == "stream" and o.name == name)


def value(outputs):
    results = [o.data["text/plain"] for o in outputs if o.output_type == "execute_result"]
    return results[0] if results else None


def wall(outputs) -> str:
    match = re.search(r"^Wall time: (.+)$", text(outputs), re.MULTILINE)
    assert match, text(outputs)
    return match[1]


def test_line_form_times_an_await(outputs):
    assert re.search(r"^CPU times: user .+, sys: .+, total: .+$", text(outputs["line"]), re.MULTILINE)
    assert re.fullmatch(r"2\d\d ms", wall(outputs["line"])), wall(outputs["line"])
    assert not any(o.output_type == "error" for o in outputs["line"])


def test_line_form_displays_the_value(outputs):
    assert value(outputs["value"]) == "42"
    assert wall(outputs["value"]).endswith("ms")


def test_cell_form_displays_its_last_expression(outputs):
    assert value(outputs["cell"]) == "10"
    assert re.fullmatch(r"1\d\d ms", wall(outputs["cell"]))


def test_cell_form_runs_statements_in_the_notebook_namespace(outputs):
    assert value(outputs["cell_statement"]) is None
    assert value(outputs["after"]) == "1"


def test_exception_propagates_after_the_times(outputs):
    errors = [o for o in outputs["error"] if o.output_type == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [("ValueError", "inside the timed code")]
    assert "Wall time:" in text(outputs["error"])


def test_a_timed_line_inside_a_cell(outputs):
    assert value(outputs["mid_cell"]) == "4"
    assert wall(outputs["mid_cell"]).endswith("ms")


def test_code_without_await_is_left_to_ipython(outputs):
    assert value(outputs["plain"]) == "45" and "Wall time:" in text(outputs["plain"])


def test_no_stderr_anywhere(outputs):
    assert all(text(o, "stderr") == "" for o in outputs.values())


def test_rewrite_touches_only_timed_awaits():
    assert rewrite(["%time f()\n"]) == ["%time f()\n"]
    assert rewrite(["x = await f()\n"]) == ["x = await f()\n"]
    assert rewrite(["%%time\n", "f()\n"]) == ["%%time\n", "f()\n"]
    assert rewrite(["%time await (\n"]) == ["%time await (\n"]  # a syntax error is left to IPython
    assert "await f()" in "".join(rewrite(["%time await f()\n"]))


@pytest.mark.parametrize("seconds, shown", [(4.004, "4.00 s"), (0.2034, "203 ms"), (0.0000123, "12.3 µs"), (75, "1min 15s")])
def test_times_read_like_ipythons(seconds, shown):
    assert _format(seconds) == shown
