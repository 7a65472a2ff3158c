"""Storage: engine factory, models, sessions, schema upgrades."""

from bot.db.database import Database
from bot.db.engine import create_engine

__all__ = ["Database", "create_engine"]
