"""instructor.report's pieces that need no class: the score histogram."""

from __future__ import annotations

from instructor.report import score_rows


def test_a_score_between_two_whole_scores_has_its_own_bar():
    rows = score_rows([3.5, 4.0, 4.0, 0.0, 6.0], 6)
    assert rows == [("0 points", 1), ("1 point", 0), ("2 points", 0), ("3 points", 0), ("3.5 points", 1),
                    ("4 points", 2), ("5 points", 0), ("6 points", 1)]
