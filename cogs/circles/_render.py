"""Text and embeds for circles, built from the service's plain results."""

from __future__ import annotations

import discord

from bot.circles.activity import Activity
from bot.circles.service import CircleSummary, CircleView
from bot.timefmt import discord_ts

COLOUR = discord.Colour.from_rgb(88, 166, 140)


def circle_line(circle: CircleView) -> str:
    parts = [f"home <#{circle.channel_id}>"]
    if circle.voice_channel_id:
        parts.append(f"focus room <#{circle.voice_channel_id}>")
    parts.append(circle.timezone)
    return " · ".join(parts)


def activity_line(activity: Activity) -> str:
    text = activity.label + (" (paused)" if activity.paused else "")
    if activity.next_at is not None and not activity.paused:
        text += f" — next {discord_ts(activity.next_at, 'R')}"
    return text


def created(circle: CircleView) -> str:
    return (
        f"Circle **{discord.utils.escape_markdown(circle.name)}** is ready: {circle_line(circle)}.\n"
        "Members join with `/circle join`; set up a daily check-in with `/standup schedule`."
    )


def edited(circle: CircleView) -> str:
    return f"Saved. **{discord.utils.escape_markdown(circle.name)}**: {circle_line(circle)}."


def circle_list(summaries: list[CircleSummary], activities: dict[int, list[Activity]]) -> discord.Embed:
    embed = discord.Embed(title="Circles", colour=COLOUR)
    if not summaries:
        embed.description = "No circles yet. A host can start one with `/circle create`."
        return embed
    for summary in summaries[:25]:
        circle = summary.circle
        lines = [f"{summary.member_count} member{'s' if summary.member_count != 1 else ''} · {circle_line(circle)}"]
        lines += [activity_line(a) for a in activities.get(circle.id, [])]
        embed.add_field(name=circle.name, value="\n".join(lines)[:1024], inline=False)
    return embed


def circle_info(circle: CircleView, member_ids: list[int], activities: list[Activity]) -> discord.Embed:
    embed = discord.Embed(title=circle.name, description=circle_line(circle), colour=COLOUR)
    if circle.role_id:
        embed.add_field(name="Member role", value=f"<@&{circle.role_id}>")
    if circle.host_role_id:
        embed.add_field(name="Host role", value=f"<@&{circle.host_role_id}>")
    embed.add_field(
        name="What runs here",
        value="\n".join(activity_line(a) for a in activities) or "Nothing scheduled yet.",
        inline=False,
    )
    shown = " ".join(f"<@{uid}>" for uid in member_ids[:60])
    more = f" and {len(member_ids) - 60} more" if len(member_ids) > 60 else ""
    embed.add_field(name=f"Members ({len(member_ids)})", value=(shown + more) or "Nobody yet.", inline=False)
    return embed
