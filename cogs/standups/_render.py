"""Standup messages: the opening, an answer, the reminder, the summary. User text never pings."""

from __future__ import annotations

import discord

from bot.standups.results import AnswerPosted, CloseSummary, HistoryEntry, OpeningClaim, ScheduleChange
from bot.standups.schedule import thread_name
from bot.timefmt import discord_ts
from bot.timeparse import format_days, format_hhmm

OPEN_COLOUR = discord.Colour.from_rgb(88, 166, 140)
BLOCKER_COLOUR = discord.Colour.from_rgb(230, 126, 34)
DONE_COLOUR = discord.Colour.from_rgb(120, 144, 220)


def safe(text: str) -> str:
    """User text shown as-is but unable to ping (embeds never ping; this also guards plain content)."""
    # Most text has no "@" at all: skip the regex (this runs for every field of every answer).
    return discord.utils.escape_mentions(text) if "@" in text else text


def opening(claim: OpeningClaim) -> discord.Embed:
    questions = "\n".join(f"**{i}.** {safe(text)}" for i, text in enumerate(claim.questions, start=1))
    embed = discord.Embed(
        title=thread_name(claim.local_date),
        description=(
            f"Hello, **{safe(claim.circle_name)}**! Share where you are:\n\n{questions}\n\n"
            f"Open until {discord_ts(claim.closes_at, 't')} ({discord_ts(claim.closes_at, 'R')})."
        ),
        colour=OPEN_COLOUR,
    )
    embed.set_footer(text="Press the button to answer; press it again to edit.")
    return embed


def member_url(user_id: int) -> str:
    return f"https://discord.com/users/{user_id}"


def answer(posted: AnswerPosted, display_name: str, avatar_url: str | None) -> discord.Embed:
    embed = discord.Embed(colour=BLOCKER_COLOUR if posted.blocker else OPEN_COLOUR)
    # The author link names the member: after a crash it lets the bot find which message is whose.
    embed.set_author(name=display_name, icon_url=avatar_url, url=member_url(posted.user_id))
    for question, text in zip(posted.questions, posted.answers, strict=False):
        embed.add_field(name=question, value=safe(text)[:1024] or "—", inline=False)
    if posted.blocker:
        embed.set_footer(text="🚧 Blocker: could someone help?")
    return embed


def reminder(user_ids: tuple[int, ...], closes_at_ts: str) -> str:
    mentions = " ".join(f"<@{uid}>" for uid in user_ids)
    return f"{mentions} a gentle nudge: today's standup is open until {closes_at_ts}. A line or two is plenty."


def summary(result: CloseSummary) -> discord.Embed:
    count = len(result.answered)
    if count == 0:
        text = "A quiet day. That's fine: see you at the next one."
    else:
        names = ", ".join(f"<@{uid}>" for uid in result.answered)
        text = f"**{count} of {result.expected}** checked in: {names}. Thank you for showing up!"
    embed = discord.Embed(title=f"{thread_name(result.local_date)}: wrapped up", description=text, colour=DONE_COLOUR)
    if result.blockers:
        lines = []
        for blocker in result.blockers[:15]:
            link = (
                f" ([answer](https://discord.com/channels/{result.guild_id}/{result.thread_id}/{blocker.message_id}))"
                if blocker.message_id and result.thread_id
                else ""
            )
            lines.append(f"<@{blocker.user_id}>: {safe(blocker.text)[:120]}{link}")
        embed.add_field(name="Blockers: can anyone help?", value="\n".join(lines)[:1024], inline=False)
    streaks = sorted(((n, uid) for uid, n in result.streaks.items() if n >= 2), reverse=True)[:10]
    if streaks:
        embed.add_field(
            name="Streaks", value="\n".join(f"🔥 <@{uid}> {n} in a row" for n, uid in streaks), inline=False
        )
    if result.next_opens_at:
        embed.set_footer(text="Next standup")
        embed.timestamp = result.next_opens_at
    return embed


def schedule_saved(change: ScheduleChange) -> str:
    view = change.schedule
    reminder_text = (
        "no reminder" if view.reminder_minutes is None else f"one reminder after {view.reminder_minutes} min"
    )
    tz_text = f"{view.timezone}{' (the circle’s timezone)' if view.follows_circle_timezone else ''}"
    lines = [
        f"Standup for **{safe(view.circle_name)}**: {format_days(view.days)} at {format_hhmm(view.open_time)} "
        f"{tz_text}, open {view.window_hours} h, {reminder_text}.",
        "Questions: " + " · ".join(safe(q) for q in view.questions),
    ]
    if view.paused:
        lines.append("It is **paused**: `/standup resume` starts it again.")
    elif change.next_opens_at and change.opens_now:
        lines.append("Today's window is already open, so today's standup opens right now.")
    elif change.next_opens_at:
        lines.append(f"Next opens {discord_ts(change.next_opens_at, 'F')} ({discord_ts(change.next_opens_at, 'R')}).")
    return "\n".join(lines)


def history(entries: list[HistoryEntry], whose: str) -> discord.Embed:
    embed = discord.Embed(title=f"Standups of {safe(whose)}", colour=DONE_COLOUR)
    if not entries:
        embed.description = "Nothing to show for that period (answers are visible from circles you share)."
        return embed
    for entry in entries[:10]:
        body = "\n".join(
            f"*{safe(qn)}* {safe(text)[:150] or '—'}" for qn, text in zip(entry.questions, entry.answers, strict=False)
        )
        title = f"{entry.local_date:%a %d %b} · {safe(entry.circle_name)}{' · 🚧' if entry.blocker else ''}"
        embed.add_field(name=title, value=body[:1024], inline=False)
    if len(entries) > 10:
        embed.set_footer(text=f"and {len(entries) - 10} earlier; narrow `days` to see them")
    return embed
