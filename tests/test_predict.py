"""Predict, then run: the widget (coursekit.predict) and the lectures' prediction checks.

The widget is tested with real ipywidgets objects: its choices, locking a
guess, and the language of its words. Each lecture, in both editions, asks
two or three questions: a markdown cell with the question, a cell that calls
``predict(...)`` with what the next cell may print, and that next cell, which
shows the answer.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import ipywidgets
import nbformat
import pytest
from nbclient import NotebookClient

from conftest import LECTURES, ROOT, ZH_LECTURES
from coursekit import predict as predict_module
from coursekit.predict import Prediction, notebook_language, predict

CJK = re.compile(r"[\u4e00-\u9fff]")
MARKER = {"en": "**Predict, then run.**", "zh": "**先预测，再运行。**"}


@pytest.fixture(autouse=True)
def no_language_from_outside(monkeypatch):
    """Each test says its language itself, or sets where it comes from."""
    monkeypatch.delenv("COURSEKIT_LANGUAGE", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)


# --- the widget ----------------------------------------------------------------


def test_the_choices_are_offered_and_none_is_chosen():
    shown = predict("A B C", "A C B", "B A C", language="en")
    assert isinstance(shown, ipywidgets.VBox) and isinstance(shown.radio, ipywidgets.RadioButtons)
    assert shown.choices == ("A B C", "A C B", "B A C")
    assert shown.radio.options == ("A B C", "A C B", "B A C")
    assert shown.radio.value is None and shown.guess is None
    assert shown.button.disabled, "nothing to lock in before a choice"
    assert predict(1, 4, 10, language="en").choices == ("1", "4", "10")  # numbers are shown as they print


@pytest.mark.parametrize("choices", [(), ("only one",), ("same", "same")])
def test_a_question_needs_two_different_choices(choices):
    with pytest.raises(ValueError):
        predict(*choices, language="en")


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError):
        predict("a", "b", language="fr")


def test_locking_a_guess():
    shown = predict("1 s", "4 s", "10 s", language="en")
    before = len(predict_module.guesses())
    shown.radio.value = "4 s"
    assert not shown.button.disabled
    shown.button.click()  # what pressing the button does
    assert shown.guess == "4 s"
    assert shown.radio.disabled and shown.button.disabled
    assert shown.button.description == "Locked"
    assert "4 s" in shown.status.value and "next cell" in shown.status.value
    assert predict_module.guesses()[before:] == [(("1 s", "4 s", "10 s"), "4 s")]
    # Locked means locked: another choice and another press change nothing.
    shown.radio.value = "10 s"
    shown.button.click()
    assert shown.guess == "4 s" and len(predict_module.guesses()) == before + 1


def test_the_widget_never_reveals_an_answer():
    """It is never told the answer: what it says after locking names only the student's own guess."""
    shown = predict("1 s", "4 s", "10 s", language="en")
    shown.radio.value = "1 s"
    shown.lock()
    said = shown.status.value + shown.text()
    assert "4 s" in shown.text()  # listed among the choices...
    assert "4 s" not in shown.status.value and "10 s" not in shown.status.value  # ...but never singled out
    assert not re.search(r"\b(right|wrong|correct)\b", said, re.IGNORECASE)


def test_locking_without_a_choice_asks_for_one():
    shown = predict("a", "b", language="en")
    assert shown.lock() is None and shown.guess is None
    assert "Choose" in shown.status.value and not shown.radio.disabled


def test_the_text_form_lists_the_choices():
    """What nbclient, CI and terminals keep: the prompt and the choices, the guess marked once locked."""
    shown = predict("A B C", "A C B", language="en")
    bundle = shown._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].splitlines()[1:] == ["  ( ) A B C", "  ( ) A C B"]
    shown.radio.value = "A C B"
    shown.lock()
    assert "  (x) A C B" in shown._repr_mimebundle_()["text/plain"]


@pytest.mark.parametrize("language, button, recorded", [
    ("en", "Lock in my guess", "Your guess is recorded"),
    ("zh", "锁定我的猜测", "已记下你的猜测"),
    ("en+zh", "Lock in my guess · 锁定我的猜测", "Your guess is recorded"),
])
def test_the_words_are_in_the_language_asked_for(language, button, recorded):
    shown = predict("1 s", "2 s", language=language)
    assert shown.button.description == button
    shown.radio.value = "2 s"
    shown.lock()
    assert recorded in shown.status.value
    if language == "en":
        assert not CJK.search(shown.status.value + shown.text() + shown.prompt.value)
    else:
        assert "已记下" in shown.status.value and "预测" in shown.text()


def test_the_notebook_jupyter_names_gives_the_language(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(ZH_LECTURES[0]))
    assert notebook_language() == "zh" and predict("a", "b").button.description == "锁定我的猜测"
    monkeypatch.setenv("JPY_SESSION_NAME", str(LECTURES[0]))
    monkeypatch.setenv("COURSEKIT_LANGUAGE", "zh")  # the notebook's own language comes first
    assert notebook_language() == "en" and predict("a", "b").button.description == "Lock in my guess"


@pytest.mark.parametrize("folder, language", [("notebooks/zh", "zh"), ("notebooks", "en")])
def test_a_folder_of_lectures_in_one_language_gives_it(monkeypatch, folder, language):
    """nbclient names no notebook, and a lecture's kernel starts in its folder, with the other lectures."""
    monkeypatch.chdir(ROOT / folder)
    assert len(list(Path.cwd().glob("*.ipynb"))) > 1
    assert notebook_language() == language


def test_folders_that_say_nothing_fall_back_to_the_environment(monkeypatch, tmp_path):
    for number, declared in enumerate(["en", "zh"]):
        (tmp_path / f"{number}.ipynb").write_text(json.dumps({"metadata": {"coursekit": {"language": declared}}}))
    monkeypatch.chdir(tmp_path)
    assert notebook_language() == "en"  # two languages in one folder: no answer from it
    monkeypatch.setenv("COURSEKIT_LANGUAGE", "zh")
    assert notebook_language() == "zh"


def test_it_runs_headless_in_a_kernel_in_the_notebooks_language(tmp_path):
    """nbclient: no stderr, a widget, and a text form in the notebook's language."""
    nb = nbformat.v4.new_notebook(metadata={"coursekit": {"language": "zh"}})
    nb.cells = [nbformat.v4.new_code_cell('from coursekit.predict import predict\npredict("1 s", "4 s", "10 s")')]
    path = tmp_path / "lecture.ipynb"
    nbformat.write(nb, str(path))
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"], outputs
    shown = [o for o in outputs if o.output_type == "execute_result"]
    assert len(shown) == 1 and "application/vnd.jupyter.widget-view+json" in shown[0].data
    assert shown[0].data["text/plain"].startswith("你的预测") and "( ) 10 s" in shown[0].data["text/plain"]


# --- the lectures' checks --------------------------------------------------------


def checks(path: Path) -> list[tuple[str, tuple[str, ...], str]]:
    """Each prediction of a lecture: (the question cell's text, the choices, the answer cell's source)."""
    cells = nbformat.read(str(path), as_version=4).cells
    found = []
    for number, cell in enumerate(cells):
        if cell.cell_type != "code" or not cell.source.startswith("predict("):
            continue
        call = ast.parse(cell.source).body
        assert len(call) == 1 and isinstance(call[0].value, ast.Call), f"{path.name} cell {number}: one predict(...) call"
        choices = tuple(str(ast.literal_eval(arg)) for arg in call[0].value.args)
        assert not call[0].value.keywords, f"{path.name} cell {number}: the notebook says the language"
        before, after = cells[number - 1], cells[number + 1]
        assert before.cell_type == "markdown", f"{path.name} cell {number}: the question comes first, in the text"
        assert after.cell_type == "code" and not after.source.startswith("predict("), \
            f"{path.name} cell {number}: the next cell shows the answer"
        found.append((before.source, choices, after.source))
    return found


@pytest.mark.parametrize("path", LECTURES + ZH_LECTURES, ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_each_lecture_asks_for_predictions_before_it_shows_the_answers(path):
    """Every lecture, the article's four and those beyond it, asks two or three questions."""
    language = "zh" if path.parent.name == "zh" else "en"
    found = checks(path)
    assert 2 <= len(found) <= 3, f"{path.name}: {len(found)} predictions"
    nb = nbformat.read(str(path), as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "from coursekit.predict import predict" in first_code.source
    for question, choices, answer in found:
        asked = question[question.index(MARKER[language]):] if MARKER[language] in question else ""
        assert asked, f"{path.name}: the question should say {MARKER[language]}:\n{question}"
        assert asked.rstrip().endswith("?" if language == "en" else "？"), f"{path.name}: not a question:\n{asked}"
        # The question is in the edition's language; the choices are what the answer cell prints.
        assert bool(CJK.search(asked.replace(MARKER[language], ""))) == (language == "zh"), asked
        assert not CJK.search("".join(choices)), choices
        assert len(set(choices)) == len(choices) >= 2, choices
        assert answer.strip(), "an answer cell with code"


def test_the_two_editions_ask_the_same_questions():
    for english, chinese in zip(LECTURES, ZH_LECTURES):
        assert [c[1:] for c in checks(english)] == [c[1:] for c in checks(chinese)], english.name


def test_a_prediction_widget_builds_from_each_lectures_choices():
    for path in LECTURES:
        for _, choices, _ in checks(path):
            shown = predict(*choices, language="en")
            shown.radio.value = choices[-1]
            assert shown.lock() == choices[-1]
            assert isinstance(shown, Prediction)
