"""What the grading toolkit says about the classic mistakes, in English and in Chinese (中文).

The language is the student's: ``COURSEKIT_LANGUAGE=zh`` in the kernel's
environment (``make lab LAB_ARGS=--language=zh`` sets it for the course's
JupyterLab; the grading sandbox passes it on), or ``use_language("zh")`` in
the notebook. Only the toolkit's own words change; what a test cell adds as a
hint stays as the test wrote it.
"""

from __future__ import annotations

import os

LANGUAGES = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    "blocking": {
        "en": "blocking call time.sleep({seconds}) inside async code: use await asyncio.sleep({seconds}). "
              "time.sleep stops the whole event loop, so nothing else runs meanwhile.",
        "zh": "异步代码里出现了阻塞调用 time.sleep({seconds})：请改用 await asyncio.sleep({seconds})。"
              "time.sleep 会让整个事件循环停下来，这段时间里其他任务都无法运行。",
    },
    "stuck_virtual": {
        "en": "{name} was still running after {seconds:g} s of real time and was stopped. "
              "Is there a loop that never awaits anything (while True: ...)?",
        "zh": "{name} 运行了 {seconds:g} 秒（真实时间）仍未结束，已被停止。是不是有一个从不 await 的循环（while True: ...）？",
    },
    "stuck_real": {
        "en": "{name} was still running after {seconds:g} s of real time and was stopped. "
              "Is it waiting for a reply without a timeout, or looping without awaiting?",
        "zh": "{name} 运行了 {seconds:g} 秒（真实时间）仍未结束，已被停止。是不是在没有超时的情况下等待响应，或者在循环里从不 await？",
    },
    "time_limit": {
        "en": "{name} was still waiting after {seconds:g} s of loop time. "
              "Is it sleeping far too long, or awaiting something that nobody ever finishes (a deadlock)?",
        "zh": "{name} 在事件循环时钟走过 {seconds:g} 秒后仍在等待。是睡眠时间太长了，"
              "还是在 await 一个永远没有人完成的东西（死锁）？",
    },
    "deadlock": {
        "en": "{name} waited for ever: the event loop had nothing left to run and nothing to wait for. "
              "Is it awaiting a future, queue or event that nobody completes (a deadlock)?",
        "zh": "{name} 在永远等待：事件循环里已经没有可运行的任务，也没有可等待的定时器。"
              "是不是在 await 一个没有人会完成的 Future、队列或 Event（死锁）？",
    },
    "cancelled": {
        "en": "{name} raised CancelledError, though nobody cancelled it. Awaiting a task that was cancelled "
              "(directly, or through gather) raises its CancelledError in the awaiting code: to collect "
              "results, errors and cancellations alike, use asyncio.gather(..., return_exceptions=True).",
        "zh": "{name} 抛出了 CancelledError，可是没有人取消它。await 一个已被取消的任务（直接 await，或通过 gather）"
              "会在 await 的地方抛出它的 CancelledError：要把结果、异常和取消一并收集起来，"
              "请用 asyncio.gather(..., return_exceptions=True)。",
    },
    "never_awaited": {
        "en": " (a coroutine was created but never awaited: a missing `await`, or a missing asyncio.create_task?)",
        "zh": "（创建了一个协程却从未 await 它：是不是漏写了 `await`，或者漏了 asyncio.create_task？）",
    },
    "loop_time": {
        "en": "{name} took {got:g} s of loop time instead of {expected:g} s",
        "zh": "{name} 用了 {got:g} 秒的循环时间，应为 {expected:g} 秒",
    },
    "early": {
        "en": "it returned before all the expected waiting was done: does it wait for every page, "
              "or return an answer that only fits the examples?",
        "zh": "它在该等待的时间走完之前就返回了：是否等待了每一个页面？还是返回了一个只符合示例的答案？",
    },
    "queue_join": {
        "en": " queue.join() was still waiting: it returns only once queue.task_done() has been called for "
              "every item put in the queue. Does each consumer call task_done() after handling its item?",
        "zh": " queue.join() 仍在等待：只有队列里放入的每一项都调用过 queue.task_done() 之后它才会返回。"
              "每个消费者处理完一项后都调用了 task_done() 吗？",
    },
    "queue_put": {
        "en": " A queue.put() was waiting for room that never came: is anyone taking items out of the queue?",
        "zh": " 有一个 queue.put() 在等待队列腾出空位，却一直没等到：有人在从队列里取东西吗？",
    },
    "queue_get": {
        "en": " A queue.get() was waiting for an item that never came: does the producer put every item (and the end markers)?",
        "zh": " 有一个 queue.get() 在等待一项永远不会来的数据：生产者放入了每一项（以及结束标记）吗？",
    },
    "printed": {"en": "It printed:", "zh": "它打印了："},
    "earlier_lines": {"en": "earlier lines", "zh": "行更早的输出"},
}

_language = os.environ.get("COURSEKIT_LANGUAGE", "en")
if _language not in LANGUAGES:
    _language = "en"


def use_language(code: str) -> None:
    """Switch the toolkit's messages: "en" (English) or "zh" (中文)."""
    global _language
    if code not in LANGUAGES:
        raise ValueError(f"language {code!r}: choose one of {', '.join(LANGUAGES)}")
    _language = code


def language() -> str:
    return _language


def say(key: str, **values: object) -> str:
    """The message ``key`` in the current language, with ``values`` filled in."""
    return MESSAGES[key][_language].format(**values)
