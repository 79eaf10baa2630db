from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake


class Profile(Base):
    __tablename__ = "profiles"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Working hours as minutes after local midnight; end < start means the hours cross midnight.
    work_start: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    work_end: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    offers: Mapped[str | None] = mapped_column(String(300), nullable=True)
    asks: Mapped[str | None] = mapped_column(String(300), nullable=True)
    leaderboard_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    standup_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    # Away through this local day (inclusive); None when present.
    away_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    away_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
