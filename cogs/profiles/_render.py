"""Profile cards and confirmations."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import discord

from bot.circles.service import CircleView
from bot.profiles.service import ProfileView
from bot.timefmt import discord_ts

COLOUR = discord.Colour.from_rgb(120, 144, 220)


def escape(text: str) -> str:
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def local_moment(zone: str, day_time: time, now: datetime) -> datetime:
    """Today's occurrence of a local wall-clock time in a zone, as an aware datetime."""
    tz = ZoneInfo(zone)
    local_today = now.astimezone(tz).date()
    return datetime.combine(local_today, day_time, tzinfo=tz)


def card(profile: ProfileView, display_name: str, circles: list[CircleView], now: datetime) -> discord.Embed:
    embed = discord.Embed(title=escape(display_name), colour=COLOUR)
    local_now = now.astimezone(ZoneInfo(profile.zone))
    tz_text = profile.timezone or "not set (UTC assumed)"
    embed.add_field(name="Timezone", value=f"{tz_text}\nlocal time {local_now:%H:%M}")
    if profile.work_start is not None and profile.work_end is not None:
        start = local_moment(profile.zone, profile.work_start, now)
        end = local_moment(profile.zone, profile.work_end, now)
        if end <= start:
            end += timedelta(days=1)
        embed.add_field(
            name="Working hours",
            value=f"{profile.hours_text} local\n(for you: {discord_ts(start, 't')}–{discord_ts(end, 't')})",
        )
    if profile.offers:
        embed.add_field(name="Can help with", value=escape(profile.offers), inline=False)
    if profile.asks:
        embed.add_field(name="Looking for", value=escape(profile.asks), inline=False)
    if circles:
        embed.add_field(name="Circles", value=", ".join(escape(c.name) for c in circles), inline=False)
    if profile.away_until is not None and profile.is_away_on(local_now.date()):
        reason = f" ({escape(profile.away_reason)})" if profile.away_reason else ""
        embed.add_field(name="Away", value=f"until {profile.away_until:%a %d %b}{reason}", inline=False)
    return embed
