"""The student versions in one language: ``python -m instructor.editions zh`` (``make release EDITION=zh``).

The source assignments are bilingual: every text cell says it in English,
then under a line ``**中文**`` in Chinese. An edition keeps one of the two
(and the cell's headings, which carry both; the Chinese keeps the code shown
above it, such as the signature), and says its language in the
notebook's metadata, so the toolkit and the grader answer the student in it.
Cells, ids and code stay exactly as released, so every edition is graded
against the one gradebook: ``instructor.restore`` accepts a text cell of any
edition as unchanged.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import re
import sys
from pathlib import Path

import nbformat
from nbgrader.utils import compute_checksum

from coursekit.messages import LANGUAGES, declared_language

EDITIONS = ("bilingual", *LANGUAGES)
MARK = "**中文**"
FENCED = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


def text_in(source: str, edition: str) -> str:
    """A bilingual text cell as the edition shows it; a cell without the mark stays as it is."""
    lines = source.split("\n")
    if edition == "bilingual" or MARK not in (line.strip() for line in lines):
        return source
    at = next(n for n, line in enumerate(lines) if line.strip() == MARK)
    headings = list(itertools.takewhile(lambda line: line.startswith("#"), lines[:at]))
    body = lines[len(headings):at]
    headings = [heading_in(line, edition) for line in headings]  # they carry both languages: keep this one's
    if edition == "en":
        return "\n".join(headings + body).strip("\n")
    english = "\n".join(body)
    chinese = "\n".join(lines[at + 1:]).strip("\n")
    # The Chinese text refers to the code shown above it (上面的签名) rather than repeating it; where it shows
    # the code itself, with comments in Chinese, that is not repeated.
    shown = {code_of(block) for block in FENCED.findall(chinese)}
    code = [block for block in FENCED.findall(english) if code_of(block) not in shown]
    return "\n\n".join(part for part in ("\n".join(headings), *code, chinese) if part)


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def heading_in(line: str, language: str) -> str:
    """A heading that carries both languages ("## Exercise 1 · `crawl_page` (1 point) · 练习 1（1 分）") in one.

    The parts are separated by " · ", English first; Chinese starts at the first part in Chinese. A name in
    backticks that only the English part shows goes into the Chinese one ("练习 1 · `crawl_page`（1 分）").
    """
    marks, _, text = line.partition(" ")
    parts = text.split(" · ")
    first = next((n for n, part in enumerate(parts) if CJK.search(part)), 0)
    if not first:
        return line
    english, chinese = " · ".join(parts[:first]), " · ".join(parts[first:])
    if language == "en":
        return f"{marks} {english}"
    for name in re.findall(r"`[^`]+`", english):
        if name not in chinese:
            head, bracket, rest = chinese.partition("（")
            chinese = f"{head} · {name}{bracket}{rest}"
    return f"{marks} {chinese}"


def code_of(block: str) -> tuple[str, ...]:
    """A fenced block's code without its comments, to tell the same code commented in two languages."""
    return tuple(line.split("#")[0].rstrip() for line in block.split("\n") if line.split("#")[0].strip())


def versions(source: str) -> set[str]:
    """The text of a cell in every edition."""
    return {text_in(source, edition) for edition in EDITIONS}


class NotBilingual(ValueError):
    """The notebook is already an edition in one language: editions are made from the bilingual release."""


def edition(nb: nbformat.NotebookNode, language: str) -> nbformat.NotebookNode:
    """A copy of a bilingual student version in one language (``bilingual`` returns it as it is)."""
    if language not in EDITIONS:
        raise ValueError(f"edition {language!r}: choose one of {', '.join(EDITIONS)}")
    already = declared_language(nb.metadata)
    if already in LANGUAGES:
        raise NotBilingual(f"this notebook is the {already} edition already")
    nb = copy.deepcopy(nb)
    if language == "bilingual":
        return nb
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        cell.source = text_in(cell.source, language)
        nbgrader = cell.metadata.get("nbgrader")
        if nbgrader and "checksum" in nbgrader:  # what `nbgrader validate` compares a locked cell with
            nbgrader["checksum"] = compute_checksum(cell)
    nb.metadata["coursekit"] = {**nb.metadata.get("coursekit", {}), "language": language}
    return nb


def rewrite(folder: Path, language: str) -> list[Path]:
    """Turn every notebook of a release folder (release/<assignment>/*.ipynb) into ``language``'s edition."""
    written = []
    for path in sorted(folder.glob("*/*.ipynb")):
        nb = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
        try:
            nbformat.write(edition(nb, language), str(path))
        except NotBilingual as error:
            raise NotBilingual(f"{path}: {error}; run `make release` to make the bilingual release again") from None
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("edition", choices=EDITIONS)
    parser.add_argument("folder", nargs="?", type=Path, default=Path("release"))
    args = parser.parse_args(argv)
    try:
        written = rewrite(args.folder, args.edition)
    except NotBilingual as error:
        sys.exit(str(error))
    print(f"{len(written)} student version(s) in {args.folder}/ are now the {args.edition} edition")


if __name__ == "__main__":
    main()
