"""Streaks: consecutive scheduled standups answered. Pure: the service hands in the outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Outcome(Enum):
    ANSWERED = "answered"
    MISSED = "missed"  # held, the member was expected and did not answer
    NEUTRAL = "neutral"  # away that day, or the standup was not held (bot down): neither breaks nor extends
    PENDING = "pending"  # still open and not yet answered: it may still be answered


def streak(outcomes_newest_first: Iterable[Outcome]) -> int:
    """Answered standups counted back from the newest, stopping at the first miss."""
    count = 0
    for outcome in outcomes_newest_first:
        if outcome is Outcome.ANSWERED:
            count += 1
        elif outcome is Outcome.MISSED:
            break
    return count
