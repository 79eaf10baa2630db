"""`/standup`: schedules, the daily thread, answers by modal, the reminder and the close."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.standups.service import CLOSE_HANDLER, OPEN_HANDLER, REMIND_HANDLER
from cogs.standups._cog import StandupsCog
from cogs.standups._posting import StandupPoster
from cogs.standups._views import PostStandupButton

if TYPE_CHECKING:
    from bot.client import CirclesBot


async def setup(bot: CirclesBot) -> None:
    services = bot.services
    poster = StandupPoster(bot)
    services.scheduler.register(OPEN_HANDLER, poster.open)
    services.scheduler.register(REMIND_HANDLER, poster.remind)
    services.scheduler.register(CLOSE_HANDLER, poster.close)
    services.planners.add(services.standups.plan)
    bot.on_ready_hook(poster.reconcile)
    services.activity_sources.append(services.standups.activities)
    bot.add_dynamic_items(PostStandupButton)
    await bot.add_cog(StandupsCog(bot))
