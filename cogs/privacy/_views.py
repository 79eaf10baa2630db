"""The forget confirmation: persistent buttons whose custom_id names the member, so they survive restarts."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from cogs._common.interactions import routes_errors
from cogs.privacy import _render

if TYPE_CHECKING:
    from bot.client import CirclesBot

log = logging.getLogger(__name__)


class ForgetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"privacy-forget:(?P<user>\d+):(?P<ok>[01])"
):
    def __init__(self, user_id: int, confirm: bool) -> None:
        self.user_id = user_id
        self.confirm = confirm
        super().__init__(
            discord.ui.Button(
                label="Delete all my data here" if confirm else "Keep my data",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=f"privacy-forget:{user_id}:{int(confirm)}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ForgetButton:
        return cls(int(match["user"]), match["ok"] == "1")

    @routes_errors
    async def callback(self, interaction: discord.Interaction[CirclesBot]) -> None:
        if interaction.user.id != self.user_id or interaction.guild_id is None:
            # Only the member who asked can confirm; the message is ephemeral, so this is belt and braces.
            await interaction.response.send_message(
                "This button belongs to someone else's `/privacy forget`.",
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        if not self.confirm:
            await interaction.response.edit_message(content="Nothing was deleted.", view=None)
            return
        await interaction.response.defer()  # an update of the confirmation message, within 3 s
        bot = interaction.client
        forgotten = await bot.services.privacy.forget(interaction.guild_id, self.user_id)
        await interaction.edit_original_response(content=_render.forgotten(forgotten), view=None)
        for channel_id, message_id in forgotten.messages:
            try:
                await bot.get_partial_messageable(channel_id).get_partial_message(message_id).delete()
            except (discord.NotFound, discord.Forbidden):
                log.info("a message that showed forgotten data was already gone or is not ours to delete")


def confirm_forget_view(user_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetButton(user_id, confirm=True))
    view.add_item(ForgetButton(user_id, confirm=False))
    return view
