"""Rituals as admins manage them: add, edit, pause, resume, remove.

Every value is validated before the single write. Discord-side checks (the channel exists,
the bot may post and open threads there, the ping role is usable) are made by the cog,
which holds the Discord objects, before it calls in here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.db import Database
from bot.db.models import GuildSettings, Ritual, RitualQuestion, ScheduledRun
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService, validate_timezone
from bot.i18n import t
from bot.rituals import options
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
            count = await session.scalar(
                select(func.count()).select_from(Ritual).where(Ritual.guild_id == guild_id)
            )
            if (count or 0) >= MAX_RITUALS_PER_GUILD:
                raise FoyerError("rituals.too_many", limit=MAX_RITUALS_PER_GUILD)
            if await self._find(session, guild_id, ritual.name) is not None:
                raise FoyerError("rituals.duplicate_name", name=ritual.name)
            session.add(ritual)
            try:
                await session.flush()
            except IntegrityError:  # the same name added at the same moment
                raise FoyerError("rituals.duplicate_name", name=ritual.name) from None
        return ritual

    async def edit(self, guild_id: int, name: str, changes: RitualChanges) -> Ritual:
        async with self._db.session() as session:
            ritual = await self._get(session, guild_id, name)
            self._apply(ritual, changes)
            if changes.name and ritual.name != name:
                other = await self._find(session, guild_id, ritual.name)
                if other is not None and other.id != ritual.id:
                    raise FoyerError("rituals.duplicate_name", name=ritual.name)
            try:
                await session.flush()
            except IntegrityError:
                raise FoyerError("rituals.duplicate_name", name=ritual.name) from None
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
            ritual = await self._get(session, guild_id, name)
            ritual.paused = paused
            if not paused:
                ritual.since = self._clock.now()
        return ritual

    async def remove(self, guild_id: int, name: str) -> None:
        async with self._db.session() as session:
            ritual = await self._get(session, guild_id, name)
            await session.execute(
                delete(RitualQuestion).where(
                    RitualQuestion.guild_id == guild_id, RitualQuestion.ritual_id == ritual.id
                )
            )
            await session.delete(ritual)

    async def get(self, guild_id: int, name: str) -> Ritual:
        async with self._db.session() as session:
            return await self._get(session, guild_id, name)

    async def runnable(self, guild_id: int, name: str) -> Ritual:
        """The ritual `/ritual now` may post: a paused one is refused (resume it first)."""
        ritual = await self.get(guild_id, name)
        if ritual.paused:
            raise FoyerError("rituals.now_paused", name=ritual.name)
        return ritual

    async def by_id(self, guild_id: int, ritual_id: int) -> Ritual | None:
        async with self._db.session() as session:
            return await session.scalar(
                select(Ritual).where(Ritual.guild_id == guild_id, Ritual.id == ritual_id)
            )

    async def ping_roles(self, guild_id: int) -> dict[int, int]:
        """Each ping role of the guild's rituals, and the ritual it belongs to (the oldest,
        when rituals share one: a member leaving it is one opt-out, counted once)."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(Ritual.ping_role_id, func.min(Ritual.id))
                .where(Ritual.guild_id == guild_id, Ritual.ping_role_id.is_not(None))
                .group_by(Ritual.ping_role_id)
            )
            return {role: ritual for role, ritual in rows if role is not None}

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
            rows = await session.scalars(
                select(Ritual).where(Ritual.guild_id == guild_id).order_by(Ritual.name)
            )
            return list(rows.all())

    async def active(self) -> list[Ritual]:
        """Every unpaused ritual of every guild the bot is still in (the scheduler keeps
        its own shards)."""
        async with self._db.session() as session:
            rows = await session.scalars(
                select(Ritual)
                .join(GuildSettings, GuildSettings.guild_id == Ritual.guild_id)
                .where(Ritual.paused.is_(False), GuildSettings.left_at.is_(None))
            )
            return list(rows.all())

    async def last_runs(self, guild_id: int) -> dict[str, ScheduledRun]:
        """The newest ledger row of each of the guild's rituals, by job key."""
        async with self._db.session() as session:
            newest = (
                select(ScheduledRun.job_key, func.max(ScheduledRun.scheduled_for).label("at"))
                .where(ScheduledRun.guild_id == guild_id, ScheduledRun.job_key.like("ritual:%"))
                .group_by(ScheduledRun.job_key)
                .subquery()
            )
            rows = await session.scalars(
                select(ScheduledRun).join(
                    newest,
                    (ScheduledRun.job_key == newest.c.job_key)
                    & (ScheduledRun.scheduled_for == newest.c.at),
                )
            )
            return {r.job_key: r for r in rows.all()}

    async def names(self, guild_id: int, prefix: str) -> list[str]:
        return [r.name for r in await self.all(guild_id) if prefix.lower() in r.name.lower()][:25]

    @staticmethod
    async def _find(session: AsyncSession, guild_id: int, name: str) -> Ritual | None:
        """The guild's ritual of that name, whatever its case and spacing. Compared in
        Python: SQLite's lower() leaves non-ASCII letters alone, so "Éveil" would never
        find "éveil" (a guild has at most MAX_RITUALS_PER_GUILD rituals)."""
        key = _name_key(name)
        rituals = await session.scalars(select(Ritual).where(Ritual.guild_id == guild_id))
        return next((r for r in rituals if _name_key(r.name) == key), None)

    async def _get(self, session: AsyncSession, guild_id: int, name: str) -> Ritual:
        ritual = await self._find(session, guild_id, name)
        if ritual is None:
            raise FoyerError("rituals.not_found", name=name[:80])
        return ritual


def _name_key(name: str) -> str:
    """A ritual name as compared: spacing collapsed (as `validate_name` stores it), case
    folded."""
    return " ".join(name.split()).casefold()
