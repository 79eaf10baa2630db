"""Standup questions: parsing the host's list, and finding the plan and blocker questions in it."""

from __future__ import annotations

import functools

from bot.errors import InvalidInput

DEFAULT_QUESTIONS = (
    "What did you get done since last time?",
    "What will you focus on today?",
    "Anything blocking you, or any help you need?",
)
QUESTION_MAX = 45  # Discord's modal label limit
MAX_QUESTIONS = 5
ANSWER_MAX = 1000
_NO_BLOCKER = {"", "none", "no", "-", "n/a", "na", "nope", "nothing", "nothing.", "none.", "no."}
_PLAN_WORDS = ("today", "plan", "focus", "will", "next")
_BLOCKER_WORDS = ("block", "stuck", "help", "obstacle", "imped")


def parse_questions(text: str | None) -> tuple[str, ...]:
    """``a | b | c`` → 1–5 questions of at most 45 characters; None → the defaults."""
    if text is None or not text.strip():
        return DEFAULT_QUESTIONS
    questions = tuple(q.strip() for q in text.split("|"))
    if any(not q for q in questions):
        raise InvalidInput(
            "Questions can't be empty. Separate 1–5 questions with `|`, e.g. `Done? | Next? | Blockers?`"
        )
    if len(questions) > MAX_QUESTIONS:
        raise InvalidInput(f"At most {MAX_QUESTIONS} questions (you gave {len(questions)}), separated by `|`.")
    too_long = [q for q in questions if len(q) > QUESTION_MAX]
    if too_long:
        raise InvalidInput(
            f"Each question can be at most {QUESTION_MAX} characters (Discord's limit for a form label); "
            f"`{too_long[0][:60]}` has {len(too_long[0])}."
        )
    return questions


def _find(questions: tuple[str, ...], words: tuple[str, ...], skip: int | None = None) -> int | None:
    for index, question in enumerate(questions):
        if index != skip and any(word in question.lower() for word in words):
            return index
    return None


@functools.lru_cache(maxsize=256)  # asked on every answer; a circle's questions rarely change
def blocker_index(questions: tuple[str, ...]) -> int | None:
    """The question that asks about blockers: by its words, else the third of three or more."""
    found = _find(questions, _BLOCKER_WORDS)
    if found is None and len(questions) >= 3:
        return len(questions) - 1
    return found


@functools.lru_cache(maxsize=256)
def plan_index(questions: tuple[str, ...]) -> int | None:
    """The question that asks for today's plan: by its words, else the second of two or more."""
    found = _find(questions, _PLAN_WORDS, skip=blocker_index(questions))
    if found is None and len(questions) >= 2 and blocker_index(questions) != 1:
        return 1
    return found


def is_blocker(questions: tuple[str, ...], answers: tuple[str, ...]) -> bool:
    index = blocker_index(questions)
    if index is None or index >= len(answers):
        return False
    return answers[index].strip().lower() not in _NO_BLOCKER
