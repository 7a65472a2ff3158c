"""Who may see which guild on the dashboard: a member who today has Manage Server there
(owner, Administrator) or one of its manager roles (`bot.access`), in a guild Foyer is
in. Asked of Discord with the person's token (their guilds, their permissions) and the
bot's (their roles), and kept a few minutes per session so a page does not cost three
calls; a guild they left or a role they lost is refused once that time is up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from bot.access import TeamAccess
from bot.db import Database
from bot.db.models import GuildSettings
from bot.web.auth import Session
from bot.web.discord_api import DiscordApi

ACCESS_TTL = 180.0


@dataclass(frozen=True)
class GuildEntry:
    id: int
    name: str


class Gate:
    def __init__(
        self, db: Database, discord: DiscordApi, now: Callable[[], float], ttl: float = ACCESS_TTL
    ) -> None:
        self._db = db
        self._discord = discord
        self._access = TeamAccess(db)
        self._now = now
        self._ttl = ttl
        self._cache: dict[str, tuple[float, dict[int, GuildEntry]]] = {}

    async def guilds(self, session: Session) -> dict[int, GuildEntry]:
        """The guilds this person may see, by id."""
        cached = self._cache.get(session.sid)
        if cached is not None and self._now() - cached[0] < self._ttl:
            return cached[1]
        known = await self._foyer_guilds()
        allowed: dict[int, GuildEntry] = {}
        for guild in await self._discord.guilds(session.access_token):
            if guild.id not in known:
                continue
            if not guild.manages:
                self._access.forget(guild.id)  # the bot's process may have changed them
                managers = await self._access.manager_role_ids(guild.id)
                if not managers:
                    continue
                roles = await self._discord.member_roles(guild.id, session.user_id)
                if not await self._access.may_administer(
                    guild.id, manages_guild=False, role_ids=roles
                ):
                    continue
            allowed[guild.id] = GuildEntry(guild.id, guild.name)
        self._cache[session.sid] = (self._now(), allowed)
        return allowed

    async def _foyer_guilds(self) -> set[int]:
        async with self._db.session() as s:
            rows = await s.scalars(
                select(GuildSettings.guild_id).where(GuildSettings.left_at.is_(None))
            )
            return set(rows.all())

    def forget(self, session: Session) -> None:
        self._cache.pop(session.sid, None)
