"""The delete confirmation: persistent buttons whose custom_id carries the circle, so they survive restarts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.scheduling import PlanScope
from cogs._common.interactions import actor_of, routes_errors

if TYPE_CHECKING:
    from bot.client import CirclesBot


class DeleteCircleButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"circle-delete:(?P<circle>\d+):(?P<ok>[01])"
):
    def __init__(self, circle_id: int, confirm: bool) -> None:
        self.circle_id = circle_id
        self.confirm = confirm
        super().__init__(
            discord.ui.Button(
                label="Delete the circle" if confirm else "Keep it",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=f"circle-delete:{circle_id}:{int(confirm)}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DeleteCircleButton:
        return cls(int(match["circle"]), match["ok"] == "1")

    @routes_errors
    async def callback(self, interaction: discord.Interaction[CirclesBot]) -> None:
        if not self.confirm:
            await interaction.response.edit_message(content="Nothing was deleted.", view=None)
            return
        bot = interaction.client
        # Checked again on click: the button may be pressed long after it was shown, by someone else.
        circle = await bot.services.circles.delete(actor_of(interaction), self.circle_id)
        await bot.services.planners.plan(PlanScope(owned_guilds=bot.owns_guild, circle_id=circle.id))
        await interaction.response.edit_message(
            content=f"Circle **{discord.utils.escape_markdown(circle.name)}** was deleted. "
            "Members keep their own focus history and goals.",
            view=None,
        )


def confirm_delete_view(circle_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DeleteCircleButton(circle_id, confirm=True))
    view.add_item(DeleteCircleButton(circle_id, confirm=False))
    return view
