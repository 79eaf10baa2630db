"""Talking to Discord for sprints: the announcement, phase-change lines, the recap, heads-ups.

Everything here runs after the service committed its decision (a claim), so a failure to talk to
Discord loses nothing, and a retry never doubles a message.
"""

from __future__ import annotations

import functools
import logging
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

    async def announce(self, card: SprintCard) -> None:
        """The announcement embed with its buttons, once (recorded before anything else happens)."""

        async def create() -> int:
            message = await self.bot.get_partial_messageable(card.sprint.channel_id).send(
                embed=_render.card(card), view=sprint_view(card.sprint.id), allowed_mentions=NO_PINGS
            )
            return message.id

        await checkpoint(
            Step(
                "announcement",
                card.sprint.message_id,
                create,
                functools.partial(self.service.record_announcement, card.sprint.id),
            ),
            recovering=False,
        )

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
        await self.service.replan_sprint(wake.sprint_id)

    async def _post_phase(self, claim: PhaseClaim) -> None:
        card = claim.card
        await self.refresh(card)
        message = await self.bot.get_partial_messageable(card.sprint.channel_id).send(
            _render.phase_message(claim.catch_up, card), allowed_mentions=mentions_only(card.present_ids)
        )
        await self.service.record_change_message(claim.change_id, message.id)

    async def post_recap(self, recap: Recap) -> None:
        sprint = recap.sprint
        card = await self.service.card(sprint.id)
        await self.refresh(card, ended=True)
        message = await self.bot.get_partial_messageable(sprint.channel_id).send(
            embed=_render.recap(recap), view=finish_view(sprint.id), allowed_mentions=NO_PINGS
        )
        await self.service.record_recap(recap.change_id, sprint.id, message.id)

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
