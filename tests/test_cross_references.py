"""Every "lecture 3 §3.5" and every glossary entry points where the thing it names is taught.

A section is the text of a lecture from its "## N.M" heading to the next "## " heading. A reference is
right when its section exists and speaks of what the reference is about: for a glossary row, the row's
English term; in a lecture, a name in code quoted just before the reference.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import LECTURES, ROOT, ZH_LECTURES

GLOSSARY = ROOT / "notebooks" / "glossary.md"
REFERENCE = re.compile(r"(?:lecture (\d),? |第 (\d) 讲的? ?)?§(\d)\.(\d)")


def sections(path) -> dict[str, str]:
    """'3.5' -> that section's text (markdown and code), lower-cased."""
    found: dict[str, list[str]] = {}
    current = None
    for cell in nbformat.read(str(path), as_version=4).cells:
        for line in cell.source.splitlines():
            heading = re.match(r"^## (\d\.\d)\b", line)
            if heading or line.startswith("## "):
                current = heading.group(1) if heading else None
            if current:
                found.setdefault(current, []).append(line.lower())
    return {number: "\n".join(lines) for number, lines in found.items()}


LECTURE_SECTIONS = {path.name[:2].lstrip("0"): sections(path) for path in LECTURES}
ZH_SECTIONS = {path.name[:2].lstrip("0"): sections(path) for path in ZH_LECTURES}


def glossary_rows():
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.search(r"L\d §", cells[3]):
            yield cells


@pytest.mark.parametrize("row", list(glossary_rows()), ids=lambda row: row[1][:30])
def test_a_glossary_entry_points_where_its_term_is_taught(row):
    chinese, english, _, where = row
    # The term's first word, without code marks: "cancel (`task.cancel()`)" -> "cancel".
    word = re.sub(r"[`()]", "", english).split()[0].rstrip(",").lower()
    word = word[:max(5, len(word) - 4)]  # its stem: "parallelism" is taught as "parallel"
    for lecture, section in re.findall(r"L(\d) ((?:§\d\.\d(?:, )?)+)", where):
        for number in re.findall(r"\d\.\d", section):
            text = LECTURE_SECTIONS[lecture].get(number)
            assert text is not None, f"{english}: L{lecture} §{number} does not exist"
            assert word in text, f"{english}: L{lecture} §{number} never says {word!r}"


def lecture_references():
    for path, own in [(p, LECTURE_SECTIONS) for p in LECTURES] + [(p, ZH_SECTIONS) for p in ZH_LECTURES]:
        here = path.name[:2].lstrip("0")
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for line in cell.source.splitlines():
                for found in REFERENCE.finditer(line):
                    lecture = found.group(1) or found.group(2) or here
                    if lecture != found.group(3):
                        continue  # "§1.1" of the article, in a table of its sections
                    yield path, lecture, f"{found.group(3)}.{found.group(4)}", line[:found.start()], own


@pytest.mark.parametrize("reference", list(lecture_references()),
                         ids=lambda r: f"{r[0].parent.name}/{r[0].name[:2]}->{r[1]}§{r[2]}")
def test_a_reference_in_a_lecture_points_to_a_section_about_it(reference):
    path, lecture, number, before, own = reference
    text = own[lecture].get(number)
    assert text is not None, f"{path.name}: §{number} of lecture {lecture} does not exist"
    if lecture == path.name[:2].lstrip("0"):
        return  # within a lecture, the sections are the reader's own table of contents
    # A name in code just before the reference ("a `Semaphore`, lecture 2 §2.6") is taught there.
    names = re.findall(r"`([^`]+)`", before[-160:])
    words = {w.lower() for name in names for w in re.findall(r"[A-Za-z_][\w.-]{3,}", name)}
    words -= {"asyncio", "await", "async"}
    if words:
        assert any(word in text for word in words), f"{path.name}: lecture {lecture} §{number} never mentions {sorted(words)}"
