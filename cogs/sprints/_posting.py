"""Talking to Discord for sprints: the announcement, phase-change lines, the recap, heads-ups.

Everything here runs after the service committed its decision (a claim), so a failure to talk to
Discord loses nothing, and a retry never doubles a message.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord

from bot.checkpoints import Step, checkpoint
from bot.focus.results import Joined, PhaseClaim, Recap, SprintCard
from bot.focus.service import SprintHeadsUpWake, SprintPhaseWake, SprintSlotWake
from cogs._common.interactions import mentions_only
from cogs.sprints import _render
from cogs.sprints._views import finish_view, sprint_view

if TYPE_CHECKING:
    from bot.client import CirclesBot

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()


def joined_text(joined: Joined) -> str:
    text = "You're in. Have a good focus!"
    if joined.intention:
        source = " (from today's standup)" if joined.defaulted_intention else ""
        text += f"\nIntention{source}: {_render.safe(joined.intention)}"
    return text


class SprintPoster:
    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.service = bot.services.sprints

    async def announce(self, card: SprintCard, *, recovering: bool = False) -> int:
        """The announcement embed with its buttons, once (recorded before anything else happens).

        ``recovering``: the process that started the sprint may have died after posting it and before
        recording it; look for it (its Join button names the sprint) before posting it again."""
        wanted = f"sprint-join:{card.sprint.id}"

        async def create() -> int:
            message = await self.bot.get_partial_messageable(card.sprint.channel_id).send(
                embed=_render.card(card), view=sprint_view(card.sprint.id), allowed_mentions=NO_PINGS
            )
            return message.id

        def is_announcement(message: discord.Message) -> bool:
            buttons = [c for row in message.components for c in getattr(row, "children", [])]
            return any(getattr(button, "custom_id", None) == wanted for button in buttons)

        async def find() -> int | None:
            return await self._find(card.sprint.channel_id, None, is_announcement)

        done = await checkpoint(
            Step(
                "announcement",
                card.sprint.message_id,
                create,
                functools.partial(self.service.record_announcement, card.sprint.id),
                find,
            ),
            recovering=recovering,
        )
        return done.id

    async def refresh(self, card: SprintCard, *, ended: bool = False) -> None:
        """Edit the announcement to show the phase and participants now."""
        message_id = card.sprint.message_id
        if message_id is None:
            return
        view = None if ended or card.phase.is_done else sprint_view(card.sprint.id)
        try:
            await (
                self.bot.get_partial_messageable(card.sprint.channel_id)
                .get_partial_message(message_id)
                .edit(embed=_render.card(card, ended=ended), view=view, allowed_mentions=NO_PINGS)
            )
        except (discord.NotFound, discord.Forbidden):
            log.info("sprint %s: the announcement can no longer be edited", card.sprint.id)

    async def phase(self, wake: SprintPhaseWake) -> None:
        result = await self.service.claim_phase(wake.sprint_id)
        if isinstance(result, Recap):
            await self.post_recap(result)
            return
        if isinstance(result, PhaseClaim):
            await self._post_phase(result)
            self.service.plan_phase(result.card.sprint)  # the next change, from the timeline (no read)
        else:
            await self.service.replan_sprint(wake.sprint_id)

    async def _post_phase(self, claim: PhaseClaim) -> None:
        card = claim.card
        if card.sprint.message_id is None:
            # Started, but its announcement was never recorded (a crash right after the start).
            message_id = await self.announce(card, recovering=True)
            card = dataclasses.replace(card, sprint=dataclasses.replace(card.sprint, message_id=message_id))
        await self.refresh(card)
        marker = _render.phase_marker(claim.catch_up.current, card.sprint.plan.rounds)

        async def create() -> int:
            message = await self.bot.get_partial_messageable(card.sprint.channel_id).send(
                _render.phase_message(claim.catch_up, card), allowed_mentions=mentions_only(card.present_ids)
            )
            return message.id

        async def find() -> int | None:
            return await self._find(card.sprint.channel_id, claim.after_message_id, lambda m: marker in m.content)

        await checkpoint(
            Step(
                "phase message",
                None,
                create,
                functools.partial(self.service.record_change_message, claim.change_id),
                find,
            ),
            recovering=claim.recovered,
        )

    async def post_recap(self, recap: Recap) -> None:
        sprint = recap.sprint
        card = await self.service.card(sprint.id)
        await self.refresh(card, ended=True)
        wanted = f"sprint-finish:{sprint.id}:yes"

        async def create() -> int:
            message = await self.bot.get_partial_messageable(sprint.channel_id).send(
                embed=_render.recap(recap), view=finish_view(sprint.id), allowed_mentions=NO_PINGS
            )
            return message.id

        def is_recap(message: discord.Message) -> bool:
            buttons = [c for row in message.components for c in getattr(row, "children", [])]
            return any(getattr(button, "custom_id", None) == wanted for button in buttons)

        async def find() -> int | None:
            return await self._find(sprint.channel_id, recap.after_message_id, is_recap)

        await checkpoint(
            Step(
                "recap",
                None,
                create,
                functools.partial(self.service.record_recap, recap.change_id, sprint.id),
                find,
            ),
            recovering=recap.recovered,
        )

    async def _find(
        self, channel_id: int, after_id: int | None, matches: Callable[[discord.Message], bool]
    ) -> int | None:
        """A message of ours posted after ``after_id`` before a crash, but never recorded."""
        if self.bot.user is None:
            return None
        after = discord.Object(after_id) if after_id is not None else None
        async for message in self.bot.get_partial_messageable(channel_id).history(limit=50, after=after):
            if message.author.id == self.bot.user.id and matches(message):
                return message.id
        return None

    async def heads_up(self, wake: SprintHeadsUpWake) -> None:
        claim = await self.service.claim_heads_up(wake.circle_id, wake.slot_at)
        if claim is None:
            return
        message = await self.bot.get_partial_messageable(claim.channel_id).send(
            _render.heads_up(claim), allowed_mentions=NO_PINGS
        )
        await self.service.record_slot_message(claim.slot_row_id, message.id)

    async def slot(self, wake: SprintSlotWake) -> None:
        try:
            card = await self.service.claim_slot(wake.circle_id, wake.slot_at)
            if card is not None:
                await self.announce(card)
        finally:
            await self.service.replan_circle(wake.circle_id, after=wake.slot_at)


def poster_of(bot: CirclesBot) -> SprintPoster:
    cog = bot.get_cog("SprintsCog")
    poster: SprintPoster = getattr(cog, "poster")  # noqa: B009
    return poster
