"""`/pair` and `/goal`: accountability partners in private threads, with goals and a cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.circles.activity import CachedActivities
from bot.pairing.wakeups import PairCheckin, PairClose, PairRoundDue, PairRoundRecovery
from cogs.pairing._cog import GoalsCog, PairingCog
from cogs.pairing._posting import PairPoster
from cogs.pairing._views import ConfirmGoalButton, MetButton, SetGoalButton

if TYPE_CHECKING:
    from bot.client import CirclesBot


async def setup(bot: CirclesBot) -> None:
    services = bot.services
    poster = PairPoster(bot)
    services.scheduler.register(PairRoundDue, poster.due)
    services.scheduler.register(PairRoundRecovery, poster.recover)
    services.scheduler.register(PairCheckin, poster.checkin)
    services.scheduler.register(PairClose, poster.close)
    services.planners.add(services.pairing.rounds.plan)
    # What /circle list shows of pairing changes only when a schedule is planned again or a round starts.
    activity = CachedActivities(services.pairing.activity, services.clock)
    services.planners.add(activity.forget)
    services.activity_sources.append(activity.of)
    bot.add_dynamic_items(SetGoalButton, MetButton, ConfirmGoalButton)
    await bot.add_cog(PairingCog(bot, poster))
    await bot.add_cog(GoalsCog(bot))
