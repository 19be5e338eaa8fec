"""Timeline: recorded on the loop clock, drawn as text and HTML."""

import asyncio
import re

from conftest import run_in_kernel
from coursekit.grading import run_async
from coursekit.timeline import Timeline


async def shielded_save():
    timeline = Timeline()

    async def save():
        timeline.start("save")
        await asyncio.sleep(3)
        timeline.stop("save", "saved")

    task = asyncio.create_task(save())
    timeline.start("caller")
    try:
        async with asyncio.timeout(1):
            await asyncio.shield(task)
    except TimeoutError:
        timeline.stop("caller", "cancelled")
    await task
    return timeline


def test_events_are_recorded_in_loop_seconds():
    timeline = run_async(shielded_save).result
    assert (timeline.lanes["caller"].start, timeline.lanes["caller"].stop) == (0.0, 1.0)
    assert (timeline.lanes["save"].stop, timeline.lanes["save"].outcome) == (3.0, "saved")


def test_times_count_from_the_first_event_not_from_when_the_timeline_was_made():
    async def demo():
        timeline = Timeline()
        await asyncio.sleep(5)  # setting up: a live chart's widget, an import, a pause before the work
        timeline.start("page")
        await asyncio.sleep(1)
        timeline.mark("page", "half")
        await asyncio.sleep(1)
        timeline.stop("page", "OK")
        return timeline

    lane = run_async(demo).result.lanes["page"]
    assert (lane.start, lane.marks, lane.stop) == (0.0, [(1.0, "half")], 2.0)


def test_the_first_now_starts_the_clock_too():
    async def demo():
        timeline = Timeline()
        await asyncio.sleep(3)
        first = timeline.now()  # a demo that prints times before it records anything
        await asyncio.sleep(1)
        timeline.start("worker")
        await asyncio.sleep(1)
        timeline.stop("worker")
        return first, timeline

    first, timeline = run_async(demo).result
    assert first == 0.0
    assert (timeline.lanes["worker"].start, timeline.lanes["worker"].stop) == (1.0, 2.0)


def test_begin_says_where_the_work_starts():
    async def demo():
        timeline = Timeline()
        timeline.now()  # read before the work: begin() still resets the origin
        await asyncio.sleep(4)
        timeline.begin()
        await asyncio.sleep(1.5)
        timeline.start("late")
        timeline.stop("late")
        return timeline

    lane = run_async(demo).result.lanes["late"]
    assert (lane.start, lane.stop) == (1.5, 1.5)


def test_text_draws_one_bar_per_lane_to_scale():
    text = run_async(shielded_save).result.text(width=30)
    header, caller, save = text.splitlines()
    assert header.split() == ["0", "s", "3", "s"]
    assert caller.startswith("caller  ==========|") and caller.endswith("cancelled at 1 s")
    assert save.startswith("save    ==============================|") and save.endswith("saved at 3 s")


def test_marks_are_drawn_and_named():
    async def demo():
        timeline = Timeline()
        timeline.start("worker")
        await asyncio.sleep(1)
        timeline.mark("worker", "suspended")
        await asyncio.sleep(1)
        timeline.stop("worker")
        return timeline

    row = run_async(demo).result.text(width=10).splitlines()[1]
    assert row == "worker  =====!====|  suspended at 1 s; done at 2 s"


def test_a_run_of_one_mark_is_named_once():
    async def demo():
        timeline = Timeline()
        timeline.start("ticker")
        for delay in (0.2, 0.2, 1.2, 0.2):
            await asyncio.sleep(delay)
            timeline.mark("ticker", "tick")
        timeline.mark("ticker", "late")
        timeline.stop("ticker")
        return timeline

    chart = run_async(demo).result
    assert chart.text(width=10).splitlines()[1].endswith("  tick at 0.2, 0.4, 1.6, 1.8 s; late at 1.8 s; done at 1.8 s")
    assert "white-space:nowrap" not in chart._repr_html_().split("<code")[1].split("</tr>")[0].split("</code>")[1]


def test_html_has_a_bar_per_lane_and_escapes_names():
    async def demo():
        timeline = Timeline()
        timeline.start("<b>")
        await asyncio.sleep(2)
        timeline.stop("<b>", "cancelled")
        return timeline

    page = run_async(demo).result._repr_html_()
    assert "&lt;b&gt;" in page and "<b>" not in page
    assert "width:100.0%" in page and "#d9534f" in page  # cancelled: drawn red


def test_a_live_timeline_ends_as_a_drawing_that_survives_a_restart():
    (outputs,) = run_in_kernel(
        "import asyncio\n"
        "import time\n"
        "from coursekit.timeline import Timeline\n"
        "timeline = Timeline(live=True)\n"
        "time.sleep(0.5)  # time between making the chart and starting the work is no part of the work\n"
        "async def job(name, seconds):\n"
        "    timeline.start(name)\n"
        "    await asyncio.sleep(seconds)\n"
        "    timeline.stop(name, 'ok')\n"
        "_ = await asyncio.gather(job('fast', 0.1), job('slow', 0.3))"
    )
    (display,) = [o for o in outputs if o.output_type == "display_data"]
    # Once every lane stopped, the widget gave way to plain HTML: saved with the notebook, it shows after a
    # restart and reopening, where a widget would say "model not found".
    assert "application/vnd.jupyter.widget-view+json" not in display.data
    assert 'class="coursekit-timeline"' in display.data["text/html"] and "slow" in display.data["text/html"]
    lines = display.data["text/plain"].splitlines()  # the final state, kept by the display updates
    fast, slow = (float(re.search(r"ok at ([\d.]+) s", line)[1]) for line in lines[1:3])
    assert lines[1].startswith("fast") and lines[2].startswith("slow")
    assert 0.1 <= fast < slow and slow >= 0.3  # real seconds: both bars drawn to their end
    assert fast < 0.45 and slow < 0.65  # counted from the first event, not from when the chart was made
    assert not any(o.output_type == "stream" and o.name == "stderr" for o in outputs)
