"""Talking to Discord for pairing rounds: private threads, their members, intros, check-ins and the close.

Every function here runs after the service committed its decision (the round's claim), so a failure to
talk to Discord loses nothing and a retry doubles nothing: each group's thread is made, its id recorded,
its members added (recorded), its intro posted (recorded), in that order (bot/checkpoints.py); a takeover
after a crash finds the orphan thread by its name and the orphan intro by its button.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Literal

import discord

from bot.checkpoints import Step, checkpoint
from bot.pairing.results import CheckinGroup, CloseGroup, GroupPlan, RoundClaim
from bot.pairing.wakeups import PairCheckin, PairClose, PairRoundDue, PairRoundRecovery
from bot.scheduling import PlanScope, run_isolated
from cogs._common.interactions import mentions_only
from cogs.pairing import _render
from cogs.pairing._views import close_view, intro_view

if TYPE_CHECKING:
    from bot.client import CirclesBot

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
ARCHIVE_MINUTES: Literal[10080] = 10080  # a week; posting into an archived thread reopens it
PRIVATE_THREAD: Literal[12] = 12  # discord.ChannelType.private_thread


class PairPoster:
    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.pairing = bot.services.pairing
        self.rounds = bot.services.pairing.rounds

    def _replan(self, circle_id: int) -> PlanScope:
        return PlanScope(owned_guilds=self.bot.owns_guild, circle_id=circle_id)

    async def due(self, wake: PairRoundDue) -> None:
        try:
            claim = await self.rounds.claim_scheduled(wake.circle_id, wake.slot)
            if claim is not None:
                await self.run(claim)
        finally:
            await self.bot.services.planners.plan(self._replan(wake.circle_id))

    async def recover(self, wake: PairRoundRecovery) -> None:
        claim = await self.rounds.recover(wake.round_id)
        if claim is not None:
            try:
                await self.run(claim)
            finally:
                await self.bot.services.planners.plan(self._replan(claim.circle_id))

    async def run(self, claim: RoundClaim) -> None:
        """Every group's thread, members and intro, then the round is open. One group's failure does not
        stop the others; the round then stays claimed and is taken over (and finished) later."""
        timezone = (await self.bot.services.circles.get(claim.guild_id, claim.circle_id)).timezone
        # The groups side by side (the pacer keeps the whole bot under Discord's global limit).
        done = await asyncio.gather(
            *(
                run_isolated(
                    "pair thread", functools.partial(self._group, claim, group, timezone), circle=claim.circle_id
                )
                for group in claim.groups
            )
        )
        if all(done):
            await self.rounds.mark_open(claim)
            log.info("pairing round %s: %s groups in circle %s", claim.round_id, len(claim.groups), claim.circle_id)

    async def _group(self, claim: RoundClaim, group: GroupPlan, timezone: str) -> None:
        name = _render.thread_name(claim.starts_at, timezone, group.position)

        async def create_thread() -> int:
            thread = await self.bot.http.start_thread_without_message(
                claim.channel_id,
                name=name,
                auto_archive_duration=ARCHIVE_MINUTES,
                type=PRIVATE_THREAD,
                invitable=False,
                reason="Accountability partners",
            )
            return int(thread["id"])

        async def find_thread() -> int | None:
            return await self._orphan_thread(claim, name)

        thread = await checkpoint(
            Step(
                "thread",
                group.thread_id,
                create_thread,
                functools.partial(self.rounds.record_thread, group.group_id),
                find_thread,
            ),
            recovering=claim.recovered,
        )

        async def add_member(user_id: int) -> None:
            try:
                await self.bot.http.add_user_to_thread(thread.id, user_id)
            except discord.NotFound:
                # They left the server since the round was drawn: the others still get their thread.
                log.info("pair thread %s: member %s is no longer in the guild", thread.id, user_id)

        async def add_members() -> int:
            # Adding a member twice is harmless on Discord, so this step needs no search.
            await asyncio.gather(*(add_member(uid) for uid in group.user_ids))
            return 1

        async def record_members(_: int) -> None:
            await self.rounds.record_members_added(group.group_id)

        await checkpoint(
            Step("members", 1 if group.members_added else None, add_members, record_members),
            recovering=claim.recovered,
        )

        async def post_intro() -> int:
            content, embed = _render.intro(group, claim, self.bot.services.clock.now())
            message = await self.bot.get_partial_messageable(thread.id).send(
                content, embed=embed, view=intro_view(group.group_id), allowed_mentions=mentions_only(group.user_ids)
            )
            return message.id

        async def find_intro() -> int | None:
            return await self._find_message(thread.id, f"pair-goal:{group.group_id}")

        await checkpoint(
            Step(
                "intro",
                group.intro_message_id,
                post_intro,
                functools.partial(self.rounds.record_intro, group.group_id),
                find_intro,
            ),
            recovering=claim.recovered and not thread.created,
        )

    async def _orphan_thread(self, claim: RoundClaim, name: str) -> int | None:
        """A thread we made before a crash but never recorded: ours, in the circle channel, with this
        group's name, and recorded for no group (names repeat only across rounds of the same day)."""
        me = self.bot.user
        if me is None:
            return None
        listing = await self.bot.http.get_active_threads(claim.guild_id)
        candidates = [
            int(thread["id"])
            for thread in listing.get("threads", [])
            if int(thread.get("parent_id") or 0) == claim.channel_id
            and thread.get("name") == name
            and int(thread.get("owner_id") or 0) == me.id
        ]
        recorded = await self.rounds.recorded_threads(candidates)
        return next((tid for tid in candidates if tid not in recorded), None)

    async def _find_message(self, thread_id: int, custom_id: str) -> int | None:
        async for message in self.bot.get_partial_messageable(thread_id).history(limit=20, oldest_first=True):
            buttons = [c for row in message.components for c in getattr(row, "children", [])]
            if any(getattr(button, "custom_id", None) == custom_id for button in buttons):
                return message.id
        return None

    async def checkin(self, wake: PairCheckin) -> None:
        for group in await self.rounds.claim_checkin(wake.round_id):
            await run_isolated("pair check-in", functools.partial(self._checkin, group))

    async def _checkin(self, group: CheckinGroup) -> None:
        """The check-in, then one gentle nudge per quiet member, mentioning only their partners."""
        channel = self.bot.get_partial_messageable(group.thread_id)
        await channel.send(_render.checkin(group.ends_at), allowed_mentions=NO_PINGS)
        for nudge in group.nudges:
            await channel.send(
                _render.nudge(nudge.quiet_user_id, nudge.partner_ids), allowed_mentions=mentions_only(nudge.partner_ids)
            )

    async def close(self, wake: PairClose) -> None:
        claim = await self.rounds.claim_close(wake.round_id)
        if claim is None:
            return
        ok = True
        for group in claim.groups:
            ok &= await run_isolated("pair close", functools.partial(self._close, group, claim.recovered))
        if ok:
            await self.rounds.mark_closed(wake.round_id)

    async def _close(self, group: CloseGroup, recovering: bool) -> None:
        async def post() -> int:
            message = await self.bot.get_partial_messageable(group.thread_id).send(
                _render.close(group), view=close_view(group), allowed_mentions=NO_PINGS
            )
            return message.id

        async def find() -> int | None:
            return await self._find_message(group.thread_id, f"pair-met:{group.group_id}:yes")

        record = functools.partial(self.rounds.record_close_message, group.group_id)
        await checkpoint(Step("did you meet", None, post, record, find), recovering=recovering)
