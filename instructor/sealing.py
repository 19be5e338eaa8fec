"""The grader's half of sealed tests (``coursekit.guard`` is the kernel's half).

Each test cell of a submission is run through ``coursekit.guard.run_test``:
the grader writes the test's code, as the gradebook holds it, to a file in a
folder that only the kernel's guard knows by name, sends the kernel a
one-line call instead of the cell, and counts the cell only when the output
holds the guard's seal for this cell, this run (a fresh nonce) and this
code, signed with the key the grader gave that kernel alone.
"""

from __future__ import annotations

import ast
import atexit
import builtins
import hashlib
import hmac
import os
import secrets
import shutil
import tempfile

from coursekit.guard import ALLOWED_IMPORTS, SEAL


def free_names(source: str) -> tuple[str, ...]:
    """The names a test uses without binding them: what it takes from the notebook (the exercise's functions)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return tuple(sorted(loaded - bound - set(dir(builtins))))


def preloads(cells) -> tuple[str, ...]:
    """The modules the notebook's own cells (setup and tests, as the gradebook restores them) import.

    The grading kernel imports them before the guard's snapshot (``coursekit.kernel``), so what the
    tests rely on is in it, and nothing else: a chapter without a crawler never loads aiohttp.
    """
    found = set()
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("solution") or not (meta.get("locked") or meta.get("grade")):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return tuple(sorted(name for name in found if name.split(".")[0] in ALLOWED_IMPORTS))


_root: list[str] = []


def tests_root() -> str:
    """This grading process's folder for every notebook's test folder (made once, 0711, gone at exit).

    A warm kernel's sandbox is made once per grading process (instructor/zygote.py), so the test folders
    it will need are all in one place it can bind then.
    """
    if not _root or not os.path.isdir(_root[0]):
        _root[:] = [tempfile.mkdtemp(prefix="course-tests-")]
        os.chmod(_root[0], 0o711)
        atexit.register(shutil.rmtree, _root[0], True)
    return _root[0]


def new_folder() -> str:
    """A folder for one notebook's tests, in ``tests_root()``."""
    return tempfile.mkdtemp(prefix="notebook-", dir=tests_root())


class Sealer:
    """One kernel's key and test folder, and the checks of its seals."""

    def __init__(self, folder: str) -> None:
        self.key = secrets.token_bytes(32)
        # The kernel may cross ``folder`` but not list it (0711): it reaches the tests only by a name it is
        # told, which the guard keeps.
        os.chmod(folder, 0o711)
        self.tests = os.path.join(folder, "t-" + secrets.token_hex(16))
        os.makedirs(self.tests, mode=0o755)
        os.chmod(self.tests, 0o755)

    def environment(self) -> dict[str, str]:
        return {"COURSEKIT_SEAL_KEY": self.key.hex(), "COURSEKIT_TESTS": self.tests}

    def prepare(self, cell_id: str, source: str) -> tuple[str, str]:
        """Write the test's code for the kernel; the call to send in its place, and the nonce of this run."""
        path = os.path.join(self.tests, f"{cell_id}.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        os.chmod(path, 0o644)
        nonce = secrets.token_hex(16)
        call = f'__import__("coursekit.guard").guard.run_test({cell_id!r}, {nonce!r}, {free_names(source)!r})'
        return call, nonce

    def finish(self, cell, cell_id: str, nonce: str, source: str) -> bool:
        """Take the seal out of the cell's output; whether it is this run's, signed with this kernel's key."""
        try:
            os.remove(os.path.join(self.tests, f"{cell_id}.py"))
        except OSError:
            pass
        digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
        expected = hmac.new(self.key, f"{cell_id}\n{nonce}\n{digest}".encode("utf-8"), "sha256").hexdigest()
        sealed = False
        kept = []
        for output in cell.outputs:
            if output.get("output_type") == "stream" and SEAL in output.get("text", ""):
                lines = []
                for line in output["text"].splitlines(keepends=True):
                    at = line.find(SEAL + " ")
                    if at < 0:
                        lines.append(line)
                        continue
                    # After a print(..., end=" ") the seal shares the line with what the test printed last.
                    words = line[at:].split()
                    sealed = sealed or (len(words) == 4 and words[1:3] == [cell_id, nonce]
                                        and hmac.compare_digest(words[3], expected))
                    if line[:at]:
                        lines.append(line[:at])
                output["text"] = "".join(lines)
                if not output["text"]:
                    continue
            kept.append(output)
        cell.outputs = kept
        return sealed
