"""The class report: ``python -m instructor.report`` (make report) writes report/index.html.

One offline page for the instructor: per assignment, how many students were
graded, failed to grade or did not submit; the score distribution (a chart);
the pass rate of every test cell (a chart); and, per test, the failure
messages the class got, grouped with the values that vary taken out, with how
many students got each, so the misconception to re-teach stands out.  It also
lists the cells the autograder refused to run and every grade it did not set.
"""

from __future__ import annotations

import html
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from nbgrader.api import Gradebook

from instructor import audit, nbtools, screening
from instructor.grades import db_url_of, rows

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failure_message(cell) -> str | None:
    """The error a graded cell showed, as its first line, or None when it passed."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            text = f"{output.get('ename')}: {ANSI.sub('', output.get('evalue', ''))}"
            return text.strip()
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return "wrote to stderr: " + output.get("text", "").strip().splitlines()[0][:200]
    return None


def pattern_of(message: str) -> str:
    """A message with what varies between students (urls, numbers, quoted values, lists) taken out."""
    text = message.split("\n")[0] if "is not right yet" not in message else message
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "…", text)
    text = re.sub(r"\[[^\]]*\]|\{[^}]*\}|\([^)]*\)", "[…]", text)
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    return re.sub(r"\s+", " ", text).strip()[:400]


def score_rows(scores: list[float], max_score: float) -> list[tuple[str, int]]:
    """The histogram's rows: one per whole score and one per score in between that someone has
    (3.5 is its own row, not filed under 4), with how many students have it."""
    histogram = Counter(scores)
    shown = sorted(set(range(int(max_score) + 1)) | set(histogram))
    return [(f"{p:g} point{'' if p == 1 else 's'}", histogram.get(p, 0)) for p in shown]


def bars(values: list[tuple[str, float]], maximum: float, unit: str | tuple[str, str] = "", width: int = 420) -> str:
    """A horizontal bar chart as inline SVG; unit is a suffix, or (singular, plural) words."""
    row = 22
    height = row * len(values) + 8
    parts = [f'<svg class="chart" width="{width + 260}" height="{height}" role="img">']
    for n, (label, value) in enumerate(values):
        y = n * row + 4
        length = 0 if maximum == 0 else width * value / maximum
        parts.append(f'<text x="0" y="{y + 14}" class="label">{html.escape(label)}</text>')
        parts.append(f'<rect x="170" y="{y}" width="{length:.1f}" height="{row - 6}" class="bar"/>')
        suffix = unit if isinstance(unit, str) else " " + unit[value != 1]
        parts.append(f'<text x="{175 + length:.1f}" y="{y + 14}" class="value">{value:g}{suffix}</text>')
    parts.append("</svg>")
    return "".join(parts)


def build(course: Path) -> str:
    db_url = db_url_of(course)
    table = rows(course, db_url)
    flagged = screening.flagged(str(course / "autograded"))
    overrides = audit.overrides(db_url)
    sections = []
    with Gradebook(db_url) as gb:
        # Course order (01-..., 02-...), not the order the gradebook happened to record them in.
        assignments = sorted((a.name, a.max_score, [n.name for n in a.notebooks]) for a in gb.assignments)
    for name, max_score, notebooks in assignments:
        mine = [r for r in table if r["assignment"] == name]
        states = Counter(r["status"].split(":")[0].split(",")[0] for r in mine)
        scores = [float(r["score"]) for r in mine if r["score"] != ""]
        sections.append(f"<h2>{html.escape(name)}</h2>")
        sections.append("<p>" + ", ".join(f"<b>{n}</b> {html.escape(k)}" for k, n in sorted(states.items())) + "</p>")
        if not scores:
            sections.append("<p>No graded submission yet.</p>")
            continue
        histogram = score_rows(scores, max_score)
        sections.append(f"<h3>Scores (of {max_score:g}; mean {sum(scores) / len(scores):.1f})</h3>")
        sections.append(bars(histogram, max(n for _, n in histogram), unit=("student", "students")))
        passed: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        messages: dict[str, Counter[str]] = defaultdict(Counter)
        examples: dict[tuple[str, str], str] = {}
        for notebook in notebooks:
            for path in sorted((course / "autograded").glob(f"*/{name}/{notebook}.ipynb")):
                student = path.parent.parent.name
                nb = nbtools.read(path)
                for cell in nb.cells:
                    meta = cell.metadata.get("nbgrader", {})
                    if not meta.get("grade") or cell.cell_type != "code":
                        continue
                    test = meta["grade_id"]
                    seen[test] += 1
                    message = failure_message(cell)
                    if message is None:
                        passed[test] += 1
                        continue
                    key = pattern_of(message)
                    messages[test][key] += 1
                    examples.setdefault((test, key), f"{student}: {message}")
        sections.append("<h3>Pass rate per test</h3>")
        sections.append(bars([(t, round(100 * passed[t] / seen[t])) for t in seen], 100, "%"))
        sections.append("<h3>What the class got wrong</h3>")
        for test in seen:
            if not messages[test]:
                continue
            sections.append(f"<h4>{html.escape(test)}: {seen[test] - passed[test]} of {seen[test]} failed</h4><table>"
                            "<tr><th>students</th><th>message (values that vary shown as …, N)</th><th>one example</th></tr>")
            for key, count in messages[test].most_common(8):
                example = examples[(test, key)]
                sections.append(f"<tr><td class='n'>{count}</td><td>{html.escape(key)}</td>"
                                f"<td class='ex'>{html.escape(example[:600])}</td></tr>")
            sections.append("</table>")
    if flagged:
        sections.append("<h2>Cells the autograder refused to run</h2><table><tr><th>student</th><th>notebook</th><th>cell, line: reason</th></tr>")
        for record in flagged:
            reasons = "<br>".join(html.escape(f"cell {v['cell']}, line {v['line']}: {v['reason']}") for v in record["violations"])
            sections.append(f"<tr><td>{html.escape(record['student'])}</td><td>{html.escape(record['assignment'])}/"
                            f"{html.escape(record['notebook'])}</td><td>{reasons}</td></tr>")
        sections.append("</table>")
    sections.append("<h2>Grades the autograder did not set</h2>")
    sections.append("<p>None: every grade is the autograder's.</p>" if not overrides else
                    "<ul>" + "".join(f"<li>{html.escape(str(o))}</li>" for o in overrides) + "</ul>")
    failed = [r for r in table if r["status"].startswith("failed")]
    if failed:
        sections.append("<h2>Submissions that could not be graded</h2><ul>" + "".join(
            f"<li>{html.escape(r['student_id'])} {html.escape(r['assignment'])}: {html.escape(r['status'])}</li>" for r in failed)
            + "</ul>")
    return PAGE.format(body="\n".join(sections), students=len({r["student_id"] for r in table}))


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
h2 {{ border-bottom: 2px solid #4a6fa5; padding-bottom: .2em; margin-top: 2em; }}
.chart .bar {{ fill: #4a6fa5; }} .chart .label, .chart .value {{ font-size: 12px; fill: #333; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1em; }}
td, th {{ border: 1px solid #ccc; padding: .3em .5em; vertical-align: top; text-align: left; font-size: 13px; }}
td.n {{ text-align: right; font-weight: bold; width: 4em; }} td.ex {{ color: #555; white-space: pre-wrap; width: 35%; }}
</style></head>
<body><h1>Class report: Demystifying Python Coroutines</h1>
<p>{students} students. Scores come from the gradebook; messages from the autograded notebooks.</p>
{body}
</body></html>
"""


def main() -> None:
    course = Path.cwd()
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else course / "report" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(build(course), encoding="utf-8")
    print(f"wrote {target.relative_to(course) if target.is_relative_to(course) else target}")


if __name__ == "__main__":
    main()
