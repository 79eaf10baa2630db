"""Persistent pairing buttons (custom ids carry what they act on, so they work after a restart) and the goal modal.

- ``pair-goal:{group}`` on the intro: opens the goal modal;
- ``pair-met:{group}:{yes|no}`` on the close: "Did you meet?";
- ``pair-confirm:{group}:{goal}:{done|not}`` on the close: the partner confirms a goal's outcome.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.pairing.common import GOAL_MAX
from bot.pairing.results import CloseGroup
from bot.timeparse import parse_local_date
from cogs._common.interactions import routes_errors
from cogs.pairing import _render
from cogs.standups._views import submitted_values

__all__ = ["submitted_values"]  # modal values are read the same way as the standup form's

if TYPE_CHECKING:
    from bot.client import CirclesBot

NO_PINGS = discord.AllowedMentions.none()
MODAL_PREFIX = "pair-goal-form:"
MODAL_RE = re.compile(r"pair-goal-form:(?P<group>\d+)")


class SetGoalButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"pair-goal:(?P<group>\d+)"):
    def __init__(self, group_id: int) -> None:
        self.group_id = group_id
        super().__init__(
            discord.ui.Button(
                label="Set a goal", style=discord.ButtonStyle.primary, emoji="🎯", custom_id=f"pair-goal:{group_id}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SetGoalButton:
        return cls(int(match["group"]))

    @routes_errors
    async def callback(self, interaction: discord.Interaction[CirclesBot]) -> None:
        await interaction.response.send_modal(GoalModal(self.group_id))


class GoalModal(discord.ui.Modal):
    """A builder only (stopped before it is sent): submits are handled by ``PairingCog.on_interaction``
    from the custom id, so they work for every member at once and after a restart."""

    def __init__(self, group_id: int) -> None:
        super().__init__(title="Set a goal", custom_id=f"{MODAL_PREFIX}{group_id}")
        self.add_item(
            discord.ui.TextInput(
                label="Your goal for this cycle",
                custom_id="text",
                style=discord.TextStyle.paragraph,
                max_length=GOAL_MAX,
                required=True,
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label="Due (YYYY-MM-DD, today, tomorrow, friday…)",
                custom_id="due",
                style=discord.TextStyle.short,
                max_length=20,
                required=False,
            )
        )
        self.stop()


async def submit_goal(interaction: discord.Interaction[CirclesBot], group_id: int, values: dict[str, str]) -> None:
    """The modal's goal: saved, then announced in the thread as the reply (nobody pinged)."""
    services = interaction.client.services
    guild_id = interaction.guild_id or 0
    due_text = values.get("due", "").strip()
    due = None
    if due_text:
        due = parse_local_date(due_text, await services.profiles.local_today(guild_id, interaction.user.id))
    change = await services.pairing.add_goal(
        guild_id, interaction.user.id, values.get("text", ""), due, group_id=group_id
    )
    await interaction.response.send_message(_render.goal_set(change.goal), allowed_mentions=NO_PINGS)


class MetButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"pair-met:(?P<group>\d+):(?P<answer>yes|no)"):
    def __init__(self, group_id: int, answer: str) -> None:
        self.group_id = group_id
        self.answer = answer
        label, style = (
            ("Yes, we met", discord.ButtonStyle.success)
            if answer == "yes"
            else ("Not this time", discord.ButtonStyle.secondary)
        )
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=f"pair-met:{group_id}:{answer}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> MetButton:
        return cls(int(match["group"]), match["answer"])

    @routes_errors
    async def callback(self, interaction: discord.Interaction[CirclesBot]) -> None:
        rounds = interaction.client.services.pairing.rounds
        answer = await rounds.answer_met(
            interaction.guild_id or 0, interaction.user.id, self.group_id, self.answer == "yes"
        )
        if answer.met:
            text = "Lovely! Noted that you met." + (" Your partner says so too ✨" if answer.confirmed else "")
        else:
            text = "Noted. Life happens; next cycle is a fresh start."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


class ConfirmGoalButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"pair-confirm:(?P<group>\d+):(?P<goal>\d+):(?P<answer>done|not)",
):
    def __init__(self, group_id: int, goal_id: int, answer: str, number: int = 0) -> None:
        self.group_id, self.goal_id, self.answer = group_id, goal_id, answer
        label = f"{number}. done" if answer == "done" else f"{number}. not done"
        style = discord.ButtonStyle.success if answer == "done" else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"pair-confirm:{group_id}:{goal_id}:{answer}")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ConfirmGoalButton:
        return cls(int(match["group"]), int(match["goal"]), match["answer"])

    @routes_errors
    async def callback(self, interaction: discord.Interaction[CirclesBot]) -> None:
        rounds = interaction.client.services.pairing.rounds
        done = self.answer == "done"
        await rounds.confirm_goal(interaction.guild_id or 0, interaction.user.id, self.group_id, self.goal_id, done)
        text = "Confirmed: done. Well supported!" if done else "Noted as not done. There's always next cycle."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


def intro_view(group_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SetGoalButton(group_id))
    return view


def close_view(group: CloseGroup) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(MetButton(group.group_id, "yes"))
    view.add_item(MetButton(group.group_id, "no"))
    for number, goal in enumerate(group.goals[: _render.CLOSE_GOALS_MAX], start=1):
        for answer in ("done", "not"):
            item = ConfirmGoalButton(group.group_id, goal.id, answer, number)
            item.item.row = 1 + (number - 1) // 2
            view.add_item(item)
    return view
