"""Team access: the roles an admin trusts with Foyer's admin commands and its dashboard."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, Snowflake


class GuildManagerRole(Base):
    """A role whose holders may use Foyer's admin commands and the web dashboard without
    Manage Server (`/setup managers`, `bot.access.may_administer`)."""

    __tablename__ = "guild_manager_roles"

    guild_id: Mapped[int] = mapped_column(
        Snowflake, ForeignKey("guild_settings.guild_id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
