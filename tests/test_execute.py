"""instructor.execute's kernel client on its own: ready when the kernel is, and nothing of the start-up in a cell.

The bounds the grader keeps (oversized output, stuck cells, time limits) are tests/test_bounds.py.
"""

from __future__ import annotations

import asyncio
from queue import Empty

import pytest

from instructor.execute import BoundedKernelManager, PromptClient


async def first_cell(greets: bool) -> tuple[bool, list[tuple[str, object]]]:
    """Start a plain kernel, wait until it is ready, run one cell: whether the kernel's greeting was seen, and
    the cell's IOPub messages (type, content) in order."""
    seen = []

    class Watched(PromptClient):
        async def _greeting(self, until: float) -> bool:
            greeted = await super()._greeting(until) if greets else False
            seen.append(greeted)
            return greeted

    km = BoundedKernelManager(kernel_name="python3")
    km.client_factory = Watched
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        msg_id = kc.execute("print('first')")
        cell = []
        while True:
            try:
                msg = await kc.iopub_channel.get_msg(timeout=10)
            except Empty:
                break
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            cell.append((msg["msg_type"], msg["content"].get("text", msg["content"].get("execution_state"))))
            if cell[-1] == ("status", "idle"):
                break
        return seen[0], cell
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


@pytest.mark.parametrize("greets", [True, False], ids=["greeting", "no greeting"])
def test_a_kernel_is_ready_when_it_is_and_its_first_cell_gets_all_its_output(greets):
    """ipykernel greets each IOPub subscriber (JEP 65): the client waits for that instead of 0.2 s of silence.
    A kernel that does not greet is waited for as jupyter_client waits. Either way the cell's output is whole."""
    greeted, cell = asyncio.run(first_cell(greets))
    assert greeted is greets
    assert cell == [("status", "busy"), ("execute_input", None), ("stream", "first\n"), ("status", "idle")]
