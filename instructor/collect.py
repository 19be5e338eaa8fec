"""Take a learning platform's download into nbgrader's ``submitted/`` folder.

    python -m instructor.collect ASSIGNMENT ZIP [--pattern REGEX]     (make collect ASSIGNMENT=... ZIP=...)

Moodle names each file ``Full Name_<id>_assignsubmission_file_<file>`` (or puts
it in a folder of that name); Canvas names it ``<name>_<id>_<submission>_<file>``,
``<name>_LATE_<id>_<submission>_<file>`` when late, and appends ``-1``, ``-2`` to
resubmitted files.  The numeric id becomes the student id.  Browsers save a
second download as ``crawler (1).ipynb``: such names are brought back to the
notebook's own, and a lone notebook under another name is taken as the
assignment's only notebook.

Which one is graded: of all the notebooks a student handed in for an
assignment notebook, the latest one that is a readable notebook.  A file is
never placed over a newer submission, and a broken file (not a notebook, cut
short) never replaces a readable one; if a student handed in nothing readable,
the latest file is placed, and grading says why it fails.  Nothing is lost:
every file taken from a download is also kept in
``archive/<assignment>/<student>/`` under its time and its name in the zip.
Each submission gets nbgrader's ``timestamp.txt`` (the time in the zip), so
nbgrader computes lateness against the due date.  Everything taken or skipped
is reported with the reason.
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

PATTERNS = {
    "moodle": r"^(?P<name>[^/]+?)_(?P<id>\d+)_assignsubmission_file_/?(?P<file>[^/]+)$",
    "canvas": r"^(?P<name>[^_/]+)_(?P<late>LATE_)?(?P<id>\d+)_(?P<submission>\d+)_(?P<file>[^/]+)$",
}
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # what nbgrader writes and reads
RENAMED = re.compile(r"^(?P<stem>.+?)(?: \(\d+\)|-\d+)?(?P<suffix>\.ipynb)$")


@dataclass
class Entry:
    """One file of the download, and what became of it."""

    path: str
    student: str | None = None
    notebook: str | None = None
    time: datetime | None = None
    late_mark: bool = False
    action: str = ""  # "taken", "skipped"
    reason: str = ""
    readable: bool = False
    kept: str = ""  # where the archive keeps this file


def readable(data: bytes) -> bool:
    """Whether ``data`` is a notebook nbgrader can read (JSON of the notebook format)."""
    import nbformat

    try:
        nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception:  # any way of not being a notebook: bad JSON, bad encoding, not the format
        return False
    return True


def keep(course: Path, assignment: str, entry: Entry, data: bytes) -> None:
    """Keep a copy of every file handed in: archive/<assignment>/<student>/<time> <name in the zip>."""
    folder = course / "archive" / assignment / (entry.student or "unknown")
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{entry.time:%Y%m%d-%H%M%S} {PurePosixPath(entry.path).name}"
    (folder / name).write_bytes(data)
    entry.kept = str((folder / name).relative_to(course))


def notebooks_of(course: Path, assignment: str) -> list[str]:
    names = sorted(p.stem for p in (course / "release" / assignment).glob("*.ipynb"))
    if not names:
        names = sorted(p.stem for p in (course / "source" / assignment).glob("*.ipynb"))
    if not names:
        raise SystemExit(f"collect: no assignment {assignment!r} in release/ or source/: run make release first")
    return names


def match(path: str, patterns: list[re.Pattern[str]]) -> re.Match[str] | None:
    for pattern in patterns:
        found = pattern.match(path) or pattern.match(PurePosixPath(path).name)
        if found:
            return found
    return None


def notebook_name(file: str, known: list[str]) -> tuple[str | None, str]:
    """The assignment notebook a file is, and how it was recognised."""
    if not file.endswith(".ipynb"):
        return None, f"not a notebook ({file})"
    found = RENAMED.match(file)
    stem = found.group("stem") if found else file[: -len(".ipynb")]
    if stem in known and file == f"{stem}.ipynb":
        return stem, "as named"
    if stem in known:
        return stem, f"renamed back from {file}"
    if len(known) == 1:
        return known[0], f"the assignment's only notebook, saved as {file}"
    return None, f"{file} is none of this assignment's notebooks ({', '.join(known)})"


def read_timestamp(folder: Path) -> datetime | None:
    try:
        text = (folder / "timestamp.txt").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    for fmt in (TIMESTAMP_FORMAT, "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text.replace(" UTC", ""), fmt.replace(" %Z", "")).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def collect(course: Path, assignment: str, archive: Path, pattern: str | None = None) -> list[Entry]:
    known = notebooks_of(course, assignment)
    patterns = [re.compile(pattern)] if pattern else [re.compile(p) for p in PATTERNS.values()]
    entries: list[Entry] = []
    chosen: dict[tuple[str, str], tuple[Entry, bytes]] = {}
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir() or PurePosixPath(info.filename).name.startswith("."):
                continue
            entry = Entry(info.filename, time=datetime(*info.date_time, tzinfo=timezone.utc))
            entries.append(entry)
            found = match(info.filename, patterns)
            if found is None:
                entry.action, entry.reason = "skipped", "its name follows no known pattern (give --pattern)"
                continue
            entry.student = found.group("id")
            entry.late_mark = bool(found.groupdict().get("late"))
            entry.notebook, how = notebook_name(found.group("file"), known)
            if entry.notebook is None:
                entry.action, entry.reason = "skipped", how
                continue
            entry.reason = how
            data = zf.read(info)
            keep(course, assignment, entry, data)
            entry.readable = readable(data)
            key = (entry.student, entry.notebook)
            if key in chosen:
                other, _ = chosen[key]
                # The latest readable one wins; a broken file only when no readable one was handed in.
                older = min((other, entry), key=lambda e: (e.readable, e.time, _revision(e.path)))
                older.action = "skipped"
                if not older.readable and (other.readable or entry.readable):
                    older.reason = "not a readable notebook, and a readable one was handed in"
                else:
                    older.reason = "an older file of the same student and notebook"
                if older is other:
                    chosen[key] = (entry, data)
            else:
                chosen[key] = (entry, data)
        for (student, notebook), (entry, data) in sorted(chosen.items()):
            folder = course / "submitted" / student / assignment
            target = folder / f"{notebook}.ipynb"
            existing = read_timestamp(folder)
            if target.exists() and existing is not None and existing >= entry.time:
                entry.action, entry.reason = "skipped", f"submitted/ already holds a newer or equal one ({existing:%Y-%m-%d %H:%M})"
                continue
            if target.exists() and not entry.readable and readable(target.read_bytes()):
                entry.action = "skipped"
                entry.reason = "not a readable notebook: submitted/ keeps the readable one handed in before"
                continue
            folder.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            (folder / "timestamp.txt").write_text(entry.time.strftime(TIMESTAMP_FORMAT), encoding="utf-8")
            entry.action = "taken"
    return entries


def _revision(path: str) -> int:
    """Canvas's -1, -2 and a browser's (1), (2): a higher number is a later file."""
    found = re.search(r"(?:-| \()(\d+)\)?\.ipynb$", path)
    return int(found.group(1)) if found else 0


def report(entries: list[Entry], assignment: str) -> str:
    taken = [e for e in entries if e.action == "taken"]
    skipped = [e for e in entries if e.action == "skipped"]
    lines = [f"collect {assignment}: took {len(taken)} notebook(s) of {len({e.student for e in taken})} student(s), "
             f"skipped {len(skipped)} file(s)"]
    for e in taken:
        late = " [marked LATE by the platform]" if e.late_mark else ""
        lines.append(f"  took    {e.student:>10} {e.notebook}.ipynb  <- {e.path} ({e.reason}){late}")
    for e in skipped:
        kept = f" (kept in {e.kept})" if e.kept else ""
        lines.append(f"  skipped {e.student or '?':>10} {e.path}: {e.reason}{kept}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m instructor.collect", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment")
    parser.add_argument("zip", type=Path)
    parser.add_argument("--pattern", help="a regular expression with the named groups id and file (and late)")
    parser.add_argument("--course", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    if not args.zip.is_file():
        sys.exit(f"collect: no such file {args.zip}")
    print(report(collect(args.course, args.assignment, args.zip, args.pattern), args.assignment))


if __name__ == "__main__":
    main()
