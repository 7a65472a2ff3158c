"""`/setup digest`'s rules: what may be saved, and when the next digest will then be
posted, computed by the same rules the job follows (`bot.metrics.digest_schedule`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.db import Database
from bot.guilds import GuildSettingsService
from bot.metrics import digest_schedule, digest_store
from bot.metrics.digest import job_key, zone_of
from bot.metrics.digest_schedule import DigestPlan


@dataclass(frozen=True)
class DigestStatus:
    """What the admin is told: the plan, where it posts, and when next (local time)."""

    plan: DigestPlan
    zone: ZoneInfo
    admin_channel_id: int | None
    next_at: datetime | None  # in the guild's zone; None when off
    note: str | None  # "done_this_week" or "none_this_week" (digest_schedule.this_week_note)
    saved: bool = False  # something was given to save


class DigestSettingsService:
    def __init__(self, db: Database, guild_settings: GuildSettingsService, clock: Clock) -> None:
        self._db = db
        self._guild_settings = guild_settings
        self._clock = clock

    async def configure(
        self,
        guild_id: int,
        *,
        enabled: bool | None = None,
        weekday: int | None = None,
        hour: int | None = None,
        format: str | None = None,
    ) -> DigestStatus:
        """Check every value, then save them in one transaction. A change of on/off, day or
        hour moves `changed_at` to now (nothing at or before it is posted afterwards); a
        change of format alone does not. Nothing given: the status only."""
        if enabled is None and weekday is None and hour is None and format is None:
            return await self.status(guild_id)
        digest_schedule.check_plan(weekday, hour, format)
        await self._guild_settings.get(guild_id)  # the row the settings hang on
        now = self._clock.now()
        async with self._db.session() as session:
            current = await digest_store.load_plan(session, guild_id)
            wanted = replace(
                current,
                enabled=current.enabled if enabled is None else enabled,
                weekday=current.weekday if weekday is None else weekday,
                hour=current.hour if hour is None else hour,
                format=current.format if format is None else format,
            )
            timing = (wanted.enabled, wanted.weekday, wanted.hour)
            if timing != (current.enabled, current.weekday, current.hour):
                wanted = replace(wanted, changed_at=now)
            await digest_store.save_plan(session, guild_id, wanted)
        return replace(await self.status(guild_id), saved=True)

    async def status(self, guild_id: int) -> DigestStatus:
        settings = await self._guild_settings.get(guild_id)
        zone = zone_of(settings.timezone)
        now = self._clock.now()
        async with self._db.session() as session:
            plan = await digest_store.load_plan(session, guild_id)
            taken = (await digest_store.last_taken(session, [job_key(guild_id)])).get(
                job_key(guild_id)
            )
        next_at = digest_schedule.next_digest(
            plan, zone, joined_at=settings.joined_at, now=now, last_taken=taken
        )
        note = None
        if next_at is not None:
            note = digest_schedule.this_week_note(
                plan, zone, now=now, last_taken=taken, next_at=next_at
            )
        return DigestStatus(
            plan,
            zone,
            settings.admin_channel_id,
            next_at.astimezone(zone) if next_at is not None else None,
            note,
        )
