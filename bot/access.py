"""Who may use Foyer's admin commands and its dashboard in a guild: the one rule.

A member may administer Foyer in a guild when they have Manage Server (or Administrator)
there, or hold one of the manager roles an admin chose with `/setup managers`
(`may_administer`). For a slash command there is a third way in: a permission override an
admin set for Foyer in Discord's *Server Settings > Integrations*; `override_verdict`
reads those overrides as Discord applies them (docs/architecture.md, Admin commands). No
discord.py import: the run-time check (`bot.checks.admin_only`) and the dashboard
(`bot.web`) both call it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from bot.db import Database
from bot.db.models import GuildManagerRole
from bot.errors import FoyerError
from bot.i18n import t

#: How long overrides read from Discord are trusted before being read again; a change an
#: admin makes in Integrations also clears them (APPLICATION_COMMAND_PERMISSIONS_UPDATE).
OVERRIDES_TTL = 300.0
#: Discord allows at most 100 permission entries per command; Foyer keeps its own list short.
MAX_MANAGER_ROLES = 25

ROLE, USER, CHANNEL = 1, 2, 3


def may_administer(
    *, manages_guild: bool, role_ids: Iterable[int], manager_role_ids: Collection[int]
) -> bool:
    """Manage Server (or Administrator), or one of the guild's manager roles."""
    return manages_guild or any(role_id in manager_role_ids for role_id in role_ids)


@dataclass(frozen=True)
class Override:
    """One entry of Discord's application command permissions: a role (1), a user (2) or a
    channel (3), allowed or denied. The role id equal to the guild id is @everyone; the
    channel id ``guild_id - 1`` is every channel."""

    target_id: int
    kind: int
    allowed: bool


def parse_overrides(payload: Iterable[Mapping[str, Any]]) -> dict[int, list[Override]]:
    """Discord's ``GET .../commands/permissions`` answer, by command id (the application's
    own id holds the app-level entries, which apply to commands without their own)."""
    return {
        int(entry["id"]): [
            Override(int(p["id"]), int(p["type"]), bool(p["permission"]))
            for p in entry.get("permissions", [])
        ]
        for entry in payload
    }


def _member_verdict(
    entries: Sequence[Override], *, guild_id: int, user_id: int, role_ids: Collection[int]
) -> bool | None:
    """A user entry wins; then the member's roles (one allowed role is enough); then
    @everyone; None when no entry speaks of this member."""
    for entry in entries:
        if entry.kind == USER and entry.target_id == user_id:
            return entry.allowed
    roles = [e.allowed for e in entries if e.kind == ROLE and e.target_id in role_ids]
    if roles:
        return any(roles)
    for entry in entries:
        if entry.kind == ROLE and entry.target_id == guild_id:
            return entry.allowed
    return None


def _channel_verdict(
    entries: Sequence[Override], *, guild_id: int, channel_ids: Sequence[int]
) -> bool | None:
    """The channel's entry (a thread's parent counts), then the every-channel entry."""
    for channel_id in channel_ids:
        for entry in entries:
            if entry.kind == CHANNEL and entry.target_id == channel_id:
                return entry.allowed
    for entry in entries:
        if entry.kind == CHANNEL and entry.target_id == guild_id - 1:
            return entry.allowed
    return None


def override_verdict(
    overrides: Mapping[int, Sequence[Override]],
    *,
    command_id: int,
    application_id: int,
    guild_id: int,
    user_id: int,
    role_ids: Collection[int],
    channel_ids: Sequence[int],
) -> bool | None:
    """What the admin's overrides say of this member using this command here, as Discord
    applies them: the command's own entries before the app-level ones, for the member and
    for the channel separately; a denied channel denies. None: no override speaks of this
    member, so Discord's default (Manage Server) decides."""
    levels = [overrides.get(command_id, ()), overrides.get(application_id, ())]
    channel = next(
        (
            v
            for v in (
                _channel_verdict(e, guild_id=guild_id, channel_ids=channel_ids) for e in levels
            )
            if v is not None
        ),
        None,
    )
    if channel is False:
        return False
    return next(
        (
            v
            for v in (
                _member_verdict(e, guild_id=guild_id, user_id=user_id, role_ids=role_ids)
                for e in levels
            )
            if v is not None
        ),
        None,
    )


OverridesFetch = Callable[[], Awaitable[Iterable[Mapping[str, Any]]]]


class TeamAccess:
    """Owns `guild_manager_roles` (cached per guild, refreshed on every write) and a short
    cache of the overrides read from Discord."""

    def __init__(self, db: Database, *, overrides_ttl: float = OVERRIDES_TTL) -> None:
        self._db = db
        self._ttl = overrides_ttl
        self._managers: dict[int, frozenset[int]] = {}
        self._overrides: dict[int, tuple[float, dict[int, list[Override]]]] = {}

    async def manager_role_ids(self, guild_id: int) -> frozenset[int]:
        cached = self._managers.get(guild_id)
        if cached is not None:
            return cached
        async with self._db.session() as session:
            rows = await session.scalars(
                select(GuildManagerRole.role_id).where(GuildManagerRole.guild_id == guild_id)
            )
            ids = frozenset(rows.all())
        self._managers[guild_id] = ids
        return ids

    async def set_manager_roles(self, guild_id: int, role_ids: Iterable[int]) -> frozenset[int]:
        """Replace the guild's manager roles in one transaction (the guild's settings row
        must exist: `GuildSettingsService.ensure`)."""
        wanted = list(dict.fromkeys(role_ids))
        if len(wanted) > MAX_MANAGER_ROLES:
            raise FoyerError("access.too_many", limit=MAX_MANAGER_ROLES)
        async with self._db.session() as session:
            await session.execute(
                delete(GuildManagerRole).where(GuildManagerRole.guild_id == guild_id)
            )
            session.add_all(GuildManagerRole(guild_id=guild_id, role_id=r) for r in wanted)
        self._managers.pop(guild_id, None)
        return await self.manager_role_ids(guild_id)

    async def may_administer(
        self, guild_id: int, *, manages_guild: bool, role_ids: Iterable[int]
    ) -> bool:
        """`may_administer` with the guild's stored manager roles."""
        if manages_guild:
            return True
        managers = await self.manager_role_ids(guild_id)
        return may_administer(manages_guild=False, role_ids=role_ids, manager_role_ids=managers)

    async def override_allows(
        self,
        guild_id: int,
        fetch: OverridesFetch,
        *,
        command_id: int,
        application_id: int,
        user_id: int,
        role_ids: Collection[int],
        channel_ids: Sequence[int],
    ) -> bool:
        """Does an override the admin set in Integrations let this member use the command
        here. Read from Discord at most once per guild every few minutes; ``fetch`` answers
        an empty list when Discord refuses the read, which grants nothing until then (never
        retried in a loop)."""
        now = time.monotonic()
        cached = self._overrides.get(guild_id)
        if cached is None or now - cached[0] > self._ttl:
            cached = (now, parse_overrides(await fetch()))
            self._overrides[guild_id] = cached
        verdict = override_verdict(
            cached[1],
            command_id=command_id,
            application_id=application_id,
            guild_id=guild_id,
            user_id=user_id,
            role_ids=role_ids,
            channel_ids=channel_ids,
        )
        return verdict is True

    def forget_overrides(self, guild_id: int) -> None:
        """An admin changed the overrides in Integrations: read them again next time."""
        self._overrides.pop(guild_id, None)

    def forget(self, guild_id: int) -> None:
        """The guild's data was erased: drop what is cached for it."""
        self._managers.pop(guild_id, None)
        self._overrides.pop(guild_id, None)


async def change_managers(
    access: TeamAccess, guild_id: int, action: str, role_id: int | None
) -> frozenset[int]:
    """`/setup managers`: add or remove one role, or only read the list. @everyone is
    refused (every member would administer Foyer); nothing is saved on a refusal."""
    current = await access.manager_role_ids(guild_id)
    if action == "list":
        return current
    if role_id is None:
        raise FoyerError("access.role_needed")
    if role_id == guild_id:
        raise FoyerError("access.everyone")
    wanted = [*current, role_id] if action == "add" else [r for r in current if r != role_id]
    return await access.set_manager_roles(guild_id, wanted)


def describe_managers(role_ids: Collection[int], lang: str) -> str:
    """The manager roles as an admin reads them, with how Discord shows them the commands."""
    roles = ", ".join(f"<@&{r}>" for r in sorted(role_ids)) or t("access.none", lang)
    return t("access.summary", lang, roles=roles)
