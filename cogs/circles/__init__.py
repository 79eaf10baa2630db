"""`/circle`: create, edit, delete, join, leave, list, info."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.circles._cog import CirclesCog
from cogs.circles._views import DeleteCircleButton

if TYPE_CHECKING:
    from bot.client import CirclesBot


async def setup(bot: CirclesBot) -> None:
    bot.add_dynamic_items(DeleteCircleButton)
    await bot.add_cog(CirclesCog(bot))
