"""Rituals as admins manage them: add, edit, pause, resume, remove, questions.

Every value is validated before the single write. Discord-side checks (the channel exists,
the bot may post and open threads there, the ping role is usable) are made by the cog,
which holds the Discord objects, before it calls in here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import time
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
from bot.scheduling import MonthlyNth, Recurrence, Rule, Weekly

MAX_RITUALS_PER_GUILD = 25
MAX_QUESTIONS = 200


def job_key(ritual_id: int) -> str:
    return f"ritual:{ritual_id}"


def rule_of(ritual: Ritual) -> Rule:
    at = time(ritual.hour, ritual.minute)
    if ritual.kind == "monthly" and ritual.nth is not None and ritual.weekday is not None:
        return MonthlyNth(ritual.nth, ritual.weekday, at)
    return Weekly(frozenset(d for d in range(7) if ritual.weekdays >> d & 1), at)


def _store_rule(ritual: Ritual, rule: Rule) -> None:
    ritual.hour, ritual.minute = rule.at.hour, rule.at.minute
    if isinstance(rule, MonthlyNth):
        ritual.kind, ritual.nth, ritual.weekday, ritual.weekdays = (
            "monthly",
            rule.nth,
            rule.weekday,
            1 << rule.weekday,
        )
    else:
        ritual.kind, ritual.nth, ritual.weekday = "weekly", None, None
        ritual.weekdays = sum(1 << d for d in rule.weekdays)


def _merged_rule(ritual: Ritual, c: RitualChanges) -> Rule | None:
    """The schedule after the given changes (None: unchanged). Parts not given keep their
    current value; giving `days` without `week_of_month` makes the ritual weekly."""
    if c.days is None and c.at is None and c.week_of_month is None:
        return None
    current = rule_of(ritual) if ritual.kind else None
    if c.days is not None:
        days: frozenset[int] | None = options.parse_days(c.days)
    elif isinstance(current, MonthlyNth):
        days = frozenset({current.weekday})
    else:
        days = current.weekdays if current else None
    at = options.parse_time(c.at) if c.at is not None else current.at if current else None
    if at is None:
        raise FoyerError("rituals.missing.time")
    if days is None:
        raise FoyerError("rituals.missing.days")
    week = c.week_of_month
    if week is None and c.days is None and isinstance(current, MonthlyNth):
        week = current.nth
    return options.build_rule(days, at, week)


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
        text, days and time required)."""
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
            _store_rule(ritual, spec.rule)
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
        rule = _merged_rule(ritual, c)
        if name is not None:
            ritual.name = name
        if template is not None:
            ritual.template = template
        if zone is not None:
            ritual.timezone = zone
        if archive is not None:
            ritual.auto_archive_minutes = archive
        if rule is not None:
            _store_rule(ritual, rule)
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

    async def by_id(self, guild_id: int, ritual_id: int) -> Ritual | None:
        async with self._db.session() as session:
            return await session.scalar(
                select(Ritual).where(Ritual.guild_id == guild_id, Ritual.id == ritual_id)
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

    # Weekly questions ------------------------------------------------------------------

    async def add_question(self, guild_id: int, name: str, text: str) -> RitualQuestion:
        text = options.validate_question(text)
        async with self._db.session() as session:
            ritual = await self._get(session, guild_id, name)
            rows = await self._questions(session, guild_id, ritual.id)
            if len(rows) >= MAX_QUESTIONS:
                raise FoyerError("rituals.too_many_questions", limit=MAX_QUESTIONS)
            question = RitualQuestion(
                guild_id=guild_id,
                ritual_id=ritual.id,
                position=max((q.position for q in rows), default=0) + 1,
                text=text,
                asked=False,
            )
            session.add(question)
        return question

    async def questions(self, guild_id: int, name: str) -> list[RitualQuestion]:
        async with self._db.session() as session:
            ritual = await self._get(session, guild_id, name)
            return await self._questions(session, guild_id, ritual.id)

    async def remove_question(self, guild_id: int, name: str, number: int) -> None:
        """`number` as shown by the list (1-based)."""
        async with self._db.session() as session:
            ritual = await self._get(session, guild_id, name)
            rows = await self._questions(session, guild_id, ritual.id)
            if not 1 <= number <= len(rows):
                raise FoyerError("rituals.no_such_question", number=number, count=len(rows))
            await session.delete(rows[number - 1])

    async def next_question(self, guild_id: int, ritual_id: int) -> RitualQuestion | None:
        """The first question not asked in this round; a new round when all were asked,
        never starting it with the question asked last."""
        async with self._db.session() as session:
            rows = await self._questions(session, guild_id, ritual_id)
        if not rows:
            return None
        fresh = [q for q in rows if not q.asked]
        if fresh:
            return fresh[0]
        last = max(rows, key=lambda q: (q.last_asked_at or self._clock.now(), q.id))
        return next((q for q in rows if q.id != last.id), last)

    async def mark_asked(self, guild_id: int, ritual_id: int, question_id: int) -> None:
        """Record a question as asked; the first question of a new round clears the
        others."""
        now = self._clock.now()
        async with self._db.session() as session:
            rows = await self._questions(session, guild_id, ritual_id)
            if all(q.asked for q in rows):
                for q in rows:
                    q.asked = False
            for q in rows:
                if q.id == question_id:
                    q.asked, q.last_asked_at = True, now

    @staticmethod
    async def _questions(
        session: AsyncSession, guild_id: int, ritual_id: int
    ) -> list[RitualQuestion]:
        rows = await session.scalars(
            select(RitualQuestion)
            .where(RitualQuestion.guild_id == guild_id, RitualQuestion.ritual_id == ritual_id)
            .order_by(RitualQuestion.position, RitualQuestion.id)
        )
        return list(rows.all())

    @staticmethod
    async def _find(session: AsyncSession, guild_id: int, name: str) -> Ritual | None:
        return await session.scalar(
            select(Ritual).where(
                Ritual.guild_id == guild_id, func.lower(Ritual.name) == name.strip().lower()
            )
        )

    async def _get(self, session: AsyncSession, guild_id: int, name: str) -> Ritual:
        ritual = await self._find(session, guild_id, name)
        if ritual is None:
            raise FoyerError("rituals.not_found", name=name[:80])
        return ritual
