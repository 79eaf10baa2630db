"""The persistent "Post my standup" button and the answer modal."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.standups.questions import ANSWER_MAX
from bot.standups.results import AnswerForm
from bot.standups.schedule import thread_name
from cogs._common.interactions import routes_errors

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
        form = await interaction.client.services.standups.answers.answer_form(
            interaction.guild_id or 0, interaction.user.id, occurrence_id=self.occurrence_id
        )
        await interaction.response.send_modal(AnswerModal(form))


def post_view(occurrence_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(PostStandupButton(occurrence_id))
    return view


class AnswerModal(discord.ui.Modal):
    """One paragraph field per question, prefilled when editing; yesterday's plan shown as a hint.

    Only a builder: it is stopped before it is sent, so discord.py does not keep it in its view store
    (which holds one modal per custom_id, for all users, and forgets them on restart). Submits are
    handled by ``StandupsCog.on_interaction`` from the custom_id alone, so they work for every member
    at once and after a restart.
    """

    def __init__(self, form: AnswerForm) -> None:
        super().__init__(title=thread_name(form.local_date), custom_id=f"{MODAL_PREFIX}{form.occurrence_id}")
        for index, question in enumerate(form.questions):
            placeholder = None
            if index == 0 and (form.yesterday_plan or form.focused):
                hint = focus_hint(form)
                placeholder = hint if len(hint) <= PLACEHOLDER_MAX else hint[: PLACEHOLDER_MAX - 1] + "…"
            self.add_item(
                discord.ui.TextInput(
                    label=question,
                    custom_id=f"q{index}",
                    style=discord.TextStyle.paragraph,
                    required=False,
                    max_length=ANSWER_MAX,
                    placeholder=placeholder,
                    default=form.current[index] if form.current and index < len(form.current) else None,
                )
            )
        self.stop()


def focus_hint(form: AnswerForm) -> str:
    """The first field's hint: yesterday's plan and the focus time since ("… — you focused 75 min in 3 sprints")."""
    parts = [f"Yesterday you planned: {form.yesterday_plan}"] if form.yesterday_plan else []
    if form.focused is not None:
        minutes, sprints = form.focused
        parts.append(f"you focused {minutes} min in {sprints} sprint{'s' if sprints != 1 else ''}")
    text = " — ".join(parts)
    return text[:1].upper() + text[1:]


MODAL_PREFIX = "standup-answer:"
MODAL_RE = re.compile(r"standup-answer:(?P<occ>\d+)")


def submitted_values(data: Any) -> dict[str, str]:
    """Text input values of a modal submit, by custom_id, whatever the nesting (action rows or labels)."""
    values: dict[str, str] = {}
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "custom_id" in node and "value" in node:
                values[str(node["custom_id"])] = str(node["value"] or "")
            stack.extend(node.get("components") or [])
            if isinstance(node.get("component"), dict):
                stack.append(node["component"])
        elif isinstance(node, list):
            stack.extend(node)
    return values


def answers_in_order(values: dict[str, str]) -> list[str]:
    """The fields q0, q1, … in question order (a field Discord left out counts as empty)."""
    indexes = [int(key[1:]) for key in values if key[:1] == "q" and key[1:].isdigit()]
    return [values.get(f"q{index}", "") for index in range(max(indexes) + 1)] if indexes else []
