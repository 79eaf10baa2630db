"""Every table's module, imported in one place so Alembic (and tests) see the whole schema."""

from bot.circles import models as circles_models
from bot.db.base import Base
from bot.db.state import BotState
from bot.focus import models as focus_models
from bot.pairing import models as pairing_models
from bot.profiles import models as profiles_models
from bot.standups import models as standups_models
from bot.stats import models as stats_models

metadata = Base.metadata

__all__ = [
    "BotState",
    "circles_models",
    "focus_models",
    "metadata",
    "pairing_models",
    "profiles_models",
    "standups_models",
    "stats_models",
]
