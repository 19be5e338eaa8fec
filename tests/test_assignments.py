"""Source assignments validate, release versions fail, release/ is in sync and clean."""

from __future__ import annotations

import filecmp
import subprocess

import pytest

from instructor import nbtools
from conftest import ASSIGNMENTS, ROOT
from instructor.course import CourseCopy

pytestmark = pytest.mark.slow


def notebooks(folder: str, assignment: str):
    return sorted((ROOT / folder / assignment).glob("*.ipynb"))


def test_there_is_something_to_test():
    assert "01-crawler" in ASSIGNMENTS
    for assignment in ASSIGNMENTS:
        assert notebooks("source", assignment), f"source/{assignment} has no notebook"
        assert notebooks("release", assignment), f"release/{assignment} is missing: run make release"


def validate(path, *extra):
    return subprocess.run(["nbgrader", "validate", *extra, str(path)], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_solutions_pass_every_test(assignment):
    for path in notebooks("source", assignment):
        result = validate(path)
        assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_versions_fail_every_test(assignment):
    for path in notebooks("release", assignment):
        result = validate(path, "--invert")
        assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout + result.stderr


def test_make_release_reproduces_the_committed_release(tmp_path):
    course = CourseCopy(tmp_path)
    course.make("release")
    comparison = filecmp.dircmp(tmp_path / "release", ROOT / "release")
    stale = []

    def walk(cmp, prefix=""):
        stale.extend(prefix + name for name in cmp.left_only + cmp.right_only + cmp.diff_files + cmp.funny_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(comparison)
    # dircmp compares by stat first; compare every file's bytes to be sure.
    for new in (tmp_path / "release").rglob("*"):
        if new.is_file() and not filecmp.cmp(new, ROOT / "release" / new.relative_to(tmp_path / "release"), shallow=False):
            stale.append(str(new.relative_to(tmp_path / "release")))
    assert not stale, f"release/ is out of date for {sorted(set(stale))}: run make release and commit"


def test_release_holds_no_solution_or_hidden_test():
    sources = [nbtools.read(path) for a in ASSIGNMENTS for path in notebooks("source", a)]
    secrets = nbtools.secret_lines(sources)
    assert len(secrets) > 20 * len(sources), f"only {len(secrets)} hidden lines found: are the regions marked?"
    released = {p: p.read_text(encoding="utf-8") for p in (ROOT / "release").rglob("*") if p.is_file()}
    for line in secrets:
        leaks = [str(p.relative_to(ROOT)) for p, text in released.items() if line in text]
        assert not leaks, f"{line!r} from a hidden region appears in {leaks}"
    for text in released.values():
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text


def test_committed_notebooks_have_no_outputs():
    for path in [*ROOT.glob("source/*/*.ipynb"), *ROOT.glob("release/*/*.ipynb"), *ROOT.glob("notebooks/*.ipynb")]:
        nb = nbtools.read(path)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.relative_to(ROOT)} has outputs: clear them"
