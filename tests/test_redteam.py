"""Hostile submissions, graded by the real pipeline beside honest classmates.

Every attack in tests/submissions/hostile.py is submitted as a student of its
own, next to an honest reference submission ("victim") per assignment and
every answer of the honest-styles corpus (tests/submissions/honest.py), and
the whole class goes through `make autograde` in one run, with the sandbox,
the screening and sealed tests on.  No attack may get a point it did not
earn, every honest classmate keeps exactly their points, no hidden test
reaches what a student gets back, the course's files and gradebook come out
unchanged, and the instructor is told who broke which rule where.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time

import pytest
from nbformat.v4 import new_code_cell
from nbgrader.api import Gradebook

from coursekit.messages import MESSAGES
from instructor import audit, nbtools, screening
from instructor.course import CourseCopy
from submissions.honest import HONEST
from submissions.hostile import ATTACKS
import submissions

pytestmark = [pytest.mark.slow, pytest.mark.long(4), pytest.mark.redteam]  # a test file runs on one worker (make test: --dist loadfile), so its fixtures run once

MODULES = {module.__name__.split(".")[-1]: module for module in submissions.modules()}
# The red-team class runs with shorter limits than a real class (120 s a notebook, 60 s a cell), so
# that the slow attacks cost seconds here; what is checked is that the limits hold, whatever they are.
NOTEBOOK_LIMIT, CELL_LIMIT = 30, 10
# Which attacks this run grades (every honest style is graded either way): REDTEAM_ATTACKS=share (make test:
# every third, on every Python, since what may differ is how the guard meets each Python's library), rest (make
# test-once: the other two thirds, on one Python) or all (the default when pytest runs this file by itself).
PART = os.environ.get("REDTEAM_ATTACKS", "all")
SHARE = 3
TRIED = {name: ATTACKS[name] for number, name in enumerate(sorted(ATTACKS))
         if PART == "all" or (number % SHARE == 0) == (PART == "share")}
# Honest classmates of the corpus are graded after every attack and after "victim" (names sort so).
CLASSMATE = "w_honest_"
# What a test cell shows when the run-time defences stopped it: the guard's refusal, or a verdict without its seal.
RUN_TIME_REFUSALS = ("GuardError", "NotSealed")
_HIDDEN_TESTS = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)^[ \t]*### END HIDDEN TESTS", re.MULTILINE | re.DOTALL)


def build(attack: dict, release, reference) -> object:
    base = nbtools.fill(release, reference) if attack["base"] == "reference" else release
    nb = nbtools.fill(base, attack["answers"])
    first_code = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    for offset, source in enumerate(attack["extra_cells"], start=1):
        nb.cells.insert(first_code + offset, new_code_cell(source))
    return nb


# Honest styles the red team found at risk from the run-time defences, graded beside the corpus's.
RED_TEAM_STYLES = {
    "print_without_newline": {
        "module": "coming_soon",
        "answers": {"parse_poster": """def parse_poster(html: str) -> str:
    src = BeautifulSoup(html, "lxml").select_one("#mainpic img")["src"]
    print("poster:", src, end=" ")  # progress on one line, as students print it
    return src
"""},
        "styles": "a debugging print without a newline in a function the test calls directly (no run_async): "
                  "the guard's seal is printed right after it, on the same line",
    },
}


def classmates() -> dict[str, dict]:
    """Student id -> entry: each correct answer of the honest-styles corpus (and RED_TEAM_STYLES) handed in by a
    classmate."""
    return {f"{CLASSMATE}{name}": entry for name, entry in {**HONEST, **RED_TEAM_STYLES}.items()}


def fingerprint(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, released):
    course = CourseCopy(tmp_path_factory.mktemp("redteam"))
    config = (course.root / "nbgrader_config.py").read_text(encoding="utf-8")
    with open(course.root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(f"\nc.SandboxProvisioner.time_limit = {NOTEBOOK_LIMIT}\nc.Execute.timeout = {CELL_LIMIT}\n")
        if "c.BoundedExecute.sealed = True" not in config:  # sealed tests, until the course's config turns them on
            f.write("c.BoundedExecute.sealed = True\n")
    course.copy_release(released)
    for name, module in MODULES.items():
        release = nbtools.read(course.root / "release" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
        reference = nbtools.reference_answers(
            nbtools.read(course.root / "source" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb"))
        course.submit("victim", module.ASSIGNMENT, module.NOTEBOOK, nbtools.fill(release, reference))
        for student, attack in TRIED.items():
            if attack["module"] == name:
                course.submit(student, module.ASSIGNMENT, module.NOTEBOOK, build(attack, release, reference))
        for student, entry in classmates().items():
            if entry["module"] == name:
                honest = {"base": "reference", "answers": entry["answers"], "extra_cells": entry.get("extra_cells", [])}
                course.submit(student, module.ASSIGNMENT, module.NOTEBOOK, build(honest, release, reference))
    protected = [*course.root.glob("source/*/*.ipynb"), *course.root.glob("submitted/victim/*/*.ipynb"),
                 *course.root.glob(f"submitted/{CLASSMATE}*/*/*.ipynb")]
    before = fingerprint(protected)
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        stored_before = {(c.notebook.name, c.name): (c.source, c.checksum) for c in gb.db.query(_source_cell_class())}
    started = time.perf_counter()
    result = course.make("autograde", "JOBS=2", check=False)
    elapsed = time.perf_counter() - started
    return course, result, elapsed, before, fingerprint(protected), stored_before


def _source_cell_class():
    from nbgrader.api import SourceCell

    return SourceCell


def points(course, module, student) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        try:
            nb = gb.find_submission_notebook(module.NOTEBOOK, module.ASSIGNMENT, student)
        except Exception:
            return {}
        return {grade.name: grade.score for grade in nb.grades}


def autograded(course, module, student):
    """The student's autograded notebook, or None when the grader could not finish it."""
    path = course.root / "autograded" / student / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb"
    return nbtools.read(path) if path.exists() else None


def outputs_of(nb) -> list[tuple[int, str, str]]:
    """(cell as JupyterLab numbers it, output type or error name, text) for every output: what the student gets back."""
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                found.append((number, kind, output.get("text", "")))
            elif kind == "error":
                found.append((number, output.get("ename", ""),
                              "\n".join([output.get("evalue", ""), *output.get("traceback", [])])))
            else:
                found.append((number, kind, json.dumps(output.get("data", {}), ensure_ascii=False)))
    return found


def refused_at_run_time(course, module, student) -> list[str]:
    """What the guard refused (or which verdict had no seal), as the autograded notebook tells the instructor."""
    nb = autograded(course, module, student)
    if nb is None:
        return []
    return [f"cell {number}: {kind}: {text.splitlines()[0] if text else ''}"
            for number, kind, text in outputs_of(nb) if kind in RUN_TIME_REFUSALS]


def hidden_test_lines(course) -> list[str]:
    """Lines of the hidden tests that no student may read: long enough to tell, and shown nowhere else."""
    sources = [nbtools.read(p) for p in sorted(course.root.glob("source/*/*.ipynb"))]
    public = "\n".join(nbtools.public_text(nb) for nb in sources)
    lines = {line.strip() for nb in sources for cell in nb.cells if cell.cell_type == "code"
             for region in _HIDDEN_TESTS.findall(cell.source) for line in region.splitlines()}
    return sorted(line for line in lines if len(line) >= 16 and line not in public and not line.startswith("#"))


def test_there_are_enough_attacks_of_every_kind():
    assert len(ATTACKS) >= 94  # the earlier red team's 74, and at least 20 on the run-time defences
    assert {a["module"] for a in ATTACKS.values()} == set(MODULES)
    assert len([name for name in ATTACKS if name[:3] in {f"c{n}" for n in range(12, 20)}]) >= 20
    assert all(name < "victim" < CLASSMATE for name in ATTACKS)
    assert len(HONEST) >= 28 and {e["module"] for e in HONEST.values()} == set(MODULES)


@pytest.mark.parametrize("student", sorted(TRIED))
def test_no_attack_gets_a_point_it_did_not_earn(graded, student):
    course = graded[0]
    attack = TRIED[student]
    module = MODULES[attack["module"]]
    got = points(course, module, student)
    # A submission the grader could not finish (its kernel killed by a limit) has no score at all.
    for cell, earned in attack["expected"].items():
        assert got.get(cell, 0) <= earned, f"{student} ({attack['why']}): {cell} scored {got.get(cell)}, earned {earned}"
    assert sum(got.values()) <= sum(attack["expected"].values())


@pytest.mark.parametrize("name", sorted(MODULES))
def test_honest_classmates_keep_exactly_their_points(graded, name):
    course = graded[0]
    module = MODULES[name]
    assert points(course, module, "victim") == module.FULL


@pytest.mark.parametrize("student", sorted(classmates()))
def test_every_honest_style_keeps_full_marks_beside_the_attacks(graded, student):
    course = graded[0]
    entry = classmates()[student]
    module = MODULES[entry["module"]]
    got = points(course, module, student)
    shown = refused_at_run_time(course, module, student)
    assert got == module.FULL, f"{student} ({entry['styles']}): {got}; refused at run time: {shown}"


def test_no_hidden_test_reaches_what_a_student_gets_back(graded):
    """Outputs of the autograded notebooks are what the feedback shows (instructor.feedback removes only the
    hidden tests' code and tracebacks): no attack may print or raise a line of a hidden test into them."""
    course = graded[0]
    secrets = hidden_test_lines(course)
    assert len(secrets) >= 10
    leaks = []
    for student, attack in sorted(TRIED.items()):
        nb = autograded(course, MODULES[attack["module"]], student)
        if nb is None:
            continue
        for number, kind, text in outputs_of(nb):
            shown = [line for line in secrets if line in text]
            if shown:
                leaks.append(f"{student}, cell {number} ({kind}): {shown[0]!r} and {len(shown) - 1} more")
    assert not leaks, "\n".join(leaks)


def test_course_files_and_stored_tests_are_unchanged(graded):
    course, _, _, before, after, stored_before = graded
    assert before == after
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        stored_after = {(c.notebook.name, c.name): (c.source, c.checksum) for c in gb.db.query(_source_cell_class())}
    assert stored_after == stored_before
    assert audit.overrides(f"sqlite:///{course.root / 'gradebook.db'}") == []


def test_the_instructor_sees_who_broke_which_rule(graded):
    """Screening is advice now, and attacks are stopped at run time too: the instructor is told either way.

    Screening's findings are listed at the end of `make autograde` and kept per notebook (student, cell as
    JupyterLab numbers it, the line and its code, the rule); a run-time refusal stays in the autograded notebook,
    in the test cell it cost, saying what was refused; a notebook stopped by a limit is listed as failed, with the
    limit. Nobody honest is named in any of these.
    """
    course, result, _, _, _, _ = graded
    records = screening.flagged(str(course.root / "autograded"))
    screened = {(r["student"], r["assignment"]) for r in records}
    for record in records:  # each finding names the line it is about, as the student's notebook has it
        handed_in = nbtools.read(course.root / "submitted" / record["student"] / record["assignment"]
                                 / f"{record['notebook']}.ipynb")
        for v in record["violations"]:
            lines = handed_in.cells[v["cell"] - 1].source.splitlines() if 1 <= v["cell"] <= len(handed_in.cells) else []
            assert v["reason"].strip() and v["code"].strip(), (record["student"], v)
            assert 1 <= v["line"] <= len(lines) and lines[v["line"] - 1].strip() == v["code"].strip(), (record["student"], v)
    for name, module in MODULES.items():
        assert ("victim", module.ASSIGNMENT) not in screened
        assert refused_at_run_time(course, module, "victim") == [], name
    for student, entry in classmates().items():
        module = MODULES[entry["module"]]
        assert (student, module.ASSIGNMENT) not in screened, student
        assert refused_at_run_time(course, module, student) == [], student
    status_file = course.root / "logs" / "autograde" / "status.json"
    status = json.loads(status_file.read_text(encoding="utf-8")) if status_file.exists() else {}
    told = {}
    for student, attack in TRIED.items():
        module = MODULES[attack["module"]]
        if (student, module.ASSIGNMENT) in screened:
            told[student] = "screening"
        elif refused_at_run_time(course, module, student):
            told[student] = "run time"
        elif status.get(f"{module.ASSIGNMENT}/{student}", {}).get("status") == "failed":
            told[student] = "limits"  # make autograde lists it as failed, with the limit it hit
    assert len(told) >= len(TRIED) // 2, "most attacks need code the policy refuses or the guard stops"
    assert "run time" in told.values() and "screening" in told.values()
    # A refusal says what was refused, in the guard's words (coursekit.messages), not just that something failed.
    said = [MESSAGES[key]["en"].split("{")[0].strip() for key in MESSAGES if key.startswith("guard_")]
    for student, how in told.items():
        if how == "run time":
            module = MODULES[ATTACKS[student]["module"]]
            for line in refused_at_run_time(course, module, student):
                assert "NotSealed" in line or any(words in line for words in said), (student, line)
    assert "screening:" in result.stdout and "cell" in result.stdout


def test_the_run_is_bounded(graded):
    """Each notebook is stopped after NOTEBOOK_LIMIT seconds, so the class cannot take longer than this."""
    _, _, elapsed, _, _, _ = graded
    notebooks = len(TRIED) + len(MODULES) + len(classmates())
    assert elapsed < notebooks * (NOTEBOOK_LIMIT + 10)
