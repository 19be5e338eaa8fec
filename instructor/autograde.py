"""Autograde a class, several students at a time: ``python -m instructor.autograde`` (make autograde).

    python -m instructor.autograde [--jobs N] [--assignment ID] [--student ID]

nbgrader grades one submission at a time; this keeps grading processes for
``--jobs`` cores (twice as many: a notebook's grading waits for part of its
time; ``processes_for``), forked from one that has imported nbgrader, each of
which loads the course's config once and then
grades submission after submission through nbgrader's own API
(``NbGraderAPI.autograde``, what ``nbgrader autograde <assignment> --student
<id> --force`` runs), every one in a fresh sandboxed kernel (the sandbox gives
every grading process its own user).  Loading nbgrader costs about 2 s, so
a process per submission would spend a third of its time importing.  The
submissions are handed out one assignment after another in turn, so that
chapter 4's, which mostly wait, are spread among the others, which compute.  Every
process writes the same gradebook: SQLite with a busy timeout
(nbgrader_config.py), or the PostgreSQL server that ``GRADEBOOK_URL`` names,
which lets several machines share the work.  Points are the ones a serial run
gives: the same nbgrader code grades every submission either way.  Should a
grading process die, the submissions it held are graded again, each by a
plain ``nbgrader autograde`` process of its own.

Before a submission is graded its old feedback page goes (it described the old
grade); a submission that fails leaves no grade in the gradebook either, so
grades.csv, the gradebook and feedback agree.  A folder that holds none of the
assignment's notebooks fails at once, with the file name it should hold.

It prints progress (done, failed, time left), keeps each submission's log in
``logs/autograde/<assignment>/<student>.log``, and records how each one ended
in ``logs/autograde/status.json`` (graded, or failed with the reason), which
``make grades`` and ``make report`` read.  One submission's failure never
stops the others; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
import multiprocessing
from pathlib import Path

STATUS = Path("logs") / "autograde" / "status.json"


def submissions(course: Path, assignment: str | None, student: str | None) -> list[tuple[str, str]]:
    """(assignment, student) for every submission there is to grade, assignments in course order."""
    assignments = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    work = []
    for a in assignments:
        if assignment and a != assignment:
            continue
        for folder in sorted((course / "submitted").glob(f"*/{a}")):
            if folder.is_dir() and (student is None or folder.parent.name == student):
                work.append((a, folder.parent.name))
    return work


def failure_reason(log: str) -> str:
    """The line of nbgrader's log that says why a submission could not be graded."""
    patterns = [
        r"ran longer than [\d.]+ s in all",
        r"DeadKernelError[^\n]*",
        r"CellTimeoutError[^\n]*",
        r"(?:JSONDecodeError|NotJSONError|ValidationError|UnicodeDecodeError)[^\n]*",
        r"No notebooks found[^\n]*",
        r"nbgrader autograde refused[^\n]*",
        r"RuntimeError: [^\n]*",
    ]
    for pattern in patterns:
        found = re.search(pattern, log)
        if found:
            return found.group(0).strip()[:300]
    errors = [line for line in log.splitlines() if "| ERROR]" in line]
    return errors[0].split("]", 1)[1].strip()[:300] if errors else "nbgrader failed (see the log)"


def record(course: Path, assignment: str, student: str, log: str, failed: bool, started: float) -> dict:
    """Keep the log of one submission and say how its grading ended."""
    path = course / "logs" / "autograde" / assignment / f"{student}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(log, encoding="utf-8")
    failed = failed or "There was an error processing assignment" in log
    return {
        "assignment": assignment,
        "student": student,
        "status": "failed" if failed else "graded",
        "reason": failure_reason(log) if failed else "",
        "seconds": round(time.perf_counter() - started, 2),
        "log": str(path.relative_to(course)),
    }


def grade_one(course: Path, assignment: str, student: str) -> dict:
    """Grade one submission in an ``nbgrader autograde`` process of its own."""
    started = time.perf_counter()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "autograde", assignment, "--student", student, "--force"],
        cwd=course, capture_output=True, text=True,
    )
    return record(course, assignment, student, result.stdout + result.stderr, result.returncode != 0, started)


# -- grading processes -----------------------------------------------------------------
_api = None


def _start_worker(course: str) -> None:
    """Load nbgrader and the course's config once for every submission this process grades."""
    global _api
    # Kernels inherit descriptors 1 and 2: their start-up chatter goes to a file, not the progress lines.
    log = Path(course) / "logs" / "autograde" / "workers" / f"{os.getpid()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.chdir(course)
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    # run() has checked that the sandbox can start (what nbgrader_config.py does for `nbgrader autograde`).
    config = PyFileConfigLoader("nbgrader_config.py", path=course).load_config()
    _api = NbGraderAPI(config=config)


def _enroll(students: list[str]) -> None:
    """Add every student to the gradebook who is not in it yet."""
    from nbgrader.api import Gradebook

    with Gradebook(_api.coursedir.db_url, _api.coursedir.course_id) as gb:
        for student in students:
            gb.update_or_create_student(student)


def misnamed(course: Path, assignment: str, student: str) -> str | None:
    """Why a submission folder holds none of the assignment's notebooks, naming the files it should hold."""
    expected = sorted(p.name for p in (course / "source" / assignment).glob("*.ipynb"))
    folder = course / "submitted" / student / assignment
    found = sorted(p.name for p in folder.glob("*.ipynb"))
    if not expected or set(expected) & set(found):
        return None
    return (f"submitted/{student}/{assignment}/ holds {', '.join(found) or 'no notebook'} but not "
            f"{', '.join(expected)}: rename the student's notebook to {expected[0]} (make collect does it) "
            "and grade again")


def _grade_in_worker(course: str, assignment: str, student: str) -> dict:
    from nbgrader.api import Gradebook, MissingEntry

    started = time.perf_counter()
    coursedir = _api.coursedir
    # Feedback describes a grade: the grade is about to change, so the old page goes (make feedback writes anew).
    shutil.rmtree(coursedir.format_path(coursedir.feedback_directory, student, assignment), ignore_errors=True)
    wrong_name = misnamed(Path(course), assignment, student)
    if wrong_name:
        row = record(Path(course), assignment, student, wrong_name, True, started)
        row["reason"] = wrong_name
    else:
        result = _api.autograde(assignment, student, force=True, create=True)
        log = result.get("log", "") + result.get("error", "")
        row = record(Path(course), assignment, student, log, not result["success"], started)
    if row["status"] == "failed":
        # What the gradebook held was the grade of a submission that is no longer there: grades.csv,
        # the gradebook and feedback then agree that this one has no grade.
        with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
            try:
                gb.remove_submission(assignment, student)
            except MissingEntry:
                pass
    return row


def interleaved(work: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The same submissions, one of each assignment in turn."""
    queues: dict[str, list[tuple[str, str]]] = {}
    for item in work:
        queues.setdefault(item[0], []).append(item)
    order = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                order.append(queue.pop(0))
    return order


def read_status(course: Path) -> dict[str, dict]:
    try:
        return json.loads((course / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def processes_for(jobs: int) -> int:
    """Grading processes that keep ``jobs`` cores busy: twice as many.

    A notebook's grading waits for part of its time without using a core: the kernel's start, and above all
    chapter 4's sites, latencies and timeouts (benchmarks/breakdown.py: chapter 4 uses 1.2-1.7 s of CPU in
    2.8-3.1 s a notebook; the others 0.6-1.4 s in 0.8-1.5 s). On 2 cores, 3 processes kept them 75 % busy
    and 4 processes 85 % (benchmarks/class.py). One job stays one process (a serial run).
    """
    return jobs if jobs < 2 else 2 * jobs


def run(course: Path, jobs: int, assignment: str | None = None, student: str | None = None, out=sys.stdout) -> int:
    work = submissions(course, assignment, student)
    for name in sorted(p.name for p in (course / "source").iterdir() if p.is_dir()):
        if (assignment is None or name == assignment) and not any(a == name for a, _ in work):
            print(f"autograde: no submissions for {name} yet", file=out)
    if not work:
        print("autograde: nothing to grade (no submitted/<student>/<assignment>/ folders match)", file=out)
        return 0
    from instructor import sandbox

    try:
        sandbox.require()
    except sandbox.SandboxUnavailable as error:
        print(f"nbgrader autograde refused: {error}", file=out)
        return 2
    status = read_status(course)
    done = failed = 0
    started = time.perf_counter()
    processes = min(processes_for(jobs), len(work))
    print(f"autograde: {len(work)} submission(s), {processes} at a time on {jobs} core(s); {sandbox.summary()}",
          file=out, flush=True)

    def finished(row: dict) -> None:
        nonlocal done, failed
        done += 1
        failed += row["status"] == "failed"
        status[f"{row['assignment']}/{row['student']}"] = row
        (course / STATUS).parent.mkdir(parents=True, exist_ok=True)
        (course / STATUS).write_text(json.dumps(status, indent=1, sort_keys=True), encoding="utf-8")
        elapsed = time.perf_counter() - started
        left = elapsed / done * (len(work) - done)
        note = f"FAILED: {row['reason']}" if row["status"] == "failed" else f"graded in {row['seconds']:.1f} s"
        print(f"[{done}/{len(work)}] {row['assignment']} {row['student']}: {note} | failed so far {failed} | "
              f"{elapsed:.0f} s elapsed, about {left:.0f} s left", file=out, flush=True)

    orphans = []  # submissions whose grading process died under them
    # Forked by a server process that has imported nbgrader (a process of one thread, as this one is not once
    # the pool runs): no grading process imports it again, and they share its pages.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["nbgrader.apps", "instructor.execute", "instructor.sandbox"])
    with ProcessPoolExecutor(max_workers=processes, mp_context=context,
                             initializer=_start_worker, initargs=(str(course),)) as pool:
        # nbgrader adds a student to the gradebook with their first graded submission: two processes that
        # grade a new student's notebooks at once would both add them, and one fails (UNIQUE constraint).
        try:
            pool.submit(_enroll, sorted({s for _, s in work})).result()
        except Exception as error:  # each grading adds its student then, as nbgrader does
            print(f"autograde: could not add the students to the gradebook first ({error!r})", file=out, flush=True)
        try:
            futures: dict[Future, tuple[str, str]] = {pool.submit(_grade_in_worker, str(course), a, s): (a, s)
                                                      for a, s in interleaved(work)}
        except BrokenProcessPool:  # the pool died before it had the work: each submission in a process of its own
            futures = {}
            orphans.extend(interleaved(work))
        for future in as_completed(futures):
            try:
                finished(future.result())
            except BrokenProcessPool:
                orphans.append(futures[future])
            except Exception as error:  # a fault of this script's, not of the submission: say so, go on
                a, s = futures[future]
                finished(record(course, a, s, f"the grading process failed: {error!r}", True, time.perf_counter()))
    for a, s in orphans:
        finished(grade_one(course, a, s))
    print(f"autograde: {done - failed} graded, {failed} failed in {time.perf_counter() - started:.0f} s", file=out)
    if failed:
        print(f"autograde: some submissions failed, see {STATUS} (the others were graded)", file=out, flush=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m instructor.autograde", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS") or 1))
    parser.add_argument("--assignment")
    parser.add_argument("--student")
    parser.add_argument("--course", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    sys.exit(run(args.course, max(1, args.jobs), args.assignment, args.student))


if __name__ == "__main__":
    main()
