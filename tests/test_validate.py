"""Validate gives the autograder's verdict: a cell the autograder would not run fails `nbgrader validate`.

A student's plain `nbgrader validate` (and the Validate button, which the lab's server runs from the
course's folder) reads the course's nbgrader_config.py: it screens the notebook as autograde does
(coursekit.validation.ScreenForValidation), then runs it in a kernel started through the course's
provisioner, outside autograde. The reasons come in the notebook's language.
"""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT
from coursekit import policy
from instructor.course import clean_environment
from submissions import answered, crawler
from submissions.honest import HONEST

pytestmark = pytest.mark.slow  # each validation starts a kernel

NBGRADER = os.path.join(os.path.dirname(sys.executable), "nbgrader")
# A right answer, but for a line the autograder does not run: without the screening, validate would say "Success!".
REFUSED = {
    "crawl_page": """import subprocess


async def crawl_page(url: str) -> str:
    print(f"crawling {url}")
    await asyncio.sleep(int(url.split("_")[-1]))
    print(f"OK {url}")
    return f"OK {url}"
""",
}


def environment() -> dict[str, str]:
    env = clean_environment()
    env.pop("COURSEKIT_LANGUAGE", None)  # the notebook says its language
    env.pop("NBGRADER_EXECUTION", None)
    return env


def validate(path) -> str:
    """`nbgrader validate` as a student runs it in the course's folder (its nbgrader_config.py applies)."""
    result = subprocess.run([NBGRADER, "validate", str(path)], cwd=ROOT, capture_output=True, text=True,
                            env=environment(), timeout=300)
    return result.stdout + result.stderr


def squeezed(text: str) -> str:
    """Without whitespace: validate's report wraps and indents the reasons."""
    return "".join(text.split())


def write(tmp_path, nb) -> object:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "crawler.ipynb"  # the kernel finds the notebook's language in the only notebook of its folder
    nbformat.write(nb, str(path))
    return path


@pytest.mark.parametrize("language, says, not_said", [
    ("en", "the autograder did not run this cell", "自动评分"),
    ("zh", "自动评分没有运行这个单元格", "the autograder did not run"),
])
def test_a_refused_cell_fails_validation_with_the_reasons(tmp_path, language, says, not_said):
    nb = answered(crawler, REFUSED, ROOT, language)
    (finding,) = policy.check_cells(nb.cells, language=language)
    assert (finding.rule, finding.line) == ("processes", 1)
    output = validate(write(tmp_path, nb))
    assert "VALIDATION FAILED" in output, output
    assert "Success!" not in output
    assert squeezed(says) in squeezed(output), output
    assert squeezed(f"{finding.where_in(language)}{policy.say(language, 'colon')}{finding.reason_in(language)}") \
        in squeezed(output), output
    assert squeezed(not_said) not in squeezed(output)
    assert f"Cell {finding.cell}/{len(nb.cells)}" in output


def test_an_honest_notebook_validates(tmp_path):
    entry = HONEST["crawler_worker_helper_debug_flag"]  # a helper named worker, all_tasks in a debug print, vars()
    nb = answered(crawler, entry["answers"], ROOT, "en")
    first = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    for offset, source in enumerate(entry["extra_cells"], start=1):
        nb.cells.insert(first + offset, nbformat.v4.new_code_cell(source))
    assert policy.check_cells(nb.cells) == []
    output = validate(write(tmp_path, nb))
    assert "Success! Your notebook passes all the tests." in output, output


def test_the_validate_button_gives_the_same_verdict(tmp_path):
    """The server extension's handler loads the config from the server's folder (the course's), then validates."""
    path = write(tmp_path, answered(crawler, REFUSED, ROOT, "zh"))
    script = (
        "import json, logging, sys, types\n"
        "from nbgrader.server_extensions.validate_assignment.handlers import ValidateAssignmentHandler as H\n"
        "handler = types.SimpleNamespace(root_dir=sys.argv[1], log=logging.getLogger('validate'))\n"
        "handler.load_config = lambda: H.load_config(handler)\n"
        "print(json.dumps(H.validate_notebook(handler, 'crawler.ipynb'), ensure_ascii=False))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path.parent)], cwd=ROOT, capture_output=True, text=True,
                            env=environment(), timeout=300)
    import json

    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["success"], answer
    failed = answer["value"].get("failed", [])
    assert any("自动评分没有运行这个单元格" in cell["raw_error"] for cell in failed), answer


def test_each_failure_is_its_exercise_and_message_then_only_the_students_lines(tmp_path):
    """Not the test's source, not the toolkit's frames: the message first, in a few lines."""
    wrong = crawler.VARIANTS["tasks_awaited_one_by_one"][0]
    broken = {"crawl_with_gather": "async def crawl_with_gather(urls: list[str]) -> list[str]:\n    return 1 / 0\n"}
    output = validate(write(tmp_path, answered(crawler, {**wrong, **broken}, ROOT, "en")))
    failures = output.split("The following cell failed:")[1:]
    assert len(failures) == 2, output
    tasks, gather = failures
    assert tasks.split("The error was:")[0].strip().startswith("Exercise crawl_with_tasks: AssertionError:"), tasks
    first_lines = "\n".join(tasks.split("The error was:")[1].strip().splitlines()[:3])
    assert "took 10 s of loop time instead of 4 s" in first_lines, tasks
    assert gather.split("The error was:")[0].strip() == "Exercise crawl_with_gather: ZeroDivisionError: division by zero"
    lines = gather.split("The error was:")[1]
    assert "Where it happened, in your code:" in lines and "return 1 / 0" in lines, gather
    for text in failures:  # what the student did not write is not shown
        assert "from coursekit.checks" not in text and "coursekit/" not in text, text


def test_validate_on_a_lecture_says_there_is_nothing_to_validate_at_once(tmp_path):
    import shutil

    lecture = tmp_path / "lecture.ipynb"
    shutil.copy(ROOT / "notebooks" / "01-crawler.ipynb", lecture)
    output = validate(lecture)  # no kernel starts: it ran every cell for 39 s before
    assert "Kernel" not in output and "Nothing to validate: this notebook is a lecture" in output and "Success!" not in output, output
