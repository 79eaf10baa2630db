"""Stats replies and the weekly digest as embeds, with the charts' figures also in words (screen readers).

Names are mentions inside embeds, which never ping; every send also sets allowed mentions to none.
"""

from __future__ import annotations

from datetime import timedelta

import discord

from bot.stats.days import Period
from bot.stats.figures import DigestFigures, Ranked
from bot.stats.heatmap import HeatMap
from bot.stats.results import CircleStats, DigestClaim, MemberStats, Timesheet

COLOUR = discord.Colour.from_rgb(59, 82, 139)  # viridis dark blue, as the charts
HEATMAP_FILE = "focus-heatmap.png"
CIRCLE_FILE = "circle-focus.png"
DIGEST_FILE = "weekly-digest.png"
DIGEST_MARK = "Weekly digest"


def safe(text: str) -> str:
    return discord.utils.escape_markdown(discord.utils.escape_mentions(text))


def duration(minutes: int) -> str:
    """``45 min``, ``3 h``, ``2 h 05 min``."""
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest:02d} min"


def period_text(period: Period, since: object) -> str:
    if period is Period.ALL:
        return "all time"
    what = "this week" if period is Period.WEEK else "this month"
    return f"{what} (since {since:%a %d %b})" if since is not None else what


def heatmap_words(heat: HeatMap) -> str:
    days = heat.weeks * 7 - sum(1 for row in heat.cells for v in row if v is None)
    best = max(
        ((v, heat.day_of(r, c)) for r, row in enumerate(heat.cells) for c, v in enumerate(row) if v),
        default=None,
    )
    monday = heat.first_monday + timedelta(weeks=heat.weeks - 1)
    week = ", ".join(
        f"{monday + timedelta(days=i):%a} {duration(v) if v else '–'}"
        for i, v in enumerate(row[-1] for row in heat.cells)
        if v is not None
    )
    text = f"Active on {heat.active_days} of the last {days} days, {duration(heat.total_minutes)} in all."
    if best is not None:
        text += f" Best day: {best[1]:%a %d %b} ({duration(best[0])})."
    return f"{text}\nThis week: {week}."


def member_stats(stats: MemberStats) -> discord.Embed:
    embed = discord.Embed(
        title="Your co-working stats",
        description=f"**{period_text(stats.period, stats.since)}**, in your timezone ({stats.timezone})",
        colour=COLOUR,
    )
    embed.add_field(name="Focus time", value=duration(stats.focus_minutes))
    embed.add_field(name="Sprints joined", value=f"{stats.sprints_joined} ({duration(stats.sprint_minutes)} of focus)")
    embed.add_field(
        name="Standup streak", value=f"{stats.streak} in a row" if stats.streak else "Starts with your next answer"
    )
    embed.add_field(name="Goals done", value=str(stats.goals_done))
    embed.add_field(name="Last 12 weeks", value=heatmap_words(stats.heatmap), inline=False)
    embed.set_image(url=f"attachment://{HEATMAP_FILE}")
    embed.set_footer(text="Focus time: your time in circle voice rooms and in sprints you joined.")
    return embed


def ranking(entries: tuple[Ranked, ...] | list[Ranked], unit: str) -> str:
    medals = ("🥇", "🥈", "🥉")
    lines = []
    for i, entry in enumerate(entries):
        badge = medals[i] if i < len(medals) else f"{i + 1}."
        value = duration(entry.value) if unit == "minutes" else f"{entry.value} {unit}"
        lines.append(f"{badge} <@{entry.user_id}> · {value}")
    return "\n".join(lines)


def circle_stats(stats: CircleStats) -> discord.Embed:
    embed = discord.Embed(
        title=f"{safe(stats.circle_name)}: circle stats",
        description=f"**{period_text(stats.period, stats.since)}**, circle time ({stats.timezone})",
        colour=COLOUR,
    )
    embed.add_field(
        name="Focus time", value=f"{duration(stats.focus_minutes)} by {stats.active_members} of {stats.members} members"
    )
    embed.add_field(name="Sprints", value=str(stats.sprints))
    embed.add_field(name="Standups", value=f"{stats.answers} answers in {stats.standups_held} standups")
    embed.add_field(name="Goals done", value=str(stats.goals_done))
    goal = stats.goal
    cheer = " Goal reached, well done everyone!" if goal.reached else ""
    embed.add_field(name="Cooperative goal, this week", value=f"{goal.text()}{cheer}", inline=False)
    embed.add_field(
        name="Most focus time",
        value=ranking(stats.leaderboard, "minutes") or "Nobody yet: the first sprint puts you here.",
        inline=False,
    )
    weeks = ", ".join(f"{w.label}: {w.hours:g} h" for w in stats.weeks if w.hours)
    embed.add_field(name="Focus hours by week", value=weeks or "No focus time in the last 12 weeks yet.", inline=False)
    embed.set_image(url=f"attachment://{CIRCLE_FILE}")
    embed.set_footer(text="Members who chose /profile leaderboard hide are not listed.")
    return embed


def timesheet_text(sheet: Timesheet) -> str:
    if sheet.rows == 0:
        return (
            f"Nothing recorded from {sheet.first:%d %b %Y} to {sheet.last:%d %b %Y}. The files still have their "
            "header rows, so a spreadsheet template keeps working."
        )
    return (
        f"Your timesheet from **{sheet.first:%d %b %Y}** to **{sheet.last:%d %b %Y}** "
        f"(times in {sheet.timezone}): {sheet.rows} rows, {duration(sheet.voice_minutes)} in circle rooms, "
        f"{duration(sheet.sprint_minutes)} of sprint focus.\n"
        "`…-sessions.csv`: one row per local day of each session and sprint. "
        "`…-hours-by-tag.csv`: sprint hours per week and tag, ready for an invoice."
    )


def change_text(figures: DigestFigures) -> str:
    """Celebrate a rise; a dip is just the two figures side by side (never a "down" headline)."""
    change = figures.change_percent
    if not figures.minutes:
        return "a quiet week: every sprint counts"
    if change is None:
        return "a fresh start"
    if change > 0:
        return f"▲ {change} % on the week before"
    return "steady work"


def welcome(user_ids: tuple[int, ...], shown: int = 5) -> str:
    """Names as mentions inside the embed (they never ping), the rest as a count."""
    if not user_ids:
        return "–"
    names = ", ".join(f"<@{uid}>" for uid in user_ids[:shown])
    more = f" and {len(user_ids) - shown} more" if len(user_ids) > shown else ""
    return f"Welcome {names}{more}!"


def digest(claim: DigestClaim) -> discord.Embed:
    f = claim.figures
    hours = f"{f.minutes / 60:.1f}"
    embed = discord.Embed(
        title=f"{DIGEST_MARK} · {safe(claim.circle_name)}",
        description=(
            f"The week of **{f.week_monday:%d %b}**: **{hours} focus hours** together ({change_text(f)}; "
            f"the week before: {f.previous_minutes / 60:.1f} h)."
        ),
        colour=COLOUR,
    )
    rate = f.response_rate
    standups = (
        f"{f.answers} answers in {f.standups_held} standups ({round(rate * 100)} % response)"
        if rate is not None
        else "No standups this week."
    )
    embed.add_field(name="Standups", value=standups, inline=False)
    embed.add_field(
        name="Goals done", value=str(f.goals_done) if f.goals_done else "None this week: next week's yours."
    )
    embed.add_field(name="New members", value=welcome(f.new_members))
    if f.streaks:
        embed.add_field(name="Longest standup streaks", value=ranking(f.streaks, "in a row"), inline=False)
    days = ", ".join(
        f"{d} {m / 60:.1f} h"
        for d, m in zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), f.daily_minutes, strict=True)
    )
    embed.add_field(name="Focus by day", value=days, inline=False)
    embed.set_image(url=f"attachment://{DIGEST_FILE}")
    late = " · posted late (the bot was offline at 09:00)" if claim.late else ""
    embed.set_footer(text=f"{DIGEST_MARK} {claim.iso_week}{late}")
    return embed
