"""Every lecture notebook runs top to bottom, as Run All would, without error or stderr.

Lecture 4 also quotes figures (how much faster each crawler is); a test checks
the quotes against what the same run of the lecture printed.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import LECTURES, ROOT, ZH_LECTURES

pytestmark = [pytest.mark.slow, pytest.mark.long(2.5)]

CRAWLER_LECTURE = ROOT / "notebooks" / "04-crawler.ipynb"
CRAWLS = ("synchronous", "five at a time", "sixteen at once")


@functools.cache
def executed(path: Path) -> nbformat.NotebookNode:
    """The lecture after a run, once per test session: the clean-run test and the figures test share it."""
    nb = nbformat.read(str(path), as_version=4)
    # Run where JupyterLab runs it: the notebook's own folder (notebooks/, or notebooks/zh/ for the Chinese edition).
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def test_there_are_lectures():
    assert any(p.name == "01-crawler.ipynb" for p in LECTURES)


# The Chinese edition runs the same code cells (test_editions checks it): what may differ from one Python to the
# next is met by the English run, so the Chinese one is `once` (README, "For developers").
@pytest.mark.parametrize("path", LECTURES + [pytest.param(p, marks=pytest.mark.once) for p in ZH_LECTURES], ids=lambda p: p.relative_to(ROOT / "notebooks").with_suffix("").as_posix())
def test_lecture_runs_clean(path):
    nb = executed(path)
    problems = []
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"cell {number}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {number} wrote to stderr: {output.text.strip()[:300]}")
    assert not problems, "\n".join(problems)


# --- lecture 4's quoted figures ------------------------------------------------


def tagged(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r} in the lecture, found {len(cells)}"
    return cells[0]


def quoted_figures(markdown: str) -> dict[str, tuple[int, float, tuple[float, float]]]:
    """The summary's table: crawl -> (latencies in a row, share counted, (low, high) share on the clock)."""
    rows = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in CRAWLS:
            clock = [float(x) for x in re.findall(r"\d+\.\d+", cells[3])]
            assert len(clock) in (1, 2), f"the clock's share for {cells[0]!r} should be a number or 'a to b': {cells[3]!r}"
            rows[cells[0]] = (int(cells[1]), float(cells[2]), (clock[0], clock[-1]))
    return rows


def measured_figures(text: str) -> dict[str, tuple[int, float, float]]:
    """The table the lecture printed: crawl -> (latencies in a row, share counted, share on the clock)."""
    rows = {}
    for line in text.splitlines():
        match = re.fullmatch(r"(?P<name>[a-z][a-z ]*?)\s{2,}(?P<in_a_row>\d+)\s+(?P<counted>\d+\.\d+)\s+(?P<clock>\d+\.\d+)\s*", line)
        if match and match["name"] in CRAWLS:
            rows[match["name"]] = (int(match["in_a_row"]), float(match["counted"]), float(match["clock"]))
    return rows


COUNTED_TOLERANCE = 0.01  # the counted share is a fraction of two integers, both quoted to two decimals


def test_lecture_4_quotes_the_figures_it_measures():
    """The summary's figures against the run: how much faster five and sixteen requests at a time are.

    Checked per crawl, against the table that `figures-table` printed in the same run:
    * latencies in a row (read from the site's own request log): equal;
    * the share of the synchronous time by that count: within ±0.01 (rounding);
    * the share measured on the clock: inside the range the summary quotes.

    The first two come from the order in which the server saw requests start and finish (0.2 s
    latency each), not from a stopwatch, so a loaded machine does not change them. The clock's
    share does move with load; the quoted ranges (0.25 to 0.40 for five at a time, against 5/17 =
    0.29 counted, and 0.10 to 0.25 for sixteen at once, against 2/17 = 0.12) leave room for a
    fifth of a second of extra Python overhead in a crawl, several times what it is on an idle
    machine.
    """
    nb = executed(CRAWLER_LECTURE)
    quoted = quoted_figures(tagged(nb, "quoted-figures").source)
    printed = "".join(o.get("text", "") for o in tagged(nb, "measured-figures").outputs if o.output_type == "stream")
    measured = measured_figures(printed)
    assert sorted(quoted) == sorted(CRAWLS), f"the summary's table should quote {CRAWLS}; it quotes {sorted(quoted)}"
    assert sorted(measured) == sorted(CRAWLS), f"the lecture should print a row for each of {CRAWLS}:\n{printed}"
    problems = []
    for crawl in CRAWLS:
        q_in_a_row, q_counted, (low, high) = quoted[crawl]
        m_in_a_row, m_counted, m_clock = measured[crawl]
        if q_in_a_row != m_in_a_row:
            problems.append(f"{crawl}: quotes {q_in_a_row} latencies in a row, the run paid {m_in_a_row}")
        if abs(q_counted - m_counted) > COUNTED_TOLERANCE:
            problems.append(f"{crawl}: quotes a counted share of {q_counted}, the run's is {m_counted} (±{COUNTED_TOLERANCE})")
        if not low - 0.005 <= m_clock <= high + 0.005:
            problems.append(f"{crawl}: the clock's share was {m_clock}, outside the quoted {low} to {high}")
    assert not problems, "\n".join(problems) + f"\n\nwhat the lecture printed:\n{printed}"


def test_lecture_4_summary_table_is_consistent():
    """Without running anything: the quoted counted shares are the quoted counts over the synchronous one."""
    quoted = quoted_figures(tagged(nbformat.read(str(CRAWLER_LECTURE), as_version=4), "quoted-figures").source)
    sync = quoted["synchronous"][0]
    for crawl, (in_a_row, counted, (low, high)) in quoted.items():
        assert abs(counted - in_a_row / sync) <= 0.005, f"{crawl}: {in_a_row}/{sync} is not {counted}"
        assert low <= counted <= high, f"{crawl}: the clock's range {low} to {high} should hold the counted share {counted}"
