"""Posting the weekly digest: after the claim committed, once, found again after a crash.

The claim (bot/stats/digests.py) commits before anything is sent; the message goes out through a
checkpoint, so a process that died after posting but before recording is followed by one that finds
the message in the channel instead of posting a second one. The digest mentions nobody.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord

from bot.checkpoints import Step, checkpoint
from bot.scheduling import PlanScope
from bot.stats import charts, offload
from bot.stats.digests import DigestWake
from bot.stats.results import DigestClaim
from cogs.stats import _render

if TYPE_CHECKING:
    from bot.client import CirclesBot

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
# How far back a recovery looks for its digest: it was posted at most a lease (2 minutes) before.
FIND_DEPTH = 50


class DigestPoster:
    def __init__(self, bot: CirclesBot) -> None:
        self.bot = bot
        self.digests = bot.services.digests

    async def post(self, wake: DigestWake) -> None:
        try:
            claim = await self.digests.claim(wake)
            if claim is not None:
                await self._post(claim)
        finally:
            # The next week's digest (or a recovery) is planned whatever happened to this one.
            await self.digests.plan(PlanScope(owned_guilds=self.bot.owns_guild, circle_id=wake.circle_id))

    async def _post(self, claim: DigestClaim) -> None:
        f = claim.figures
        title = f"{claim.circle_name}: focus hours by day"
        png = await offload.draw(charts.compare_png, f.daily_minutes, f.previous_daily_minutes, title)
        channel = self.bot.get_partial_messageable(claim.channel_id)
        footer = f"{_render.DIGEST_MARK} {claim.iso_week}"

        async def create() -> int:
            message = await channel.send(
                embed=_render.digest(claim),
                file=discord.File(io.BytesIO(png), _render.DIGEST_FILE),
                allowed_mentions=NO_PINGS,
            )
            return message.id

        async def find() -> int | None:
            """The digest a dead process posted but did not record: ours, with this week's footer, among the
            channel's latest messages (the ISO week in the footer makes it unique to this occurrence)."""
            me = self.bot.user.id if self.bot.user else None
            async for message in channel.history(limit=FIND_DEPTH):
                if message.author.id == me and any((e.footer.text or "").startswith(footer) for e in message.embeds):
                    return message.id
            return None

        try:
            await checkpoint(
                Step(
                    "digest",
                    None,
                    create,
                    lambda message_id: self.digests.record_posted(claim.digest_id, message_id),
                    find,
                ),
                recovering=claim.recovered,
            )
        except (discord.NotFound, discord.Forbidden) as exc:
            # The channel is gone or closed to us: this week's digest is recorded missed, not retried forever.
            log.warning("digest for circle %s could not be posted (%s)", claim.circle_id, type(exc).__name__)
            await self.digests.record_failed(claim.digest_id)
