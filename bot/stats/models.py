"""Tables of stats: the weekly digest's occurrences (one claimed row per circle and ISO week).

Stats keep no per-member data of their own: every figure is read from the tables of circles, standups,
focus and pairing when asked for, so `/privacy forget` in those features removes it from stats too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake, UTCDateTime
from bot.db.claims import Claimable


class DigestOccurrence(Claimable, Base):
    """One weekly digest of one circle: the unique (circle, ISO week of its Monday) row is the claim.

    Status (Claimable): claimed (the post is under way) → closed (posted, ``message_id`` recorded), or
    missed (the bot was down from the slot until the late limit: recorded, never posted).
    """

    __tablename__ = "stats_digests"
    __table_args__ = (
        UniqueConstraint("circle_id", "iso_week"),
        Index("ix_stats_digests_status_slot", "status", "slot_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    iso_week: Mapped[str] = mapped_column(String(8))  # the week of the posting Monday, e.g. 2026-W49
    slot_at: Mapped[datetime] = mapped_column(UTCDateTime)  # Monday 09:00 circle time, as UTC
    channel_id: Mapped[int] = mapped_column(Snowflake)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)


__all__ = ["DigestOccurrence"]
