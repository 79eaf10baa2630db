"""Presence arithmetic and the voice-session rules. Pure; no I/O.

Presence is a set of (start, end) intervals: a member's voice sessions in the focus room and the spans
they joined by button or command. Focus time is the overlap of their union with the focus phases, so
a voice session and a button join at the same time count once, and splitting an interval changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

Interval = tuple[datetime, datetime]


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same instants (empty ones dropped)."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def overlap(presence: Iterable[Interval], focus: Iterable[Interval]) -> timedelta:
    """Time covered by both the presence and the focus intervals."""
    mine, theirs = union(presence), union(focus)
    total = timedelta()
    i = j = 0
    while i < len(mine) and j < len(theirs):
        start = max(mine[i][0], theirs[j][0])
        end = min(mine[i][1], theirs[j][1])
        if end > start:
            total += end - start
        if mine[i][1] < theirs[j][1]:
            i += 1
        else:
            j += 1
    return total


def whole_minutes(span: timedelta) -> int:
    """Minutes to show: rounded to the nearest minute (never above a whole-minute bound it stays under)."""
    return max(0, round(span.total_seconds() / 60))


# ----- voice sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Room:
    """A circle's focus room."""

    circle_id: int
    channel_id: int


@dataclass(frozen=True)
class OpenSession:
    guild_id: int
    user_id: int
    circle_id: int
    channel_id: int
    started_at: datetime


@dataclass(frozen=True)
class Opened:
    session: OpenSession


@dataclass(frozen=True)
class Closed:
    session: OpenSession
    ended_at: datetime


Change = Opened | Closed


def counted_room(channel_id: int | None, afk_channel_id: int | None, rooms: dict[int, Room]) -> Room | None:
    """The circle room a voice channel counts for: none when out of voice, in the AFK channel, or elsewhere.

    Self-deafened and self-muted members count (people deafen to focus): the flags play no part.
    """
    if channel_id is None or channel_id == afk_channel_id:
        return None
    return rooms.get(channel_id)


def transition(
    current: OpenSession | None, room: Room | None, guild_id: int, user_id: int, at: datetime
) -> list[Change]:
    """What a voice state update means for a member's session.

    Same room (a mute or deafen toggle): nothing. Another room, the AFK channel, an uncounted channel
    or out of voice: the open session ends at the event. A counted room: a new session starts there.
    """
    if current is not None and room is not None and current.channel_id == room.channel_id:
        return []
    changes: list[Change] = []
    if current is not None:
        changes.append(Closed(current, max(at, current.started_at)))
    if room is not None:
        changes.append(Opened(OpenSession(guild_id, user_id, room.circle_id, room.channel_id, at)))
    return changes


def reconcile_end(started_at: datetime, alive_until: datetime | None) -> datetime:
    """Where a session left open by a process that stopped ends: at that process's last alive mark,
    never before the session began (no mark at all: the session counts for nothing)."""
    if alive_until is None:
        return started_at
    return max(started_at, alive_until)
