"""nbgrader's Execute preprocessor, with bounds that a submission cannot lift.

**What one cell may print.**  nbclient keeps every output message of a cell in
the grader's memory until the cell ends, and nbgrader's LimitOutput trims only
afterwards: a submission that prints in a loop until its time runs out could
fill the grading machine's memory.  This keeps the first ``max_output_bytes``
of a cell's output and drops the rest, leaving a note in its place.

**How large one message may be.**  That bound counts what was already
received and decoded; one ``print`` of 300 MB is a single message, which the
grader would read whole.  So every socket the grader opens to the kernel
(shell, iopub, stdin, control, heartbeat: those of the kernel manager and of
its client, ``BoundedKernelManager``) refuses a message frame larger than
``max_message_bytes`` (ZMQ_MAXMSGSIZE, set on their zmq contexts): libzmq
reads a frame's size before its body and ends the connection instead of
reading it, so the message never reaches the grader's memory.  zmq does not
connect again after that, so the grader watches its shell and iopub
connections (a zmq socket monitor) and connects a dropped one again at once.
What was in flight is lost, perhaps the cell's reply or the "idle" that ends
its output: after a drop the grader asks the kernel for its kernel_info every
half second, and as the kernel answers requests in order, an answer says that
the cell has ended.  The cell then gets an error output (OutputTooLarge)
saying that part of its output did not reach the grader (so does a cell whose
reply came but whose output did not end within ``iopub_timeout`` seconds),
and grading goes on with the next cell: a test cell scores nothing then, as
it must, since its failure may have been in what was lost.  The bound is per
frame: a message of many frames, each under it, is still read whole (libzmq
hands over a message's frames together), so a kernel that sends one on
purpose through its session object, with many buffers, is not bounded here.

**A cell that does not answer its interrupt.**  A cell that runs past its
limit (``c.Execute.timeout``) is interrupted, as nbgrader does.  Code that
holds the GIL (a backtracking regular expression) or catches the
KeyboardInterrupt does not stop; neither does a kernel that died under the
cell.  When the cell has not ended ``interrupt_grace`` seconds after the
interrupt (or at once when the kernel died), the grader

1. kills the kernel, and with it its sandbox and every process in it;
2. starts a new kernel, in a new sandbox whose time is what is left of the
   notebook's (``BoundedKernelManager.notebook_deadline``, which
   ``instructor.sandbox`` honours), so ``SandboxProvisioner.time_limit``
   still bounds the whole notebook;
3. brings it back to where the notebook was: the earlier code cells (the
   setup, the student's answers, Try-it cells and cells the student added)
   run again, in order, except test cells and cells that were stopped; their
   output is discarded, so the notebook keeps that of their first run.  A
   cell that does not end in time while it runs again is stopped too, and
   the round starts over without it;
4. gives the stopped cell an error output (CellTimeoutError) that says it ran
   past its limit and was stopped, so a test cell stopped this way scores
   nothing;
5. goes on with the next cell: the student's other answers are graded.

Should the notebook's time run out meanwhile, it fails as before (the kernel
is not replaced).  A kernel manager passed in from outside is not replaced
either; nbgrader lets the preprocessor make its own.

It also starts the kernel in the language of the submission's edition
(``instructor.editions``), so that one autograde run answers each student in
the language of the notebook they were given.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from queue import Empty
from time import monotonic

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient.client import timestamp
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, DottedObjectName, Float, Integer, Type, default, observe
from zmq.utils.monitor import parse_monitor_message

from coursekit.messages import chosen_language, declared_language
from instructor.sealing import Sealer, new_folder, preloads

UNSEALED = {
    "en": "The grader could not confirm that this test ran to its end in a kernel whose toolkit was intact, "
          "so it scores nothing. Something in the notebook changed how the kernel runs or reports cells "
          "(IPython's hooks, its output, the builtins): remove it and run the notebook again.",
    "zh": "评分程序无法确认这个测试在工具包完好的内核里运行到了结尾，所以它不得分。notebook 里有代码改变了内核运行"
          "或报告单元格的方式（IPython 的钩子、输出、内置函数）：删掉它，再重新运行 notebook。",
}


STOPPED = {
    "en": "This cell ran past its time limit ({limit:g} s) and did not stop when interrupted, so the autograder "
          "stopped it: it started a new kernel, ran the notebook's earlier cells again and went on with the next "
          "cells. A test cell stopped this way scores nothing.",
    "zh": "这个单元格运行超过了时间限制（{limit:g} 秒），中断后也没有停下，所以评分程序停止了它：评分程序启动了新的内核，"
          "重新运行了 notebook 前面的单元格，并继续运行后面的单元格。这样被停止的测试单元格不得分。",
}
DIED = {
    "en": "The kernel stopped while this cell ran (the process exited or was killed), so the autograder started a "
          "new kernel, ran the notebook's earlier cells again and went on with the next cells. A test cell whose "
          "kernel stopped scores nothing.",
    "zh": "这个单元格运行时内核停止了（进程退出或被终止），所以评分程序启动了新的内核，重新运行了 notebook 前面的单元格，"
          "并继续运行后面的单元格。内核停止的测试单元格不得分。",
}
TOO_LARGE = {
    "en": "Part of this cell's output did not reach the autograder: it refuses any single output larger than "
          "{size} MB, and what was sent with it is lost. A test cell whose output was lost scores nothing: print less.",
    "zh": "这个单元格的部分输出没有送达评分程序：单条输出超过 {size} MB 就会被拒收，随它一起发送的内容也会丢失。"
          "输出丢失的测试单元格不得分：请少打印一些。",
}


def _bound(context: zmq.Context, size: int) -> zmq.Context:
    """Every socket made from ``context`` from now on drops a peer that sends a frame larger than ``size``."""
    if size:
        context.setsockopt(zmq.MAXMSGSIZE, size)
    return context


class PromptClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel is.

    jupyter_client's ``wait_for_ready`` asks for kernel_info until a reply comes with an IOPub message
    within 0.2 s (IOPub drops what the kernel publishes before the subscription reaches it: the first
    round often loses its messages and waits out the 0.2 s), then reads IOPub until it has been silent
    for 0.2 s: up to 0.4 s lost on every notebook (benchmarks/breakdown.py, "until it answers"). Here
    the kernel's greeting to a new subscriber (``iopub_welcome``, JEP 65, which ipykernel sends) says
    that IOPub is connected before the first request, and reading stops at the "idle" that closes the
    last request (a kernel answers in order: nothing of the start-up comes after it). A kernel that does
    not greet is waited for as jupyter_client waits. What is left over belongs to no cell, and nbclient
    reads only the messages of the cell it runs.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = monotonic() + (float("inf") if timeout is None else timeout)
        greeted = await self._greeting(min(deadline, monotonic() + 2))
        while True:
            last = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if reply["msg_type"] == "kernel_info_reply":
                    try:  # without a greeting, an IOPub message now says that IOPub is connected
                        msg = await self.iopub_channel.get_msg(timeout=1 if greeted else 0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(reply)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while not (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                   and msg["parent_header"].get("msg_id") == last):
            try:
                msg = await self.iopub_channel.get_msg(timeout=0.2)
            except Empty:
                break

    async def _greeting(self, until: float) -> bool:
        """Whether the kernel greeted this client's IOPub subscription before ``until``."""
        while (left := until - monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except Empty:
                return False
            if msg["msg_type"] == "iopub_welcome":
                return True
        return False


class BoundedKernelManager(AsyncKernelManager):
    """nbgrader's kernel manager, whose sockets and whose clients' sockets refuse oversized messages."""

    client_class = DottedObjectName("instructor.execute.PromptClient", config=True)
    client_factory = Type(PromptClient, klass=AsyncKernelClient, config=True)

    max_message_bytes = Integer(0, help="Largest message frame any socket to the kernel accepts (0: no limit).")
    notebook_deadline = Float(None, allow_none=True, help="time.monotonic() at which the notebook's time runs "
                              "out, for a kernel started in place of a stopped one (instructor.sandbox honours it).")

    @default("context")
    def _bounded_context(self) -> zmq.asyncio.Context:
        self._created_context = True
        return _bound(zmq.asyncio.Context(), self.max_message_bytes)

    @observe("max_message_bytes")
    def _bound_existing_context(self, change) -> None:
        if "context" in self._trait_values:
            _bound(self.context, change["new"])

    async def _async_wait(self, pollinterval: float = 0.005) -> None:
        # After a kill jupyter_client polls the kernel every 0.1 s until it has ended: a killed kernel ends
        # within milliseconds, and a notebook's grading waited most of the 0.1 s (benchmarks/breakdown.py).
        await super()._async_wait(pollinterval)

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        _bound(kc.context, self.max_message_bytes)  # its own context, made now, before any channel opens
        return kc


def _is_test(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


class BoundedExecute(Execute):
    max_output_bytes = Integer(2 << 20, config=True, help="Output kept per cell, in bytes of message content.")
    max_message_bytes = Integer(8 << 20, config=True, help="Largest message the grader reads from the kernel, in "
                                "bytes; the connection drops a larger one unread (ZMQ_MAXMSGSIZE).")
    interrupt_grace = Float(5.0, config=True, help="Seconds a cell past its limit has to end once interrupted "
                            "before its kernel is killed and replaced.")

    sealed = Bool(True, config=True, help="Run test cells sealed (instructor.sealing, coursekit.guard): each in "
                  "globals of its own, from a file the notebook cannot read, counted only with the guard's seal.")
    sealer: Sealer | None = None

    @default("shutdown_kernel")
    def _shut_down_at_once(self) -> str:
        # A grading kernel has nothing to save, and its sandbox ends with it: a graceful shutdown only
        # waited 0.5-0.7 s a notebook for the kernel to end itself (benchmarks/breakdown.py).
        return "immediate"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", BoundedKernelManager)
        super().__init__(*args, **kwargs)

    async def async_start_new_kernel(self, **kwargs):
        env = dict(kwargs.get("env") or os.environ)
        declared = declared_language(self.nb.metadata)
        if declared:
            env["COURSEKIT_LANGUAGE"] = chosen_language(declared, os.environ.get("COURSEKIT_LANGUAGE"))
        if self.sealed and os.environ.get("NBGRADER_EXECUTION") == "autograde":
            self._drop_sealer()
            self.sealer = Sealer(new_folder())
            env.update(self.sealer.environment())
            env["COURSEKIT_PRELOAD"] = ",".join(preloads(self.nb.cells))
        kwargs["env"] = env
        return await super().async_start_new_kernel(**kwargs)

    def _drop_sealer(self) -> None:
        if self.sealer is not None:
            shutil.rmtree(os.path.dirname(self.sealer.tests), ignore_errors=True)
            self.sealer = None

    def preprocess(self, nb, resources=None, km=None):
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._drop_sealer()

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        """A test cell runs sealed (instructor.sealing): it scores only with the guard's seal."""
        meta = cell.metadata.get("nbgrader", {})
        if self.sealer is None or cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        source, cell_id = cell.source, meta.get("grade_id", f"cell{cell_index}")
        call, nonce = self.sealer.prepare(cell_id, source)
        cell.source = call
        try:
            await super().async_execute_cell(cell, cell_index, execution_count, store_history=False)
        finally:
            cell.source = source
        if not self.sealer.finish(cell, cell_id, nonce, source) and not any(
                o.get("output_type") == "error" for o in cell.outputs):
            language = chosen_language(declared_language(self.nb.metadata), os.environ.get("COURSEKIT_LANGUAGE"))
            texts = [UNSEALED[code] for code in ("en", "zh") if code in language.split("+")] or [UNSEALED["en"]]
            cell.outputs.append(new_output("error", ename="NotSealed", evalue="\n".join(texts), traceback=texts))
        return cell

    execute_cell = run_sync(async_execute_cell)

    # nbclient binds its synchronous twin to its own coroutine when its class is made: bind it to this one.
    start_new_kernel = run_sync(async_start_new_kernel)

    # -- bounds ------------------------------------------------------------------------------
    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, BoundedKernelManager):
            km.max_message_bytes = self.max_message_bytes
        return km

    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        self._stopped: set[int] = set()  # the cells of this notebook that were stopped: never run again

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        # The kernel answered: its sockets are bound and no cell has run yet (instructor.sandbox).
        ready = getattr(getattr(self.km, "provisioner", None), "kernel_ready", None)
        if ready is not None:
            ready()
        self._stop_watching()
        self._dropped = asyncio.Event()
        self._watcher = asyncio.ensure_future(self._reconnect_dropped(kc.shell_channel.socket, kc.iopub_channel.socket))
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    async def _async_cleanup_kernel(self) -> None:
        self._stop_watching()
        await super()._async_cleanup_kernel()

    _cleanup_kernel = run_sync(_async_cleanup_kernel)

    _watcher: asyncio.Future | None = None

    def _stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None

    async def _reconnect_dropped(self, *sockets: zmq.Socket) -> None:
        """Connect again each of ``sockets`` whose connection zmq drops, and say so (``self._dropped``).

        zmq ends a connection for good when the kernel sends a message over max_message_bytes: without
        this, the cells after it would never hear from the kernel again.
        """
        monitors = {socket.get_monitor_socket(zmq.EVENT_DISCONNECTED): socket for socket in sockets}
        waiting = {asyncio.ensure_future(monitor.recv_multipart()): monitor for monitor in monitors}
        try:
            while True:
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    monitor = waiting.pop(future)
                    endpoint = parse_monitor_message(future.result())["endpoint"].decode()
                    self.log.warning("The connection to the kernel (%s) dropped, a message over %d bytes perhaps: "
                                     "connecting again", endpoint, self.max_message_bytes)
                    socket = monitors[monitor]
                    try:
                        socket.disconnect(endpoint)
                    except zmq.ZMQError:
                        pass
                    socket.connect(endpoint)
                    self._dropped.set()
                    waiting[asyncio.ensure_future(monitor.recv_multipart())] = monitor
        except zmq.ZMQError:  # the client's sockets closed
            pass
        finally:
            for future in waiting:
                future.cancel()
            for monitor, socket in monitors.items():
                try:
                    socket.disable_monitor()
                except zmq.ZMQError:
                    pass
                monitor.close(linger=0)

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        """nbclient's wait for a cell's reply and output, for a kernel that may not answer, drop messages or die."""
        task_poll_kernel_alive.cancel()  # liveness is checked here, where a dead kernel can be replaced
        expected = {msg_id}  # the replies that end the wait: this cell's, and a probe's once a message was lost
        reply = asyncio.ensure_future(self._async_reply_to(expected))
        output = task_poll_output_msg
        dropped = asyncio.ensure_future(self._dropped.wait())
        lost = False

        def stop_reading() -> None:
            for task in (reply, output, dropped):
                if not task.done():
                    task.cancel()

        async def wait_for(tasks, until: float | None) -> bool:
            """Whether one of ``tasks`` ended in time; once a connection dropped, probes the kernel meanwhile."""
            nonlocal dropped, lost
            while True:
                # What was in flight when a connection dropped is lost, perhaps this cell's reply. The kernel
                # answers requests in order, so the reply to a probe (kernel_info) says that the cell has
                # ended; one every half second, as the first may reach the kernel before it sees the new
                # connection, and its answer be lost too.
                step = until if not lost else min(until if until is not None else float("inf"), monotonic() + 0.5)
                if await self._first_of((*tasks, dropped), step):
                    if not dropped.done():
                        return True
                    lost = True
                    self._dropped.clear()
                    dropped = asyncio.ensure_future(self._dropped.wait())
                elif step == until or not await ensure_async(self.km.is_alive()):
                    return False
                expected.add(await ensure_async(self.kc.kernel_info()))

        try:
            interrupted = False
            if not await wait_for((reply,), None if timeout is None else monotonic() + timeout):
                if not await ensure_async(self.km.is_alive()):
                    stop_reading()
                    return await self._replace_kernel(cell, DIED)
                if not self.interrupt_on_timeout:
                    raise CellTimeoutError.error_from_timeout_and_cell("Cell execution timed out", timeout, cell)
                self.log.error("Timeout waiting for execute reply (%is): interrupting the kernel", timeout)
                await ensure_async(self.km.interrupt_kernel())
                if not await wait_for((reply,), monotonic() + self.interrupt_grace):
                    self.log.error("The cell did not end %gs after its interrupt: replacing the kernel",
                                   self.interrupt_grace)
                    stop_reading()
                    return await self._replace_kernel(cell, STOPPED, limit=timeout)
                interrupted = True
            # The cell has ended: its output has iopub_timeout seconds to end too.
            if not lost:
                await wait_for((output,), monotonic() + self.iopub_timeout)
            if output.done():
                output.result()  # what went wrong while the output was read
            msg = reply.result()
            if interrupted:
                return {"parent_header": {"msg_id": msg_id}, "content": {**self.error_on_timeout, "status": "error"}}
            if msg["parent_header"].get("msg_id") != msg_id:
                self.log.error("The kernel's reply to a cell did not reach the grader")
                content = self._error_content("OutputTooLarge", TOO_LARGE)
                return {"parent_header": {"msg_id": msg_id}, "content": content}
            if self.record_timing:
                cell["metadata"].setdefault("execution", {})["shell.execute_reply"] = timestamp(msg)
            if lost or not output.done():
                self.log.error("Part of a cell's output did not reach the grader")
                note = self._error_content("OutputTooLarge", TOO_LARGE, status=None)
                cell.outputs.append(new_output("error", **note))
            return msg
        finally:
            stop_reading()

    async def _async_reply_to(self, msg_ids: set[str]) -> dict:
        """The first reply on the shell channel to one of ``msg_ids`` (a set that may grow meanwhile)."""
        while True:
            msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") in msg_ids:
                return msg

    async def _first_of(self, tasks, until: float | None) -> bool:
        """Whether one of ``tasks`` ended before ``until`` (time.monotonic()); False once the kernel is dead."""
        while True:
            left = None if until is None else until - monotonic()
            if left is not None and left <= 0:
                return any(task.done() for task in tasks)
            done, _ = await asyncio.wait(tasks, timeout=1.0 if left is None else min(1.0, left),
                                         return_when=asyncio.FIRST_COMPLETED)
            if done:
                return True
            if not await ensure_async(self.km.is_alive()):
                return False

    def _texts(self, texts: dict[str, str], **values) -> list[str]:
        language = chosen_language(declared_language(self.nb.metadata), os.environ.get("COURSEKIT_LANGUAGE"))
        chosen = [code for code in ("en", "zh") if code in language.split("+")] or ["en"]
        return [texts[code].format(**values) for code in chosen]

    def _error_content(self, ename: str, texts: dict[str, str], status: str | None = "error", **values) -> dict:
        values.setdefault("size", self.max_message_bytes >> 20)
        lines = self._texts(texts, **values)
        content = {"ename": ename, "evalue": "\n".join(lines), "traceback": [f"{ename}: {line}" for line in lines]}
        if status:
            content["status"] = status
        return content

    async def _replace_kernel(self, cell, texts: dict[str, str], limit: float | None = None) -> dict:
        """Kill the kernel, start another where the notebook was, and the reply that says so for ``cell``."""
        provisioner = getattr(self.km, "provisioner", None)
        if getattr(provisioner, "timed_out", False) or not self.owns_km:
            raise DeadKernelError("Kernel died")  # the notebook's time is up: it fails, as it always did
        index = next((i for i, c in enumerate(self.nb.cells) if c is cell), len(self.nb.cells))
        self._stopped.add(index)
        deadline = getattr(provisioner, "deadline", None)
        await self._kill_kernel()
        await self._start_in_place(index, deadline)
        ename = "CellTimeoutError" if texts is STOPPED else "DeadKernelError"
        return {"parent_header": {}, "content": self._error_content(ename, texts, limit=limit or 0)}

    async def _kill_kernel(self) -> None:
        self._stop_watching()
        kc, km = self.kc, self.km
        self.kc = None
        try:
            await ensure_async(km.shutdown_kernel(now=True))  # kills at once: no shutdown request it cannot answer
        finally:
            if kc is not None:
                await ensure_async(kc.stop_channels())

    async def _start_in_place(self, index: int, deadline: float | None) -> None:
        """A new kernel that has run again the code cells before ``index``, but for tests and stopped cells."""
        while True:
            self.km = self.create_kernel_manager()
            self.km.notebook_deadline = deadline
            await self.async_start_new_kernel()
            await self.async_start_new_kernel_client()
            for number, earlier in enumerate(self.nb.cells[:index]):
                if earlier.cell_type != "code" or not earlier.source.strip() or _is_test(earlier) \
                        or number in self._stopped:
                    continue
                if not await self._run_again(earlier):
                    self.log.error("Cell %d did not end when run again: replacing the kernel", number)
                    self._stopped.add(number)
                    await self._kill_kernel()
                    break
            else:
                return

    async def _run_again(self, cell) -> bool:
        """Run a cell's code once more, its output discarded; whether it ended in time."""
        timeout = self._get_timeout(cell)
        msg_id = await ensure_async(self.kc.execute(cell.source, store_history=True, stop_on_error=False))
        reply = asyncio.ensure_future(self._async_reply_to({msg_id}))
        try:
            if await self._first_of((reply,), None if timeout is None else monotonic() + timeout):
                return True
            if not await ensure_async(self.km.is_alive()):
                return False
            await ensure_async(self.km.interrupt_kernel())
            return await self._first_of((reply,), monotonic() + self.interrupt_grace)
        finally:
            reply.cancel()

    def output(self, outs, msg, display_id, cell_index):
        seen = self._output_bytes.get(cell_index, 0) if hasattr(self, "_output_bytes") else 0
        if not hasattr(self, "_output_bytes"):
            self._output_bytes = {}
        if seen > self.max_output_bytes:
            return None
        size = len(json.dumps(msg.get("content", {}), default=str))
        self._output_bytes[cell_index] = seen + size
        if seen + size > self.max_output_bytes:
            note = new_output(
                "stream", name="stdout",
                text=f"\n[the autograder kept the first {self.max_output_bytes >> 20} MB of this cell's output and dropped the rest]\n",
            )
            outs.append(note)
            return None
        return super().output(outs, msg, display_id, cell_index)
