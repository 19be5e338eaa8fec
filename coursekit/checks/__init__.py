"""What the assignments' test cells share, one module per assignment.

A test cell runs in globals of its own when the grader seals it: it imports
what it uses and takes from the notebook only the exercise's functions and
classes. So nothing a test relies on may live in another test cell, and the
test's instruments reach the student's code through :func:`provided`.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable, Iterator
from typing import Any

from coursekit import guard

_ABSENT = object()


def namespace_of(func: Callable[..., Any]) -> dict[str, Any]:
    """The globals the student's code looks names up in: its function's module, else the notebook's."""
    target = inspect.unwrap(func) if callable(func) else func
    target = getattr(target, "__func__", target)  # a bound method
    if not hasattr(target, "__globals__") and not isinstance(target, type):
        target = getattr(type(target), "__call__", target)  # an instance of the student's class
    if isinstance(target, type):
        target = getattr(target, "__init__", None)
    namespace = getattr(target, "__globals__", None)
    if isinstance(namespace, dict):
        return namespace
    return sys.modules["__main__"].__dict__


@contextlib.contextmanager
def provided(func: Callable[..., Any], name: str, replacement: Any) -> Iterator[None]:
    """For one run, the student's ``func`` finds ``replacement`` under the global ``name`` (then the original again).

    The notebook provides some functions (``crawl_page``, ``download``) that an answer calls by name; the
    test swaps in its own recorded one, so it sees every call and sets every time, whatever the notebook holds.
    """
    namespace = namespace_of(func)
    original = namespace.get(name, _ABSENT)
    namespace[name] = replacement
    try:
        yield
    finally:
        if original is _ABSENT:
            namespace.pop(name, None)
        else:
            namespace[name] = original
        # Dropping the instrument may run code the answer hung on it (a finalizer): the toolkit must still be
        # as the kernel started it before the test goes on to its verdicts.
        del replacement
        guard.verify()
