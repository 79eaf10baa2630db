"""Tables of focus sprints and co-working time.

A voice session is one member's stretch in one circle's focus room; sessions outlive their circle
(the member's own history). A sprint is a timeline (start, focus, break, rounds); each phase change is
a claimed occurrence row, unique per (sprint, phase), so it is posted once whatever restarts happen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake, UTCDateTime
from bot.db.claims import Claimable


class VoiceSession(Base):
    __tablename__ = "voice_sessions"
    __table_args__ = (
        # A session's natural key: the batch writer inserts and ends sessions by it (no id round trip).
        UniqueConstraint("guild_id", "user_id", "started_at"),
        Index("ix_voice_sessions_channel_started", "channel_id", "started_at"),
        Index("ix_voice_sessions_ended_at", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    circle_id: Mapped[int | None] = mapped_column(ForeignKey("circles.id", ondelete="SET NULL"), nullable=True)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # None: still open
    holder: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the process that recorded it


class Sprint(Base):
    __tablename__ = "sprints"
    __table_args__ = (Index("ix_sprints_guild_started", "guild_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    circle_id: Mapped[int | None] = mapped_column(ForeignKey("circles.id", ondelete="SET NULL"), nullable=True)
    # The circle while the sprint runs, NULL after: the unique constraint allows one running sprint per circle.
    running_circle_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True, unique=True)
    circle_name: Mapped[str] = mapped_column(String(50))
    channel_id: Mapped[int] = mapped_column(Snowflake)  # the circle's home: announcement and phase messages
    voice_channel_id: Mapped[int] = mapped_column(Snowflake)
    starter_user_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)  # None: a scheduled sprint
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    focus_minutes: Mapped[int] = mapped_column(SmallInteger)
    break_minutes: Mapped[int] = mapped_column(SmallInteger)
    rounds: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(10))  # running, ended, stopped
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)  # the announcement
    recap_message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # a scheduled sprint's slot


class SprintPhaseChange(Claimable, Base):
    """One phase change of one sprint (the end included): the exactly-once claim of its message."""

    __tablename__ = "sprint_phase_changes"
    __table_args__ = (UniqueConstraint("sprint_id", "phase_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"))
    phase_index: Mapped[int] = mapped_column(SmallInteger)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    missed: Mapped[int] = mapped_column(SmallInteger, default=0)  # changes summed up in its one line
    message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)


class SprintParticipant(Base):
    __tablename__ = "sprint_participants"
    __table_args__ = (Index("ix_sprint_participants_guild_user", "guild_id", "user_id"),)

    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    intention: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tag: Mapped[str | None] = mapped_column(String(40), nullable=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # /sprint leave
    focus_minutes: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # set at the recap
    finished: Mapped[str | None] = mapped_column(String(8), nullable=True)  # yes, partly, no


class SprintJoin(Base):
    """A span a member was in a sprint by button or command (presence without voice)."""

    __tablename__ = "sprint_joins"
    __table_args__ = (Index("ix_sprint_joins_sprint", "sprint_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SprintSchedule(Base):
    __tablename__ = "sprint_schedules"

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    start_minute: Mapped[int] = mapped_column(SmallInteger)  # minutes after local midnight, circle timezone
    days_mask: Mapped[int] = mapped_column(SmallInteger)  # bit 0 = Monday
    focus_minutes: Mapped[int] = mapped_column(SmallInteger)
    break_minutes: Mapped[int] = mapped_column(SmallInteger)
    rounds: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SprintSlot(Claimable, Base):
    """One step (the heads-up, the start) of one scheduled slot: claimed once across processes."""

    __tablename__ = "sprint_slots"
    __table_args__ = (UniqueConstraint("circle_id", "slot_at", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    slot_at: Mapped[datetime] = mapped_column(UTCDateTime)
    step: Mapped[str] = mapped_column(String(10))  # headsup, start
    message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    sprint_id: Mapped[int | None] = mapped_column(ForeignKey("sprints.id", ondelete="SET NULL"), nullable=True)


__all__ = [
    "Sprint",
    "SprintJoin",
    "SprintParticipant",
    "SprintPhaseChange",
    "SprintSchedule",
    "SprintSlot",
    "VoiceSession",
]
