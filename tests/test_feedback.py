"""instructor.feedback: what a student's feedback page keeps of a test cell."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_notebook, new_output

from instructor.feedback import HideTests

TEST = "check(f)\n### BEGIN HIDDEN TESTS\nsecret_case(f, 41)\n### END HIDDEN TESTS\n"


def notebook():
    test = new_code_cell(TEST, metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}})
    test.outputs = [new_output("error", ename="AssertionError", evalue="f(41) returned 0 instead of 42: add one",
                               traceback=["Traceback (most recent call last)", "secret_case(f, 41)", "AssertionError"])]
    answer = new_code_cell("def f(x):\n    return 1 / 0",
                           metadata={"nbgrader": {"grade": False, "solution": True, "grade_id": "f"}})
    answer.outputs = [new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                 traceback=["Traceback (most recent call last)", "1 / 0"])]
    return new_notebook(cells=[answer, test])


def test_a_test_cell_keeps_its_message_not_its_hidden_part_or_traceback():
    nb, _ = HideTests().preprocess(notebook(), {})
    answer, test = nb.cells
    assert test.source.strip() == "check(f)"
    assert test.outputs[0].traceback == ["AssertionError: f(41) returned 0 instead of 42: add one"]
    assert answer.outputs[0].traceback == ["Traceback (most recent call last)", "1 / 0"]  # the student's own


def test_the_instructor_can_show_the_tests():
    nb, _ = HideTests(enabled=False).preprocess(notebook(), {})
    assert "secret_case" in nb.cells[1].source and len(nb.cells[1].outputs[0].traceback) == 3
