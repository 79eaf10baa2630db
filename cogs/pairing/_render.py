"""Pairing and goal messages: the intro, the check-in, the gentle nudge, the close, status and history.

User text (goals, offers, asks) is escaped so it can neither ping nor break the layout; every time a reader
should see in their own timezone is a Discord timestamp.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import discord

from bot.pairing.results import (
    CloseGroup,
    GoalView,
    GroupPlan,
    HistoryEntry,
    MemberCard,
    PairStatus,
    RoundClaim,
    SatOut,
    ScheduleView,
)
from bot.pairing.service import WEEKDAY_NAMES
from bot.timefmt import discord_ts

PAIR_COLOUR = discord.Colour.from_rgb(230, 160, 90)
CLOSE_GOALS_MAX = 8  # two buttons each, four rows of five under the "Did you meet?" row
LIST_MAX = 20


def safe(text: str) -> str:
    return discord.utils.escape_markdown(discord.utils.escape_mentions(text))


def thread_name(starts_at: datetime, timezone: str, position: int) -> str:
    """Deterministic, so a recovery can recognise a thread made before a crash."""
    return f"Partners · {starts_at.astimezone(ZoneInfo(timezone)):%a %d %b} · {position + 1}"


def local_clock(member: MemberCard, now: datetime) -> str:
    return f"{now.astimezone(ZoneInfo(member.timezone)):%H:%M} ({member.timezone})"


def windows_text(windows: tuple[tuple[datetime, datetime], ...]) -> str:
    if not windows:
        return "Your working hours don't overlap in the next day; pick a time that suits you both."
    return ", ".join(f"{discord_ts(lo, 't')}–{discord_ts(hi, 't')}" for lo, hi in windows)


def intro(group: GroupPlan, claim: RoundClaim, now: datetime) -> tuple[str, discord.Embed]:
    mentions = " and ".join(f"<@{uid}>" for uid in group.user_ids)
    content = f"Welcome, {mentions}! You are accountability partners in **{safe(claim.circle_name)}** this cycle."
    lines = [
        "Say hello, agree on a time to meet, and set a goal or two with the button below.",
        f"The cycle ends {discord_ts(claim.ends_at, 'R')}; halfway there I'll drop in for a check-in.",
    ]
    if len(group.members) == 3 and claim.groups and min(len(g.members) for g in claim.groups) == 2:
        lines.append("You're three this time: the pool was odd, and nobody gets left out. Enjoy the extra company!")
    embed = discord.Embed(title="Your accountability group 🤝", description="\n".join(lines), colour=PAIR_COLOUR)
    for member in group.members:
        parts = [f"Local time now: {local_clock(member, now)}"]
        if member.hours_text:
            parts.append(f"Works {member.hours_text}")
        if member.offers:
            parts.append(f"Offers: {safe(member.offers)}")
        if member.asks:
            parts.append(f"Asks: {safe(member.asks)}")
        embed.add_field(name="\u200b", value=f"<@{member.user_id}>\n" + "\n".join(parts), inline=False)
    embed.add_field(name="When you all work (next 24 h)", value=windows_text(group.common_hours), inline=False)
    return content, embed


def checkin(ends_at: datetime) -> str:
    return (
        "Halfway through the cycle! 🌱 How is it going? A line on what moved and what's next helps you both. "
        f"The cycle ends {discord_ts(ends_at, 'R')}."
    )


def nudge(quiet_user_id: int, partner_ids: tuple[int, ...]) -> str:
    partners = " and ".join(f"<@{uid}>" for uid in partner_ids)
    return (
        f"{partners}, <@{quiet_user_id}> has been quiet for a few days. A short, friendly hello from you might be "
        "just the thing. No pressure on anyone 💛"
    )


def close(group: CloseGroup) -> str:
    lines = ["The cycle is nearly over. **Did you meet?** Each of you can answer below."]
    shown = group.goals[:CLOSE_GOALS_MAX]
    if shown:
        lines.append("And the goals: partners, tell us how they went (the owner's partner confirms).")
        for index, goal in enumerate(shown, start=1):
            lines.append(f"**{index}.** <@{goal.user_id}>: {safe(goal.text)}{_done_mark(goal)}")
    if len(group.goals) > len(shown):
        lines.append(f"… and {len(group.goals) - len(shown)} more in `/goal list`.")
    return "\n".join(lines)


def _done_mark(goal: GoalView) -> str:
    return " (marked done)" if goal.status == "done" else ""


def goal_set(goal: GoalView) -> str:
    due = f" (due {goal.due:%a %d %b})" if goal.due else ""
    return f"🎯 <@{goal.user_id}> set a goal: **{safe(goal.text)}**{due}"


def goal_done(goal: GoalView) -> str:
    return f"🎉 <@{goal.user_id}> finished a goal: **{safe(goal.text)}**"


def goal_line(goal: GoalView) -> str:
    mark = {"done": "✅", "dropped": "➖"}.get(goal.status, "⬜")
    due = f" · due {goal.due:%a %d %b}" if goal.due and goal.status == "open" else ""
    confirmed = ""
    if goal.outcome:
        confirmed = " · partner confirmed: " + ("done" if goal.outcome == "done" else "not done")
    return f"{mark} {safe(goal.text)}{due}{confirmed}"


def goals(items: list[GoalView], whose: str) -> discord.Embed:
    embed = discord.Embed(title=f"Goals · {whose}", colour=PAIR_COLOUR)
    if not items:
        embed.description = "No goals yet. `/goal add` sets one (up to 200 characters, with an optional due date)."
    else:
        embed.description = "\n".join(goal_line(g) for g in items[:LIST_MAX])
    return embed


def schedule_saved(view: ScheduleView) -> str:
    return (
        f"Pairing in **{safe(view.circle_name)}**: {view.cadence} on {WEEKDAY_NAMES[view.weekday]} at {view.at_text} "
        f"({view.timezone}), groups of {view.size}. Next round {discord_ts(view.next_round_at, 'F')}."
    )


def round_report(claim: RoundClaim) -> str:
    """For the host who ran `/pair now` (ephemeral): what happened, including who sat out and why."""
    if not claim.groups:
        head = "No groups this time: the pool needs at least two members who are not snoozed or away."
    else:
        sizes = sorted(len(g.members) for g in claim.groups)
        head = f"Round started in **{safe(claim.circle_name)}**: {len(sizes)} group(s) of {', '.join(map(str, sizes))}."
    return head + sat_out_text(claim.sat_out)


def sat_out_text(sat_out: tuple[SatOut, ...]) -> str:
    if not sat_out:
        return ""
    return "\nSat out: " + ", ".join(f"<@{s.user_id}> ({s.reason})" for s in sat_out[:LIST_MAX])


def status(result: PairStatus, now: datetime) -> discord.Embed:
    embed = discord.Embed(title="Your accountability partners", colour=PAIR_COLOUR)
    if not result.partnerships:
        embed.description = "No partners right now." + (
            "" if result.pool_circles else " `/pair optin` puts you in a circle's pool."
        )
    for p in result.partnerships:
        people = "\n".join(f"<@{m.user_id}> · {local_clock(m, now)}" for m in p.partners)
        thread = f"\nThread: <#{p.thread_id}>" if p.thread_id else ""
        embed.add_field(
            name=safe(p.circle_name), value=f"{people}{thread}\nCycle ends {discord_ts(p.ends_at, 'R')}", inline=False
        )
    if result.pool_circles:
        embed.add_field(name="In the pool of", value=", ".join(safe(n) for n in result.pool_circles), inline=False)
    if result.snoozed_until:
        embed.add_field(name="Snoozed", value=f"through {result.snoozed_until:%a %d %b %Y}", inline=False)
    if result.next_rounds:
        embed.add_field(
            name="Next rounds",
            value="\n".join(f"{safe(name)}: {discord_ts(when, 'F')}" for name, when in result.next_rounds),
            inline=False,
        )
    return embed


def history(entries: list[HistoryEntry]) -> discord.Embed:
    embed = discord.Embed(title="Your pairing history", colour=PAIR_COLOUR)
    if not entries:
        embed.description = "No rounds yet. Once you're paired, each cycle shows up here."
        return embed
    lines = []
    for e in entries:
        partners = ", ".join(f"<@{uid}>" for uid in e.partner_ids) or "a former member"
        goals_text = f" · goals {e.goals_done}/{e.goals_total} done" if e.goals_total else ""
        lines.append(f"{discord_ts(e.started_at, 'd')} · {safe(e.circle_name)} · {partners} · {e.met}{goals_text}")
    embed.description = "\n".join(lines)
    return embed


def snoozed(until: date) -> str:
    return f"Snoozed: no pairing rounds for you through **{until:%a %d %b %Y}**. Enjoy the break!"
