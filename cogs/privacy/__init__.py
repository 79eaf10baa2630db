"""`/privacy export` and `/privacy forget`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.privacy._cog import PrivacyCog
from cogs.privacy._views import ForgetButton

if TYPE_CHECKING:
    from bot.client import CirclesBot


async def setup(bot: CirclesBot) -> None:
    bot.add_dynamic_items(ForgetButton)
    await bot.add_cog(PrivacyCog(bot))
