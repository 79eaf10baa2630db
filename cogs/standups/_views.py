"""The persistent "Post my standup" button and the answer modal."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.standups.questions import ANSWER_MAX
from bot.standups.schedule import thread_name
from bot.standups.views import AnswerForm
from cogs._common.interactions import Modal, routes_errors

if TYPE_CHECKING:
    from bot.client import CirclesBot

PLACEHOLDER_MAX = 100


class PostStandupButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"standup-post:(?P<occ>\d+)"):
    """Its custom_id carries the occurrence, so it works after a restart without any stored view."""

    def __init__(self, occurrence_id: int) -> None:
        self.occurrence_id = occurrence_id
        super().__init__(
            discord.ui.Button(
                label="Post my standup",
                style=discord.ButtonStyle.primary,
                emoji="📝",
                custom_id=f"standup-post:{occurrence_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PostStandupButton:
        return cls(int(match["occ"]))

    @routes_errors
    async def callback(self, interaction: discord.Interaction[CirclesBot]) -> None:
        form = await interaction.client.services.standups.answer_form(
            interaction.guild_id or 0, interaction.user.id, occurrence_id=self.occurrence_id
        )
        await interaction.response.send_modal(AnswerModal(form))


def post_view(occurrence_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(PostStandupButton(occurrence_id))
    return view


class AnswerModal(Modal):
    """One paragraph field per question, prefilled when editing; yesterday's plan shown as a hint."""

    def __init__(self, form: AnswerForm) -> None:
        super().__init__(title=thread_name(form.local_date), custom_id=f"standup-answer:{form.occurrence_id}")
        self.form = form
        self.fields: list[discord.ui.TextInput[AnswerModal]] = []
        for index, question in enumerate(form.questions):
            placeholder = None
            if index == 0 and form.yesterday_plan:
                hint = f"Yesterday you planned: {form.yesterday_plan}"
                placeholder = hint if len(hint) <= PLACEHOLDER_MAX else hint[: PLACEHOLDER_MAX - 1] + "…"
            field: discord.ui.TextInput[AnswerModal] = discord.ui.TextInput(
                label=question,
                custom_id=f"q{index}",
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=ANSWER_MAX,
                placeholder=placeholder,
                default=form.current[index] if form.current and index < len(form.current) else None,
            )
            self.fields.append(field)
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction[CirclesBot]) -> None:  # type: ignore[override]
        from cogs.standups._posting import post_answer

        await post_answer(interaction, self.form.occurrence_id, [field.value for field in self.fields])
