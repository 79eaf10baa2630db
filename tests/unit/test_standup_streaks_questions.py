from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.standups.questions import (
    DEFAULT_QUESTIONS,
    blocker_index,
    is_blocker,
    parse_questions,
    plan_index,
)
from bot.standups.streaks import Outcome, streak

A, M, N, P = Outcome.ANSWERED, Outcome.MISSED, Outcome.NEUTRAL, Outcome.PENDING


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([], 0),
        ([A, A, A], 3),
        ([A, M, A, A], 1),
        ([M, A, A], 0),
        ([P, A, A], 2),  # today's standup is still open: not a miss yet
        ([A, N, A, N, N, A, M, A], 3),  # away days and not-held standups are neutral
    ],
)
def test_streak_examples(outcomes: list[Outcome], expected: int) -> None:
    assert streak(outcomes) == expected


outcome_lists = st.lists(st.sampled_from(list(Outcome)), max_size=40)


@given(outcome_lists, st.integers(0, 40), st.sampled_from([N, P]))
def test_neutral_days_neither_break_nor_extend(outcomes: list[Outcome], at: int, neutral: Outcome) -> None:
    with_neutral = [*outcomes[:at], neutral, *outcomes[at:]]
    assert streak(with_neutral) == streak(outcomes)


@given(outcome_lists)
def test_answering_the_newest_extends_by_one(outcomes: list[Outcome]) -> None:
    assert streak([A, *outcomes]) == streak(outcomes) + 1


@given(outcome_lists)
def test_a_miss_resets(outcomes: list[Outcome]) -> None:
    assert streak([M, *outcomes]) == 0


@given(outcome_lists)
def test_streak_counts_answers_before_the_first_miss(outcomes: list[Outcome]) -> None:
    before_miss = outcomes[: outcomes.index(M)] if M in outcomes else outcomes
    assert streak(outcomes) == before_miss.count(A)


def test_default_questions() -> None:
    assert parse_questions(None) == DEFAULT_QUESTIONS
    assert parse_questions("  ") == DEFAULT_QUESTIONS
    assert plan_index(DEFAULT_QUESTIONS) == 1
    assert blocker_index(DEFAULT_QUESTIONS) == 2


def test_custom_questions() -> None:
    assert parse_questions("Wins? | Plan for today? | Stuck?") == ("Wins?", "Plan for today?", "Stuck?")
    assert plan_index(("Wins?", "Plan for today?", "Stuck?")) == 1
    assert blocker_index(("Wins?", "Plan for today?", "Stuck?")) == 2
    assert blocker_index(("Mood?",)) is None
    assert plan_index(("Mood?",)) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a|b|c|d|e|f", "At most 5"),
        ("a||b", "can't be empty"),
        ("x" * 46, "at most 45"),
    ],
)
def test_bad_questions(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_questions(text)


def test_exactly_45_characters_is_fine() -> None:
    assert parse_questions("y" * 45) == ("y" * 45,)


@pytest.mark.parametrize("answer", ["", "none", "No", " - ", "n/a", "nothing"])
def test_no_blocker_answers(answer: str) -> None:
    assert not is_blocker(DEFAULT_QUESTIONS, ("did x", "do y", answer))


def test_blocker_answer() -> None:
    assert is_blocker(DEFAULT_QUESTIONS, ("did x", "do y", "waiting on client feedback"))
