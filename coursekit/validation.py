"""Validate gives the autograder's verdict: the screening ``nbgrader validate`` shares with autograde.

The autograder does not run a cell that ``coursekit.policy`` has findings
in: it keeps the student's code as comments under a note and raises an error
that gives the reasons, in the notebook's language, instead (``Screening``,
``neutralised``).  ``instructor.screening.ScreenCode`` does that in
autograde, trusting the course's cells as restored from the gradebook;
``ScreenForValidation`` does it in ``nbgrader validate`` (the Validate
button), where there is no gradebook: the course's cells are trusted by their
checksums, and a refused cell is reported as a failed cell, with its reasons,
so the student hears the autograder's verdict before handing in.

nbgrader 0.9.6 does not read ``Validator.preprocessors`` from config (the
trait is not ``config=True``); ``install()`` sets its default, and every
``nbgrader_config.py`` that validates for the course calls it: the course's
own, and the student repository's (``write_config``), which nbgrader finds in
the folder it runs from or in a Jupyter config directory.  Validate runs in
the Jupyter server, which reads the one in the folder the server started in
or in a Jupyter config directory; so Binder's postBuild writes one into the
environment's as well::

    python -m coursekit.validation --configure sys-prefix   # or user, or a folder

Student side: nothing here grades or reads a gradebook.
"""

from __future__ import annotations

import logging
import sys
import textwrap
from pathlib import Path

from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, Execute, NbGraderPreprocessor

from coursekit import policy

WIDTH = 72  # nbgrader validate cuts its report's lines at 87 characters, indented by 4
FIRST = len("RuntimeError: ")  # what comes before an error's first line


def _wrapped(text: str, indent: str = "", width: int = WIDTH) -> list[str]:
    return [line for part in text.split("\n") for line in textwrap.wrap(
        part, width, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False)]


def neutralised(source: str, violations: list[policy.Violation], language: str | None = None) -> str:
    """The cell as it is run instead: a note, the student's code as comments, and an error giving the reasons."""
    language = language or (violations[0].language if violations else "en")
    codes = ("en", "zh") if language == "en+zh" else (language,)
    kept = [f"# {line}" if line else "#" for line in source.splitlines()]
    message = []
    for code in codes:
        message += _wrapped(policy.say(code, "screening_error"), width=WIDTH - (0 if message else FIRST))
        for v in violations:
            message += _wrapped(f"{policy.say(code, 'policy_where', cell=v.cell, total=v.total or '?', line=v.line)}"
                                f"{policy.say(code, 'colon')}{v.reason_in(code)}", "  ")
            message.append(f"      {v.code.strip()[:WIDTH - 6]}")
    note = [f"# {line}" for code in codes for line in _wrapped(policy.say(code, "screening_note"))]
    return "\n".join([*note, *(f"# {policy.say(code, 'screening_kept')}" for code in codes), *kept,
                      f"raise RuntimeError({chr(10).join(message)!r})"])


class Screening(NbGraderPreprocessor):
    """Flag and disarm the cells that ``coursekit.policy`` has findings in: what autograde and validate share.

    A subclass says which cells are the course's own (``_trusted``; here: by
    their checksums), what else a refused cell needs (``_refused``) and where
    the findings are kept (``_record``).
    """

    log_level = logging.WARNING

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader")
        trusted = self._trusted(nb, info)
        language = policy.language_of(nb.metadata)
        violations = policy.check_cells(nb.cells, trusted, language)
        by_cell: dict[int, list[policy.Violation]] = {}
        for violation in violations:
            by_cell.setdefault(violation.index, []).append(violation)
            self.log.log(
                self.log_level, "screening: %s, cell %d line %d: %s | %s", self._who(info), violation.cell, violation.line,
                violation.reason_in("en"), violation.code.strip(),
            )
        for index, found in by_cell.items():
            nb.cells[index].source = neutralised(nb.cells[index].source, found, language)
            self._refused(nb.cells[index], index)
        self._record(info, violations)
        return nb, resources

    @staticmethod
    def _who(info) -> str:
        return "this notebook"

    def _trusted(self, nb, info) -> list[bool]:
        """The course's own cells: the cells as released, by their checksums."""
        return [policy.is_trusted(cell) for cell in nb.cells]

    def _refused(self, cell, index: int) -> None:
        """What else a refused cell needs (nothing by default: the tests that need it fail)."""

    def _record(self, info, violations: list[policy.Violation]) -> None:
        """Where the findings are kept (nowhere by default: the refused cells say them)."""


class ScreenForValidation(Screening):
    """The screening in ``nbgrader validate``: a refused cell fails validation, with its reasons.

    Validation has no gradebook, so the course's cells are trusted when their
    checksums say they are as released (``policy.is_trusted``; a changed one
    is reported by validate itself). nbgrader's Validator lists only failed
    test cells, so a refused cell is shown to it as a test cell worth nothing
    that failed: validation then fails, naming the cell and the reasons. This
    changes only the copy validate runs; the notebook on disk is untouched.
    """

    log_level = logging.DEBUG  # the student reads the reasons in validate's report, in the notebook's language

    def _refused(self, cell, index: int) -> None:
        meta = dict(cell.metadata.get("nbgrader", {}))
        meta.pop("checksum", None)
        meta.update(grade=True, solution=False, locked=False, points=0,
                    grade_id=meta.get("grade_id") or f"refused-cell-{index + 1}")
        cell.metadata["nbgrader"] = meta


# nbgrader's own list, with the screening before the notebook runs.
PREPROCESSORS = [CheckCellMetadata, ClearOutput, ScreenForValidation, Execute]


def install() -> None:
    """Make ``nbgrader validate`` (and the Validate button) screen as the autograder does, and report each
    failure in a few lines: call it in nbgrader_config.py.

    nbgrader 0.9.6 does not read ``Validator.preprocessors`` from config (the trait is not config=True): set its default.
    """
    from nbgrader.validator import Validator

    Validator.class_traits()["preprocessors"].default_value = list(PREPROCESSORS)
    if getattr(Validator.validate, "_concise", False):
        return
    failed_cells, validate = Validator._get_failed_cells, Validator.validate

    def _get_failed_cells(self, nb):
        cells = failed_cells(self, nb)
        self._course_failed = (cells, nb.metadata)  # as they ran: their outputs hold the messages
        return cells

    def concise_validate(self, filename):
        """nbgrader's report, each failed cell shown as its exercise and message, then the student's own lines.

        nbgrader shows a failed test's whole source, then the whole traceback; the message a student needs
        came after the test's code and the toolkit's frames (line 143 of 193 with one exercise of four done).
        """
        import nbformat

        nb = nbformat.read(filename, as_version=4)
        if not any(cell.metadata.get("nbgrader") for cell in nb.cells):
            # A lecture: nothing is graded, so nothing to run (nbgrader ran it all, then said "Success!").
            text = "\n".join(LECTURE[code] for code in policy.language_of(nb.metadata).split("+") if code in LECTURE)
            return {"failed": [{"source": text or LECTURE["en"], "error": "", "raw_error": ""}]}
        self._course_failed = ([], {})
        results = validate(self, filename)
        cells, metadata = self._course_failed
        failed = results.get("failed", [])
        if len(failed) == len(cells):
            from nbconvert.filters.ansi import ansi2html

            language = policy.language_of(metadata)
            for entry, cell in zip(failed, cells):
                title, text = failure_summary(cell, language)
                entry.update(source=title, raw_error=text, error=ansi2html(text))
        return results

    concise_validate._concise = True
    Validator._get_failed_cells = _get_failed_cells
    Validator.validate = concise_validate


LECTURE = {"en": "Nothing to validate: this notebook is a lecture, with no exercises. Validate checks an "
                  "assignment (your copy in my-work/).",
           "zh": "这里没有需要验证的内容：这是一讲讲义，没有练习。Validate 检查的是作业（my-work/ 里你的副本）。"}
NOT_DONE = {"en": "not done yet (the answer cell still raises NotImplementedError)",
            "zh": "还没有完成（答案单元格仍然抛出 NotImplementedError）"}
EXERCISE = {"en": "Exercise {name}", "zh": "练习 {name}"}
YOUR_LINES = {"en": "Where it happened, in your code:", "zh": "出错的位置，在你的代码里："}


def failure_summary(cell, language: str = "en") -> tuple[str, str]:
    """(title, text) for a failed cell: its exercise and the first line of its message; then the message
    whole, and only the frames of the student's own cells (the test's own frame and the toolkit's are dropped).
    ``language``: en, zh, or both (en+zh, the bilingual edition)."""
    import re

    languages = [code for code in language.split("+") if code in EXERCISE] or ["en"]
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
    name = grade_id.removeprefix("test_") or "?"
    title = EXERCISE[languages[0]].format(name=name)
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:  # partial credit, or no response: nbgrader's own words
        return title, "Partial credit; passed some but not all of the tests"
    error = errors[0]
    ename, evalue = error.get("ename", ""), error.get("evalue", "")
    if ename == "NotImplementedError":
        message = "\n".join(NOT_DONE[code] for code in languages)
    else:
        message = f"{ename}: {evalue}".strip()  # the test's message is in the notebook's language(s) already
    strip = re.compile(r"\x1b\[[0-9;]*m")
    frames = [strip.sub("", part) for part in error.get("traceback", [])]
    # IPython's frames: the test cell's own, the toolkit's (files), the student's cells (another Cell In[n]).
    own = f"Cell In[{cell.get('execution_count')}]"
    yours = [part for part in frames[:-1] if part.startswith("Cell In[") and not part.startswith(own)]
    text = message
    if yours and ename != "NotImplementedError":
        text += "\n\n" + "\n".join(YOUR_LINES[code] for code in languages) + "\n" + "\n".join(yours)
    return f"{title}: {message.splitlines()[0] if message else ename}", text


# The autograder's limit for a cell, the same in the course's and the student repository's configuration.
# Graded code runs in virtual time and gives up within about a second, so a cell still running after this
# long is stuck in top-level code.
CELL_SECONDS = 60


CONFIG = '''"""nbgrader's configuration for the course's students: Validate gives the autograder's verdict.

nbgrader reads it {where}.
Written by {writer}; coursekit/validation.py says more.
"""

{imports}
course = {course}  # the course: the folder holding coursekit/
if course not in sys.path:
    sys.path.insert(0, course)

from coursekit.validation import CELL_SECONDS, install  # noqa: E402

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file
c.Execute.timeout = CELL_SECONDS  # the autograder's limit for a cell
install()  # a cell the autograder would not run fails validation, with the reasons
'''


def config_text(course: Path | None = None) -> str:
    """A student nbgrader_config.py: at the course's root (``course`` None), or in a config directory, naming the course."""
    if course is None:
        return CONFIG.format(where="from the folder it runs in (the Validate button: the folder JupyterLab started in)",
                             writer="make publish (instructor/publish.py)", imports="import os\nimport sys\n",
                             course="os.path.dirname(os.path.abspath(__file__))")
    return CONFIG.format(where="from Jupyter's config directories, wherever it runs",
                         writer="python -m coursekit.validation --configure (Binder's postBuild)",
                         imports="import sys\n", course=repr(str(course)))


def write_config(folder: Path, course: Path | None = None) -> Path:
    """Write ``folder``/nbgrader_config.py (``course``: the course it serves, when ``folder`` is not the course)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nbgrader_config.py"
    path.write_text(config_text(course), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    """``python -m coursekit.validation --configure LEVEL``: LEVEL is sys-prefix, user, or a folder."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "--configure":
        sys.exit("usage: python -m coursekit.validation --configure sys-prefix|user|FOLDER")
    if args[1] in ("sys-prefix", "user"):
        from coursekit.lab import jupyter_config_dir

        folder = jupyter_config_dir(args[1])
    else:
        folder = Path(args[1])
    course = Path(__file__).resolve().parent.parent
    print(f"nbgrader validate screens as the autograder does: {write_config(folder, course)}")


if __name__ == "__main__":
    main()
