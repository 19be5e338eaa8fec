"""Predict, then run: the student's guess, locked in before the cell that shows what really happens.

A lecture asks a question in its text, then offers the possible outcomes::

    from coursekit.predict import predict

    predict("1 s", "4 s", "10 s")

The cell shows the choices as radio buttons and a "Lock in my guess" button.
Once locked, the guess cannot change; the widget says it is recorded and that
the next cell shows the answer. The widget never knows the answer, so it
cannot give it away, and nothing is graded.

The choices are what the next cell prints (outputs, numbers, code), the same
in both editions of a lecture, whose code cells are identical. The widget's
own words are in the notebook's language, found as the toolkit's messages
find it (``coursekit.messages.notebook_language``): the notebook Jupyter
names, or the language every notebook in the kernel's folder declares; then
``COURSEKIT_LANGUAGE``, then English.

Where no browser draws widgets (nbclient, CI, a terminal), the display's
text form lists the choices.
"""

from __future__ import annotations

import html
import os

import ipywidgets

from coursekit import messages

WORDS: dict[str, dict[str, str]] = {
    "prompt": {"en": "Your prediction (not graded): choose one, then lock it in.",
               "zh": "你的预测（不计分）：选一项，然后锁定。"},
    "button": {"en": "Lock in my guess", "zh": "锁定我的猜测"},
    "locked": {"en": "Locked", "zh": "已锁定"},
    "choose_first": {"en": "Choose one of the answers first.", "zh": "请先选一项。"},
    "recorded": {"en": "Your guess is recorded: {guess}. Now run the next cell and compare.",
                 "zh": "已记下你的猜测：{guess}。现在运行下一个单元格，对照一下。"},
}

_guesses: list[tuple[tuple[str, ...], str]] = []  # (choices, guess), in the order they were locked


def words(key: str, language: str, **values: object) -> str:
    """The widget's text ``key`` in ``language``; both languages, English first, for a bilingual notebook."""
    texts = WORDS[key]
    codes = messages.LANGUAGES if language == messages.BOTH else (language if language in texts else "en",)
    return " · ".join(texts[code].format(**values) for code in codes)


def notebook_language() -> str:
    """The language of the notebook this kernel runs for: "en", "zh", or "en+zh" (both)."""
    return messages.chosen_language(messages.notebook_language(), os.environ.get("COURSEKIT_LANGUAGE"))


class Prediction(ipywidgets.VBox):
    """The choices, a button that locks one in, and a line that says what happened."""

    def __init__(self, choices: tuple[str, ...], language: str) -> None:
        self.choices = choices
        self.language = language
        self.guess: str | None = None
        self.prompt = ipywidgets.HTML(value=f"<b>{html.escape(words('prompt', language))}</b>")
        self.radio = ipywidgets.RadioButtons(options=choices, value=None, layout=ipywidgets.Layout(width="auto"))
        self.button = ipywidgets.Button(description=words("button", language), button_style="primary", icon="lock",
                                        disabled=True, layout=ipywidgets.Layout(width="auto"))
        self.status = ipywidgets.HTML(value="")
        super().__init__(children=[self.prompt, self.radio, ipywidgets.HBox([self.button, self.status])])
        self.add_class("coursekit-predict")
        self.radio.observe(self._chosen, names="value")
        self.button.on_click(lambda _button: self.lock())

    def _chosen(self, change: dict) -> None:
        if self.guess is None:
            self.button.disabled = change["new"] is None

    def lock(self) -> str | None:
        """Lock in the chosen answer: the guess, or None (and a reminder) when nothing is chosen yet."""
        if self.guess is not None:
            return self.guess
        choice = self.radio.value
        if choice is None:
            self.status.value = html.escape(words("choose_first", self.language))
            return None
        self.guess = choice
        _guesses.append((self.choices, choice))
        self.radio.disabled = True
        self.button.disabled = True
        self.button.description = words("locked", self.language)
        self.status.value = html.escape(words("recorded", self.language, guess=f"“{choice}”"))
        return choice

    def text(self) -> str:
        """What a display without widgets shows: the prompt, and one line per choice."""
        lines = [words("prompt", self.language)]
        lines += [f"  ({'x' if choice == self.guess else ' '}) {choice}" for choice in self.choices]
        if self.guess is not None:
            lines.append(words("recorded", self.language, guess=f"“{self.guess}”"))
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = self.text()
        return bundle

    def __repr__(self) -> str:
        return self.text()


def predict(*choices: object, language: str | None = None) -> Prediction:
    """Ask for a prediction among ``choices`` (two or more, all different); the cell shows the widget.

    ``language`` ("en", "zh" or "en+zh") overrides the notebook's, for tests.
    """
    shown = tuple(str(choice) for choice in choices)
    if len(shown) < 2:
        raise ValueError("predict needs at least two choices")
    if len(set(shown)) != len(shown):
        raise ValueError(f"predict's choices must all differ: {shown}")
    if language is not None and language not in (*messages.LANGUAGES, messages.BOTH):
        raise ValueError(f"language {language!r}: choose one of {', '.join((*messages.LANGUAGES, messages.BOTH))}")
    return Prediction(shown, language or notebook_language())


def guesses() -> list[tuple[tuple[str, ...], str]]:
    """The guesses locked in so far in this kernel, each with its choices, in order."""
    return list(_guesses)
