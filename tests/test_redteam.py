"""Hostile submissions, graded by the real pipeline beside honest classmates.

Every attack in tests/submissions/hostile.py is submitted as a student of its
own, next to an honest reference submission ("victim") per assignment, and
the whole class goes through `make autograde` in one run, sandbox and
screening on.  No attack may get a point it did not earn, every honest
classmate keeps exactly their points, the course's files and gradebook come
out unchanged, and the instructor is told who broke which rule where.
"""

from __future__ import annotations

import hashlib
import importlib
import time

import pytest
from nbformat.v4 import new_code_cell
from nbgrader.api import Gradebook

from instructor import audit, nbtools, screening
from instructor.course import CourseCopy
from submissions.hostile import ATTACKS

pytestmark = pytest.mark.slow  # a test file runs on one worker (make test: --dist loadfile), so its fixtures run once

MODULES = {name: importlib.import_module(f"submissions.{name}") for name in ("crawler", "toolkit", "runtime", "coming_soon")}
# The red-team class runs with shorter limits than a real class (120 s a notebook, 60 s a cell), so
# that the slow attacks cost seconds here; what is checked is that the limits hold, whatever they are.
NOTEBOOK_LIMIT, CELL_LIMIT = 20, 10


def build(attack: dict, release, reference) -> object:
    base = nbtools.fill(release, reference) if attack["base"] == "reference" else release
    nb = nbtools.fill(base, attack["answers"])
    first_code = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    for offset, source in enumerate(attack["extra_cells"], start=1):
        nb.cells.insert(first_code + offset, new_code_cell(source))
    return nb


def fingerprint(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = CourseCopy(tmp_path_factory.mktemp("redteam"))
    with open(course.root / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(f"\nc.SandboxProvisioner.time_limit = {NOTEBOOK_LIMIT}\nc.Execute.timeout = {CELL_LIMIT}\n")
    course.make("release")
    for name, module in MODULES.items():
        release = nbtools.read(course.root / "release" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb")
        reference = nbtools.reference_answers(
            nbtools.read(course.root / "source" / module.ASSIGNMENT / f"{module.NOTEBOOK}.ipynb"))
        course.submit("victim", module.ASSIGNMENT, module.NOTEBOOK, nbtools.fill(release, reference))
        for student, attack in ATTACKS.items():
            if attack["module"] == name:
                course.submit(student, module.ASSIGNMENT, module.NOTEBOOK, build(attack, release, reference))
    protected = [*course.root.glob("source/*/*.ipynb"), *course.root.glob("submitted/victim/*/*.ipynb")]
    before = fingerprint(protected)
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        stored_before = {(c.notebook.name, c.name): (c.source, c.checksum) for c in gb.db.query(_source_cell_class())}
    started = time.perf_counter()
    result = course.make("autograde", check=False)
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


def test_there_are_enough_attacks_of_every_kind():
    assert len(ATTACKS) >= 30
    assert {a["module"] for a in ATTACKS.values()} == set(MODULES)


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_no_attack_gets_a_point_it_did_not_earn(graded, student):
    course = graded[0]
    attack = ATTACKS[student]
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


def test_course_files_and_stored_tests_are_unchanged(graded):
    course, _, _, before, after, stored_before = graded
    assert before == after
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        stored_after = {(c.notebook.name, c.name): (c.source, c.checksum) for c in gb.db.query(_source_cell_class())}
    assert stored_after == stored_before
    assert audit.overrides(f"sqlite:///{course.root / 'gradebook.db'}") == []


def test_the_instructor_sees_who_broke_which_rule(graded):
    course, result, _, _, _, _ = graded
    records = {(r["student"], r["assignment"]) for r in screening.flagged(str(course.root / "autograded"))}
    assert ("victim", "01-crawler") not in records
    screened = [s for s, a in ATTACKS.items() if (s, MODULES[a["module"]].ASSIGNMENT) in records]
    assert len(screened) >= len(ATTACKS) // 2, "most attacks need code the policy refuses"
    assert "screening:" in result.stdout and "cell" in result.stdout


def test_the_run_is_bounded(graded):
    """Each notebook is stopped after NOTEBOOK_LIMIT seconds, so the class cannot take longer than this."""
    _, _, elapsed, _, _, _ = graded
    notebooks = len(ATTACKS) + len(MODULES)
    assert elapsed < notebooks * (NOTEBOOK_LIMIT + 10)
