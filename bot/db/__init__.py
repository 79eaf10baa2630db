"""Database: declarative base, engine and unit of work."""

from bot.db.base import Base
from bot.db.engine import Database

__all__ = ["Base", "Database"]
