"""`/sprint`: focus sprints in the circle's voice room, and co-working time recorded from voice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discord_seams import tap_gateway_event
from bot.focus.service import SprintHeadsUpWake, SprintPhaseWake, SprintSlotWake
from cogs.sprints._cog import SprintsCog
from cogs.sprints._posting import SprintPoster
from cogs.sprints._views import FinishButton, SprintButton

if TYPE_CHECKING:
    from bot.client import CirclesBot


async def setup(bot: CirclesBot) -> None:
    services = bot.services
    poster = SprintPoster(bot)
    services.scheduler.register(SprintPhaseWake, poster.phase)
    services.scheduler.register(SprintHeadsUpWake, poster.heads_up)
    services.scheduler.register(SprintSlotWake, poster.slot)
    services.planners.add(services.sprints.plan)
    services.planners.add(services.sprints.activity.forget)
    services.activity_sources.append(services.sprints.activity.of)
    bot.add_dynamic_items(SprintButton, FinishButton)
    cog = SprintsCog(bot, poster)
    tap_gateway_event(bot, "VOICE_STATE_UPDATE", cog.on_raw_voice_state)
    tap_gateway_event(bot, "GUILD_CREATE", cog.on_raw_guild_create)
    bot.on_ready_hook(cog.ready)
    await bot.add_cog(cog)
