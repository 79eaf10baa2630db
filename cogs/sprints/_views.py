"""Persistent sprint buttons: Join / Leave / Stop on the announcement, "Did you finish?" on the recap.

Their custom ids carry the sprint, so they work after a restart without any stored view.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.focus.results import FINISH_ANSWERS
from cogs._common.interactions import actor_of, routes_errors

if TYPE_CHECKING:
    from bot.client import CirclesBot

FINISH_LABELS = {
    "yes": ("Yes", discord.ButtonStyle.success),
    "partly": ("Partly", discord.ButtonStyle.primary),
    "no": ("No", discord.ButtonStyle.secondary),
}
NO_PINGS = discord.AllowedMentions.none()


class SprintButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sprint-(?P<action>join|leave|stop):(?P<sprint>\d+)"
):
    def __init__(self, action: str, sprint_id: int) -> None:
        self.action = action
        self.sprint_id = sprint_id
        label, style = {
            "join": ("Join", discord.ButtonStyle.success),
            "leave": ("Leave", discord.ButtonStyle.secondary),
            "stop": ("Stop", discord.ButtonStyle.danger),
        }[action]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"sprint-{action}:{sprint_id}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SprintButton:
        return cls(match["action"], int(match["sprint"]))

    @routes_errors
    async def callback(self, interaction: discord.Interaction[CirclesBot]) -> None:
        from cogs.sprints import _posting

        poster = _posting.poster_of(interaction.client)
        sprints = interaction.client.services.sprints
        guild_id = interaction.guild_id or 0
        if self.action == "join":
            joined = await sprints.join(guild_id, interaction.user.id, sprint_id=self.sprint_id)
            await interaction.response.send_message(
                _posting.joined_text(joined), ephemeral=True, allowed_mentions=NO_PINGS
            )
            await poster.refresh(joined.card)
        elif self.action == "leave":
            card = await sprints.leave(guild_id, interaction.user.id, sprint_id=self.sprint_id)
            await interaction.response.send_message(
                "You left the sprint. See you next time!", ephemeral=True, allowed_mentions=NO_PINGS
            )
            await poster.refresh(card)
        else:
            recap = await sprints.stop(actor_of(interaction), sprint_id=self.sprint_id)
            await interaction.response.send_message(
                "Sprint stopped; the recap is in the channel.", ephemeral=True, allowed_mentions=NO_PINGS
            )
            await poster.post_recap(recap)


class FinishButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sprint-finish:(?P<sprint>\d+):(?P<answer>yes|partly|no)"
):
    def __init__(self, sprint_id: int, answer: str) -> None:
        self.sprint_id = sprint_id
        self.answer = answer
        label, style = FINISH_LABELS[answer]
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"sprint-finish:{sprint_id}:{answer}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FinishButton:
        return cls(int(match["sprint"]), match["answer"])

    @routes_errors
    async def callback(self, interaction: discord.Interaction[CirclesBot]) -> None:
        await interaction.client.services.sprints.record_finish(
            interaction.guild_id or 0, interaction.user.id, self.sprint_id, self.answer
        )
        text = {
            "yes": "Wonderful, well done!",
            "partly": "Progress counts. Nice work.",
            "no": "That happens. Thanks for showing up.",
        }[self.answer]
        await interaction.response.send_message(
            f"Noted: **{self.answer}**. {text}", ephemeral=True, allowed_mentions=NO_PINGS
        )


def sprint_view(sprint_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in ("join", "leave", "stop"):
        view.add_item(SprintButton(action, sprint_id))
    return view


def finish_view(sprint_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for answer in FINISH_ANSWERS:
        view.add_item(FinishButton(sprint_id, answer))
    return view
