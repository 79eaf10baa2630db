"""Which interaction can still edit an answer's reply: only the reply's own, and only while its token lasts."""

from __future__ import annotations

from typing import Any
from unittest.mock import create_autospec

import discord
import pytest

from cogs.standups import _posting
from cogs.standups._posting import TOKEN_USE_SECONDS, AnswerReplies


def interaction() -> discord.Interaction[Any]:
    return create_autospec(discord.Interaction, instance=True)  # type: ignore[no-any-return]


def test_a_reply_is_editable_through_its_own_interaction_until_the_token_runs_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(_posting.time, "monotonic", lambda: now[0])
    replies = AnswerReplies()
    first, second = interaction(), interaction()
    replies.add(1, 10, first)
    now[0] += 60
    replies.add(2, 20, second)
    assert replies.live(1, 10) is first
    assert replies.live(1, 11) is None  # the answer was posted again as another message
    assert replies.live(3, 10) is None
    now[0] = 1000.0 + TOKEN_USE_SECONDS
    assert replies.live(1, 10) is None
    assert replies.live(2, 20) is second
    replies.add(3, 30, interaction())  # forgets the expired ones as it goes
    assert list(replies._live) == [2, 3]
