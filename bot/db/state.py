"""Small key/value facts the bot keeps about itself (e.g. the hash of the last command sync)."""

from __future__ import annotations

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base
from bot.db.engine import Database, upsert


class BotState(Base):
    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


async def get_value(db: Database, key: str) -> str | None:
    async with db.reader() as session:
        return await session.scalar(select(BotState.value).where(BotState.key == key))


async def set_value(db: Database, key: str, value: str) -> None:
    # One upsert: several processes starting together may write the same key at once.
    await db.write(upsert(db, BotState, ["key"], ["value"]), {"key": key, "value": value})
