"""Sprint messages: the announcement embed, the short phase-change lines, the recap. User text never pings."""

from __future__ import annotations

import discord

from bot.focus.results import HeadsUp, ParticipantView, Recap, SprintCard, SprintScheduleView
from bot.focus.timeline import CatchUp, Phase, PhaseKind
from bot.timefmt import discord_ts
from bot.timeparse import format_days

FOCUS_COLOUR = discord.Colour.from_rgb(88, 166, 140)
BREAK_COLOUR = discord.Colour.from_rgb(120, 144, 220)
DONE_COLOUR = discord.Colour.from_rgb(150, 150, 150)
LIST_MAX = 25


def safe(text: str) -> str:
    """User text (intentions, tags) shown as-is but unable to ping or break the layout."""
    return discord.utils.escape_markdown(discord.utils.escape_mentions(text))


def phase_name(phase: Phase, rounds: int) -> str:
    if phase.kind is PhaseKind.DONE:
        return "Done"
    return f"{'Focus' if phase.kind is PhaseKind.FOCUS else 'Break'} · round {phase.round} of {rounds}"


def participant_line(p: ParticipantView, *, minutes: bool = False) -> str:
    line = f"<@{p.user_id}>"
    if minutes:
        line += f" — **{p.focus_minutes} min**"
    if p.intention:
        line += f" · {safe(p.intention)}"
    if p.tag:
        line += f" `[{safe(p.tag)}]`"
    return line


def card(card: SprintCard, *, ended: bool = False) -> discord.Embed:
    sprint, phase = card.sprint, card.phase
    plan = sprint.plan
    if ended or phase.is_done:
        description = "This sprint is over. Thank you for focusing together!"
        colour = DONE_COLOUR
    else:
        until = "ends" if phase.kind is PhaseKind.FOCUS else "back to focus"
        assert phase.ends_at is not None
        description = f"**{phase_name(phase, plan.rounds)}** — {until} {discord_ts(phase.ends_at, 'R')}"
        colour = FOCUS_COLOUR if phase.kind is PhaseKind.FOCUS else BREAK_COLOUR
    embed = discord.Embed(title=f"Focus sprint · {sprint.circle_name}", description=description, colour=colour)
    embed.add_field(
        name="Plan",
        value=f"{plan.rounds} × {plan.focus_minutes} min focus, {plan.break_minutes} min breaks · "
        f"ends {discord_ts(plan.ends_at, 't')}",
        inline=False,
    )
    people = [participant_line(p) for p in card.participants[:LIST_MAX]]
    if len(card.participants) > LIST_MAX:
        people.append(f"… and {len(card.participants) - LIST_MAX} more")
    embed.add_field(
        name=f"Participants ({len(card.participants)})",
        value="\n".join(people) or f"Join the room <#{sprint.voice_channel_id}> or press **Join**.",
        inline=False,
    )
    if not (ended or phase.is_done):
        embed.set_footer(text="Join / Leave below; the starter or a host can stop it.")
    return embed


def phase_marker(phase: Phase, rounds: int) -> str:
    """The words that identify a phase message (a recovery finds an unrecorded one by them)."""
    name = "Focus" if phase.kind is PhaseKind.FOCUS else "Break"
    return f"**{name}** · round {phase.round} of {rounds}"


def phase_message(up: CatchUp, card: SprintCard) -> str:
    """One short line per phase change, mentioning only the participants; late ones say so."""
    rounds = card.sprint.plan.rounds
    phase = up.current
    assert phase.ends_at is not None
    marker = phase_marker(phase, rounds)
    if phase.kind is PhaseKind.FOCUS:
        text = f"🎯 {marker} — until {discord_ts(phase.ends_at, 't')}."
    else:
        text = f"☕ {marker} — back to focus {discord_ts(phase.ends_at, 'R')}."
    if up.late:
        text = "*(late)* " + text
    if up.missed:
        text += "\nWhile I was away: " + ", ".join(phase_name(p, rounds).lower() for p in up.missed) + " passed."
    mentions = " ".join(f"<@{uid}>" for uid in card.present_ids)
    return f"{text}\n{mentions}" if mentions else text


def recap(result: Recap) -> discord.Embed:
    sprint = result.sprint
    how = f"Stopped early by <@{result.stopped_by}>." if result.stopped_by is not None else "All rounds done."
    if result.late:
        how = "*(late)* " + how
    people = [participant_line(p, minutes=True) for p in result.participants[:LIST_MAX]]
    total = sum(p.focus_minutes for p in result.participants)
    embed = discord.Embed(
        title=f"Sprint recap · {sprint.circle_name}",
        description=f"{how} Together you focused **{total} min**.",
        colour=FOCUS_COLOUR,
    )
    embed.add_field(name="Who focused", value="\n".join(people) or "Nobody this time, and that's fine.", inline=False)
    embed.set_footer(text="Did you finish what you set out to do?")
    return embed


def recap_mentions(result: Recap) -> str:
    return " ".join(f"<@{p.user_id}>" for p in result.participants)


def heads_up(h: HeadsUp) -> str:
    room = f" in <#{h.voice_channel_id}>" if h.voice_channel_id else ""
    return (
        f"⏳ A focus sprint starts {discord_ts(h.slot_at, 'R')}{room}: {h.plan.rounds} × {h.plan.focus_minutes} min. "
        "Come along if you like."
    )


def schedule_saved(view: SprintScheduleView) -> str:
    hhmm = f"{view.start_minute // 60:02d}:{view.start_minute % 60:02d}"
    nxt = f" Next: {discord_ts(view.next_at, 'f')} ({discord_ts(view.next_at, 'R')})." if view.next_at else ""
    return (
        f"Sprints for **{safe(view.circle_name)}**: {format_days(view.days)} at {hhmm} ({view.timezone}), "
        f"{view.rounds} × {view.focus_minutes} min focus, {view.break_minutes} min breaks; "
        f"a heads-up 5 minutes before.{nxt}"
    )
