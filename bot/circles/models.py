from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake, UTCDateTime


class Circle(Base):
    __tablename__ = "circles"
    __table_args__ = (UniqueConstraint("guild_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    name: Mapped[str] = mapped_column(String(50))
    # Lower-cased name: uniqueness per guild is case-insensitive on every database.
    name_key: Mapped[str] = mapped_column(String(50))
    channel_id: Mapped[int] = mapped_column(Snowflake)
    voice_channel_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    role_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    host_role_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CircleMember(Base):
    __tablename__ = "circle_members"
    __table_args__ = (Index("ix_circle_members_guild_user", "guild_id", "user_id"),)

    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
