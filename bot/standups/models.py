from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake, UTCDateTime
from bot.db.claims import Claimable
from bot.privacy.registry import MEMBER_IDS


class StandupSchedule(Base):
    __tablename__ = "standup_schedules"

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    open_minute: Mapped[int] = mapped_column(SmallInteger)  # minutes after local midnight
    days_mask: Mapped[int] = mapped_column(SmallInteger)  # bit 0 = Monday
    # None: follow the circle's timezone (so a circle timezone change moves the standup with it).
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    window_hours: Mapped[int] = mapped_column(SmallInteger)
    reminder_minutes: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # None = off
    questions: Mapped[list[str]] = mapped_column(JSON)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StandupSkip(Base):
    __tablename__ = "standup_skips"

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)


class StandupOccurrence(Claimable, Base):
    """One standup of one circle on one local day. The unique (circle, day) row is the exactly-once claim."""

    __tablename__ = "standup_occurrences"
    __table_args__ = (
        UniqueConstraint("circle_id", "local_date"),
        Index("ix_standup_occurrences_status_closes", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    local_date: Mapped[date] = mapped_column(Date)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    questions: Mapped[list[str]] = mapped_column(JSON)
    # status (Claimable): claimed → open → closing → closed, or missed (its window passed while the bot
    # was down: never opened late).
    channel_id: Mapped[int] = mapped_column(Snowflake)
    thread_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    summary_message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    # Members away on the day, recorded at close: their day is neutral for streaks.
    excused: Mapped[list[int]] = mapped_column(JSON, default=list, info={MEMBER_IDS: True})


class StandupAnswer(Base):
    __tablename__ = "standup_answers"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "user_id"),
        Index("ix_standup_answers_guild_user", "guild_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("standup_occurrences.id", ondelete="CASCADE"))
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    answers: Mapped[list[str]] = mapped_column(JSON)
    blocker: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = ["StandupAnswer", "StandupOccurrence", "StandupSchedule", "StandupSkip"]
