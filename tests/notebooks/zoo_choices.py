"""Wrong and right answers to any notebook's multiple-choice questions.

Every question is answered by one letter among ``a`` to ``d``. A wrong answer is
each other letter, a value that is not a letter, and a letter out of range; a
right answer may differ from the key in case and surrounding spaces.
"""

from __future__ import annotations

LETTERS = "abcd"


def choice_zoo(answers: dict[str, str]) -> tuple[dict, dict]:
    """``(WRONG, RIGHT)`` answers for ``{"answer_q1": "b", ...}``, keyed like the zoos."""
    wrong = {
        question: {f"letter {letter}": letter for letter in LETTERS if letter != right}
        | {"not a letter": 2, "a letter out of range": "e"}
        for question, right in answers.items()
    }
    right = {
        question: {"upper case": key.upper(), "with spaces": f" {key} "}
        for question, key in answers.items()
    }
    return wrong, right
