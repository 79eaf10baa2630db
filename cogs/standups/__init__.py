"""`/standup`: schedules, the daily thread, answers by modal, the reminder and the close."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.standups.wakeups import StandupClose, StandupOpening, StandupRecovery, StandupReminder
from cogs.standups._cog import StandupsCog
from cogs.standups._posting import StandupPoster
from cogs.standups._views import PostStandupButton

if TYPE_CHECKING:
    from bot.client import CirclesBot


async def setup(bot: CirclesBot) -> None:
    services = bot.services
    poster = StandupPoster(bot)
    services.scheduler.register(StandupOpening, poster.open)
    services.scheduler.register(StandupRecovery, poster.open)
    services.scheduler.register(StandupReminder, poster.remind)
    services.scheduler.register(StandupClose, poster.close)
    services.planners.add(services.standups.planner.plan)
    bot.on_ready_hook(poster.reconcile)
    services.activity_sources.append(services.standups.activity.of)
    bot.add_dynamic_items(PostStandupButton)
    await bot.add_cog(StandupsCog(bot))
