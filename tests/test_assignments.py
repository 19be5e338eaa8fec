"""Source assignments validate, release versions fail, release/ is in sync and clean; each test cell stands alone."""

from __future__ import annotations

import ast
import filecmp
import subprocess

import pytest

from instructor import nbtools
from conftest import ASSIGNMENTS, ROOT
from instructor.course import CourseCopy
from instructor.sealing import free_names

pytestmark = [pytest.mark.slow, pytest.mark.long(2.5)]


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


def graded_test_cells(nb) -> list[tuple[str, str]]:
    """(grade id, code) of every test cell."""
    return [(c.metadata["nbgrader"]["grade_id"], c.source) for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def exercise_names(nb) -> set[str]:
    """What a test may take from the notebook: the functions and classes its solution cells and its locked cells
    define (the exercises', and those the notebook provides, such as crawl_page), and what the solution cells assign
    (background_saves). Never a name a test cell defines, or one the setup cell imports."""
    names = set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")):
            continue
        if not (meta.get("solution") or meta.get("locked")):
            continue  # a Try-it cell: the student's to change
        try:
            tree = ast.parse(nbtools._SOLUTION.sub("", cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif meta.get("solution") and isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_test_cell_takes_only_the_exercises_names_from_the_notebook(assignment):
    """A sealed test sees the builtins, its own imports and the names it reads from the notebook (free_names): a
    helper of another test cell, or a name the setup cell imports, would be missing there."""
    for path in notebooks("source", assignment):
        nb = nbtools.read(path)
        given = exercise_names(nb)
        for grade_id, source in graded_test_cells(nb):
            taken = set(free_names(source))
            assert taken <= given, f"{grade_id} reads {sorted(taken - given)} from the notebook: import it in the cell"
            tree = ast.parse(source)
            swaps = [type(n).__name__ for n in ast.walk(tree) if isinstance(n, (ast.Global, ast.Nonlocal))]
            swaps += [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in ("globals", "vars")]
            assert not swaps, f"{grade_id} uses {swaps}: reach the student's code with coursekit.checks.provided"


ALONE = """\
__scope = {{"__name__": "__test__", "__builtins__": __import__("builtins")}}
__scope.update({{__name: globals()[__name] for __name in {names!r} if __name in globals()}})
exec(compile({source!r}, "<test {grade_id}>", "exec"), __scope)
"""


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_test_cell_passes_alone(assignment):
    """The reference solutions, then each test cell in globals of its own, as coursekit.guard.run_test runs it:
    the builtins, and from the notebook only the names the test reads (instructor.sealing.free_names)."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    for path in notebooks("source", assignment):
        nb = nbtools.read(path)
        tests = graded_test_cells(nb)
        meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
        cells = [new_code_cell(nbtools._SOLUTION.sub("", c.source)) for c, m in zip(nb.cells, meta)
                 if c.cell_type == "code" and (m.get("grade_id") == "setup" or m.get("solution"))]
        cells += [new_code_cell(ALONE.format(names=free_names(source), source=source, grade_id=grade_id))
                  for grade_id, source in tests]
        run = new_notebook(cells=cells)
        NotebookClient(run, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        failed = {}
        for cell, name in zip(run.cells, ["setup or solution"] * (len(cells) - len(tests)) + [g for g, _ in tests]):
            for output in cell.outputs:
                if output.output_type == "error" or (output.output_type == "stream" and output.name == "stderr"):
                    failed.setdefault(name, []).append(output.get("evalue") or output.get("text"))
        assert not failed, f"{path.name}: {failed}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_run_all_on_a_half_done_notebook_reaches_the_last_cell(assignment):
    """As JupyterLab's Run All does: a cell that raises stops the run unless it is tagged raises-exception
    (nbclient honours the tag as JupyterLab does). The answer, Try-it and test cells of an unfinished
    exercise raise, so each carries the tag."""
    from nbclient import NotebookClient

    for path in notebooks("release", assignment):
        nb = nbtools.read(path)
        tagged = {c.id for c in nb.cells if "raises-exception" in c.metadata.get("tags", [])}
        first = next(iter(nbtools.reference_answers(nbtools.read(ROOT / "source" / assignment / path.name)).items()))
        half_done = nbtools.fill(nb, dict([first]))
        NotebookClient(half_done, timeout=120, kernel_name="python3", allow_errors=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        code = [c for c in half_done.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code), f"{path.name}: Run All stopped before the end"
        failed = [c for c in code if any(o.output_type == "error" for o in c.outputs)]
        assert failed and all(c.id in tagged or c.metadata.get("nbgrader", {}).get("grade_id") == "policy_check"
                              for c in failed), path.name


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
