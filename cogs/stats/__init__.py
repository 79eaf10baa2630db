"""`/stats`: focus time, circle stats and timesheets; the weekly digest in each circle's channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.stats.digests import DigestWake
from cogs.stats._cog import StatsCog
from cogs.stats._posting import DigestPoster

if TYPE_CHECKING:
    from bot.client import CirclesBot


async def setup(bot: CirclesBot) -> None:
    services = bot.services
    poster = DigestPoster(bot)
    services.scheduler.register(DigestWake, poster.post)
    services.planners.add(services.digests.plan)
    await bot.add_cog(StatsCog(bot))
