"""Rituals as admins manage them: add, edit, pause, resume, remove.

Every value is validated before the single write, and each check runs in the transaction
of the write it guards; the SQL itself is in `bot.rituals.store`. Discord-side checks (the
channel exists, the bot may post and open threads there, the ping role is usable) are made
by the cog, which holds the Discord objects, before it calls in here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.db import Database
from bot.db.models import Ritual, ScheduledRun
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService, validate_timezone
from bot.i18n import t
from bot.rituals import options, store
from bot.rituals.presets import PRESETS
from bot.rituals.role_changes import count_role_change
from bot.rituals.schedule import merged_rule, rule_of, store_rule
from bot.scheduling import Recurrence

MAX_RITUALS_PER_GUILD = 25


@dataclass(frozen=True)
class RitualChanges:
    """Raw option values from `/ritual add|edit`; None = not given."""

    name: str | None = None
    channel_id: int | None = None
    template: str | None = None
    days: str | None = None
    at: str | None = None
    week_of_month: int | None = None
    timezone: str | None = None
    ping_role_id: int | None = None
    clear_ping_role: bool = False
    auto_archive_minutes: int | None = None


class RitualService:
    def __init__(self, db: Database, clock: Clock, guild_settings: GuildSettingsService) -> None:
        self._db = db
        self._clock = clock
        self._settings = guild_settings

    async def zone_of(self, ritual: Ritual) -> ZoneInfo:
        name = ritual.timezone or (await self._settings.get(ritual.guild_id)).timezone
        return ZoneInfo(name)

    async def recurrence(self, ritual: Ritual) -> Recurrence:
        return Recurrence(rule_of(ritual), await self.zone_of(ritual))

    async def add(self, guild_id: int, preset: str | None, changes: RitualChanges) -> Ritual:
        """A ritual from a preset (its defaults, overridable) or custom (name, channel,
        text, days and time required). `options.CUSTOM` is the same as no preset."""
        if preset == options.CUSTOM:
            preset = None
        lang = await self._settings.language(guild_id)
        spec = PRESETS.get(preset) if preset else None
        if preset and spec is None:
            raise FoyerError("rituals.unknown_preset", value=preset[:32])
        if changes.channel_id is None:
            raise FoyerError("rituals.missing.channel")
        name = changes.name or (t(spec.name_key, lang) if spec else None)
        # Preset texts keep their placeholders: `t` formats, so they are passed through.
        keep = {n: "{" + n + "}" for n in options.TEMPLATE_NAMES}
        template = changes.template or (t(spec.template_key, lang, **keep) if spec else None)
        if name is None:
            raise FoyerError("rituals.missing.name")
        if template is None:
            raise FoyerError("rituals.missing.text")
        if spec is None and changes.days is None:
            raise FoyerError("rituals.missing.days")
        if spec is None and changes.at is None:
            raise FoyerError("rituals.missing.time")
        now = self._clock.now()
        ritual = Ritual(
            guild_id=guild_id,
            preset=preset,
            channel_id=changes.channel_id,
            paused=False,
            auto_archive_minutes=1440,
            created_at=now,
            since=now,
        )
        if spec is not None:
            store_rule(ritual, spec.rule)
        self._apply(ritual, replace(changes, name=name, template=template))
        async with self._db.session() as session:
            if await store.count(session, guild_id) >= MAX_RITUALS_PER_GUILD:
                raise FoyerError("rituals.too_many", limit=MAX_RITUALS_PER_GUILD)
            if _find(await store.in_guild(session, guild_id), ritual.name) is not None:
                raise FoyerError("rituals.duplicate_name", name=ritual.name)
            store.add(session, ritual)
            if not await store.flush(session):  # the same name added at the same moment
                raise FoyerError("rituals.duplicate_name", name=ritual.name)
        return ritual

    async def edit(self, guild_id: int, name: str, changes: RitualChanges) -> Ritual:
        async with self._db.session() as session:
            ritual = _named(await store.in_guild(session, guild_id), name)
            self._apply(ritual, changes)
            if changes.name and ritual.name != name:
                other = _find(await store.in_guild(session, guild_id), ritual.name)
                if other is not None and other.id != ritual.id:
                    raise FoyerError("rituals.duplicate_name", name=ritual.name)
            if not await store.flush(session):
                raise FoyerError("rituals.duplicate_name", name=ritual.name)
        return ritual

    def _apply(self, ritual: Ritual, c: RitualChanges) -> None:
        """Validate every given value, then set them; raises before any attribute changes."""
        name = options.validate_name(c.name) if c.name is not None else None
        template = options.validate_template(c.template) if c.template is not None else None
        zone = validate_timezone(c.timezone).key if c.timezone is not None else None
        archive = (
            options.validate_archive(c.auto_archive_minutes)
            if c.auto_archive_minutes is not None
            else None
        )
        rule = merged_rule(ritual, c.days, c.at, c.week_of_month)
        if name is not None:
            ritual.name = name
        if template is not None:
            ritual.template = template
        if zone is not None:
            ritual.timezone = zone
        if archive is not None:
            ritual.auto_archive_minutes = archive
        if rule is not None:
            store_rule(ritual, rule)
        if c.channel_id is not None:
            ritual.channel_id = c.channel_id
        if c.ping_role_id is not None:
            ritual.ping_role_id = c.ping_role_id
        elif c.clear_ping_role:
            ritual.ping_role_id = None

    async def set_paused(self, guild_id: int, name: str, paused: bool) -> Ritual:
        """Pausing stops future runs; resuming starts from now (missed ones are not caught
        up)."""
        async with self._db.session() as session:
            ritual = _named(await store.in_guild(session, guild_id), name)
            ritual.paused = paused
            if not paused:
                ritual.since = self._clock.now()
        return ritual

    async def remove(self, guild_id: int, name: str) -> None:
        async with self._db.session() as session:
            ritual = _named(await store.in_guild(session, guild_id), name)
            await store.delete_ritual(session, ritual)

    async def get(self, guild_id: int, name: str) -> Ritual:
        async with self._db.session() as session:
            return _named(await store.in_guild(session, guild_id), name)

    async def runnable(self, guild_id: int, name: str) -> Ritual:
        """The ritual `/ritual now` may post: a paused one is refused (resume it first)."""
        ritual = await self.get(guild_id, name)
        if ritual.paused:
            raise FoyerError("rituals.now_paused", name=ritual.name)
        return ritual

    async def by_id(self, guild_id: int, ritual_id: int) -> Ritual | None:
        async with self._db.session() as session:
            return await store.by_id(session, guild_id, ritual_id)

    async def ping_roles(self, guild_id: int) -> dict[int, int]:
        """Each ping role of the guild's rituals, and the ritual it belongs to (the oldest,
        when rituals share one: a member leaving it is one opt-out, counted once)."""
        async with self._db.session() as session:
            return await store.ping_roles(session, guild_id)

    async def count_role_changes(self, guild_id: int, before: set[int], after: set[int]) -> None:
        """Count each ritual ping role a member got or lost, between their role ids
        `before` and `after`: with the button, by an admin, by another bot alike. Leaving
        is the over-solicitation sign /health reads."""
        changed = before ^ after
        if not changed:
            return
        rituals = await self.ping_roles(guild_id)
        for role_id in sorted(changed & rituals.keys()):
            await count_role_change(
                self._db, guild_id, rituals[role_id], joined=role_id in after, at=self._clock.now()
            )

    async def all(self, guild_id: int) -> list[Ritual]:
        async with self._db.session() as session:
            return await store.sorted_by_name(session, guild_id)

    async def active(self) -> list[Ritual]:
        """Every unpaused ritual of every guild the bot is still in (the scheduler keeps
        its own shards)."""
        async with self._db.session() as session:
            return await store.active(session)

    async def last_runs(self, guild_id: int) -> dict[str, ScheduledRun]:
        """The newest ledger row of each of the guild's rituals, by job key."""
        async with self._db.session() as session:
            return await store.last_runs(session, guild_id)

    async def names(self, guild_id: int, prefix: str) -> list[str]:
        return [r.name for r in await self.all(guild_id) if prefix.lower() in r.name.lower()][:25]


def _find(rituals: list[Ritual], name: str) -> Ritual | None:
    """The ritual of that name, whatever its case and spacing. Compared in Python, not in
    SQL: SQLite's lower() leaves non-ASCII letters alone, so "Éveil" would never find
    "éveil" (a guild has at most MAX_RITUALS_PER_GUILD rituals)."""
    key = _name_key(name)
    return next((r for r in rituals if _name_key(r.name) == key), None)


def _named(rituals: list[Ritual], name: str) -> Ritual:
    """The ritual of that name, or the error that tells the admin none has it."""
    ritual = _find(rituals, name)
    if ritual is None:
        raise FoyerError("rituals.not_found", name=name[:80])
    return ritual


def _name_key(name: str) -> str:
    """A ritual name as compared: spacing collapsed (as `validate_name` stores it), case
    folded."""
    return " ".join(name.split()).casefold()
