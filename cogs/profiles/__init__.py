"""`/profile`, `/away` and `/back`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.profiles._cog import AwayCog, ProfilesCog

if TYPE_CHECKING:
    from bot.client import CirclesBot


async def setup(bot: CirclesBot) -> None:
    await bot.add_cog(ProfilesCog(bot))
    await bot.add_cog(AwayCog(bot))
