"""Pairing and goals tables.

A round is an occurrence (bot/db/claims.py): its unique (circle, slot) row is the exactly-once claim, and
it keeps its seed, its pool and who sat out and why. Groups and their members are rows of their own, so
forgetting a member removes their row and leaves the others' history whole.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake, UTCDateTime
from bot.db.claims import Claimable
from bot.privacy.registry import MEMBER_IDS


class Cadence(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"

    @property
    def days(self) -> int:
        return 7 if self is Cadence.WEEKLY else 14


class GoalStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class GoalOutcome(StrEnum):
    """What the partner confirmed at the end of the cycle."""

    DONE = "done"
    NOT_DONE = "not_done"


def _checked(enum: type[StrEnum], name: str) -> Enum:
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=10,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class PairPoolEntry(Base):
    """A member who opted into a circle's partner pool."""

    __tablename__ = "pair_pool"
    __table_args__ = (Index("ix_pair_pool_guild_user", "guild_id", "user_id"),)

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PairSettings(Base):
    """Per member and guild: rounds are skipped through ``snoozed_until`` (a local day, inclusive)."""

    __tablename__ = "pair_settings"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    snoozed_until: Mapped[date | None] = mapped_column(Date, nullable=True)


class PairAvoid(Base):
    """A private do-not-pair entry: never shown to anyone but its owner (in their own export)."""

    __tablename__ = "pair_avoids"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    avoided_user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PairSchedule(Base):
    __tablename__ = "pair_schedules"
    __table_args__ = (
        CheckConstraint("size BETWEEN 2 AND 4", name="size"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
    )

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    minute: Mapped[int] = mapped_column(SmallInteger)  # after local midnight, circle timezone
    cadence: Mapped[Cadence] = mapped_column(_checked(Cadence, "cadence"))
    size: Mapped[int] = mapped_column(SmallInteger)
    # The first round's local day: biweekly rounds fall on days an even number of weeks from it.
    anchor: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PairRound(Claimable, Base):
    """One pairing round of one circle; (circle, slot) is the exactly-once claim.

    ``slot`` is the scheduled local day (``2026-12-07``) or ``now:<instant>`` for `/pair now`.
    Status: claimed (groups decided, threads under way) → open (the cycle runs) → closing → closed.
    """

    __tablename__ = "pair_rounds"
    __table_args__ = (
        UniqueConstraint("circle_id", "slot"),
        Index("ix_pair_rounds_status_ends", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    slot: Mapped[str] = mapped_column(String(40))
    channel_id: Mapped[int] = mapped_column(Snowflake)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checkin_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    size: Mapped[int] = mapped_column(SmallInteger)
    seed: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(20))
    # The pool the round was drawn from, and [user id, reason] for everyone who sat out (hosts only).
    pool: Mapped[list[int]] = mapped_column(JSON, info={MEMBER_IDS: True})
    sat_out: Mapped[list[Any]] = mapped_column(JSON, info={MEMBER_IDS: True})
    checkin_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PairGroup(Base):
    __tablename__ = "pair_groups"
    __table_args__ = (UniqueConstraint("round_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pair_rounds.id", ondelete="CASCADE"), index=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    position: Mapped[int] = mapped_column(SmallInteger)
    # Checkpoints of the private thread (bot/checkpoints.py): made → members added → intro posted.
    thread_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    members_added: Mapped[bool] = mapped_column(Boolean, default=False)
    intro_message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    close_message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)


class PairGroupMember(Base):
    __tablename__ = "pair_group_members"
    __table_args__ = (Index("ix_pair_group_members_guild_user", "guild_id", "user_id"),)

    group_id: Mapped[int] = mapped_column(ForeignKey("pair_groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # their answer to "Did you meet?"
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # "we miss you" sent about them


class Goal(Base):
    __tablename__ = "goals"
    __table_args__ = (Index("ix_goals_guild_user_status", "guild_id", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    text: Mapped[str] = mapped_column(String(200))
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[GoalStatus] = mapped_column(_checked(GoalStatus, "status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The pair group the member was in when they set it (its thread gets the "done" note).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("pair_groups.id", ondelete="SET NULL"), nullable=True)
    outcome: Mapped[GoalOutcome | None] = mapped_column(_checked(GoalOutcome, "outcome"), nullable=True)
    confirmed_by_user_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
