"""Which words of the tests need a translation: ``python -m instructor.hint_catalog``.

The tests write their hints and the names of what they check in English:
in the test cells of the notebooks, and in the modules those cells import,
``coursekit/checks/*.py`` (the test side of each assignment). A student of the
Chinese edition reads them in Chinese through ``coursekit.hints_zh``, a
catalog of templates (``{}`` where a value is filled in). This finds every
text of every test cell in source/ and of every check module, as a template,
and lists those the catalog lacks; ``tests/test_hint_catalog.py`` fails until
there are none.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat

from instructor.course import REPO

WORD = re.compile(r"[A-Za-z']{2,}")
# Texts of the tests that are data or code, not words to a student: compared, printed, called or looked up as they are.
NOT_PROSE = {
    "B later soon", "OK url_2", "OK url_{}", "ToyScheduler.run()", "call_soon", "crawl_page", "crawling url_2",
    "data from {}", "data from db", "during iteration", "fastest_mirror({})", "fetch_all", "mirror down",
    "positional argument", "predict_trace({}, {})", "save_safely", "still waiting", "time.sleep", "timed out",
    "/img/logo.png", "http://cinema.test", "division by zero", "not supported between instances", "still running after",
    "inside the block", "raised inside the block", "return f'OK {{url}}'", "background_saves",
    "before await", "awaited worker_1", "awaited worker_2",
    "attempt {} failed", "cleaned up", "fetch {} of {} failed", "raised LookupError('fetch {} of {} failed')",
    "raised {}('attempt {} failed')", "request_id", "smtp down", "the caller's id", "asyncio.timeout({})",
    "SingleFlight().get(key, fetch)", "handle_all(requests, handle)", "retry(operation, attempts, pause)",
    "stop_gracefully(tasks, grace)",
    "already has its result", "cancel() of a done task returned False", "cancel() of a done task returned {}",
    "cancel() returned True", "cancel() returned {}", "cannot reuse already awaited coroutine",
    "generator already executing", "polite finished", "polite got CancelledError", "polite starts", "polite stopped",
    "task {} done", "task {} ends", "task {} starts", "victim cleaned up", "victim finished",
    "victim got CancelledError", "victim starts", "victim went on after the signal", "victim woke up from its sleep",
    "task.cancelled of each task", "task.cancelled at the end", "(task.cancelled, task.result) at the end",
}


def template(node: ast.AST) -> str:
    """A string expression as a template: literal text kept (braces doubled), everything computed as ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}")
    if isinstance(node, ast.JoinedStr):
        return "".join(template(part) if isinstance(part, ast.Constant) else "{}" for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return template(node.left) + template(node.right)
    return "{}"


def texts(source: str) -> set[str]:
    """Every text of a cell's code, as templates: string literals, f-strings and sums of strings, not docstrings."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skipped.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.JoinedStr):
            skipped.update(id(part) for part in node.values)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(node, ast.JoinedStr) or (
                isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
            text = template(node)
            if len(WORD.findall(text.replace("{}", ""))) >= 2 and text not in NOT_PROSE:
                found.add(text)
    return found


CHECKS = Path("coursekit") / "checks"  # the test side of the assignments: what their test cells import


def test_sources(root: Path = REPO) -> list[tuple[str, str]]:
    """(where, code) of every test: each test cell of the source assignments (assignment/grade id), then each
    check module (coursekit/checks/<name>.py)."""
    found = []
    for path in sorted((root / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            nbgrader = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and nbgrader.get("grade"):
                found.append((f"{path.parent.name}/{nbgrader['grade_id']}", cell.source))
    for path in sorted((root / CHECKS).glob("*.py")):
        found.append(((CHECKS / path.name).as_posix(), path.read_text(encoding="utf-8")))
    return found


def test_cell_texts(root: Path = REPO) -> dict[str, list[str]]:
    """Each text of the tests (test cells and check modules), with where it is written."""
    where: dict[str, list[str]] = {}
    for place, source in test_sources(root):
        for text in texts(source):
            where.setdefault(text, []).append(place)
    return where


def missing(catalog: dict[str, str], root: Path = REPO) -> dict[str, list[str]]:
    return {text: cells for text, cells in test_cell_texts(root).items() if text not in catalog}


def main() -> None:
    from coursekit.hints_zh import HINTS_ZH

    lacking = missing(HINTS_ZH)
    for text, cells in sorted(lacking.items()):
        print(f"{text!r}  ({', '.join(cells)})")
    print(f"hint catalog: {len(lacking)} text(s) of the tests (test cells, {CHECKS.as_posix()}/*.py) have no Chinese "
          "in coursekit/hints_zh.py")
    sys.exit(1 if lacking else 0)


if __name__ == "__main__":
    main()
