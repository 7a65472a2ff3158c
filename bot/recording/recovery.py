"""Gap recovery, the Discord side: after a start or a reconnect that could not resume,
record what happened while the bot was away.

Members are reconciled with the stored list (joins at their `joined_at`, leaves noticed
now; for the members found when Foyer arrives, those dates give tenure only: health
coverage starts at the arrival, docs/metrics.md); each readable text channel and active
thread is read from its last recorded message, one after the other, at most
`backfill.HISTORY_LIMIT` messages each (discord.py keeps to the rate limits). A channel
the bot may not read is skipped, never retried here, and admins are told once. Recording
is idempotent, so overlaps store nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

import discord

from bot.clock import Clock
from bot.db import Database
from bot.db.models.activity import ActorRole
from bot.guilds import GuildSettingsService
from bot.i18n import t
from bot.recording import backfill
from bot.recording.discord_events import EventBuilder
from bot.recording.events import snowflake_at
from bot.recording.recorder import Recorder

log = logging.getLogger(__name__)


class GapRecovery:
    """Fills what a guild's record missed; `recover` never raises (a failure is logged and
    the next fresh session tries again)."""

    def __init__(
        self,
        db: Database,
        guild_settings: GuildSettingsService,
        recorder: Recorder,
        events: EventBuilder,
        clock: Clock,
    ) -> None:
        self._db = db
        self._guild_settings = guild_settings
        self._recorder = recorder
        self._events = events
        self._clock = clock

    async def recover(self, guild: discord.Guild, since: datetime) -> None:
        """Reconcile members, then backfill every readable channel and active thread."""
        try:
            await self._reconcile_members(guild)
            unreadable = await self._backfill(guild, since)
            await self._report_unreadable(guild, unreadable)
        except Exception:
            log.exception("gap recovery failed", extra={"guild_id": guild.id})

    async def _reconcile_members(self, guild: discord.Guild) -> None:
        present = [
            backfill.PresentMember(
                m.id, m.bot, await self._events.member_role(m) is ActorRole.STAFF, m.joined_at
            )
            for m in guild.members
        ]
        events, staff = await backfill.member_changes(
            self._db, guild.id, present, self._clock.now()
        )
        await self._recorder.record_many(events)
        for user_id, is_staff in staff:
            await self._recorder.set_staff(guild.id, user_id, is_staff)
        if events:
            log.info("recorded %d missed joins/leaves", len(events), extra={"guild_id": guild.id})

    async def _backfill(self, guild: discord.Guild, since: datetime) -> list[int]:
        """Fetch history after each place's last recorded message, one place after the
        other; returns the channels the bot may not read (skipped, never retried here)."""
        settings = await self._events.settings(guild.id)
        # Nothing from before the bot arrived (a guild seen for the first time: nothing).
        floor = snowflake_at(settings.joined_at if settings else self._clock.now())
        before = snowflake_at(since)
        unreadable: list[int] = []
        fetched = 0
        places: list[discord.TextChannel | discord.Thread] = [
            *guild.text_channels,
            *guild.threads,
        ]
        for place in places:
            perms = place.permissions_for(guild.me)
            readable = perms.view_channel and perms.read_message_history
            try:
                if readable:
                    fetched += await self._backfill_place(place, floor, before)
            except discord.Forbidden:
                readable = False
            except discord.HTTPException as error:
                log.warning("history unavailable (%s)", error.status, extra={"guild_id": guild.id})
            if not readable and not isinstance(place, discord.Thread):
                unreadable.append(place.id)
        if fetched:
            log.info("backfilled %d messages", fetched, extra={"guild_id": guild.id})
        return unreadable

    async def _backfill_place(
        self, place: discord.TextChannel | discord.Thread, floor: int, before: int
    ) -> int:
        is_thread = isinstance(place, discord.Thread)
        if isinstance(place, discord.Thread) and place.id > floor:
            created = await self._events.thread_event(
                place
            )  # its THREAD_CREATE may have been missed
            if created is not None:
                await self._recorder.record(created)
        last = await backfill.cursor(
            self._db, place.guild.id, place.id, thread=is_thread, before=before
        )
        count = 0
        async for message in place.history(
            limit=backfill.HISTORY_LIMIT, after=discord.Object(max(last, floor)), oldest_first=True
        ):
            event = await self._events.message_event(message)
            if event is not None:
                await self._recorder.record(event)
                count += 1
        if count == backfill.HISTORY_LIMIT:
            log.warning(
                "gap longer than %d messages in one channel; older part recorded",
                count,
                extra={"guild_id": place.guild.id},
            )
        return count

    async def _report_unreadable(self, guild: discord.Guild, channel_ids: list[int]) -> None:
        """Tell admins once which channels Foyer cannot read (their activity is missing)."""
        new = await backfill.not_yet_reported(self._db, guild.id, channel_ids)
        if not new:
            return
        settings = await self._events.settings(guild.id)
        admin = guild.get_channel(settings.admin_channel_id or 0) if settings else None
        if not isinstance(admin, discord.TextChannel):
            log.warning(
                "%d channels unreadable; no admin channel to tell",
                len(new),
                extra={"guild_id": guild.id},
            )
            return
        lang = await self._guild_settings.language(guild.id)
        text = t("tracking.unreadable_channels", lang, channels=", ".join(f"<#{c}>" for c in new))
        try:
            await admin.send(text)
        except discord.HTTPException as error:
            log.warning(
                "could not tell admins about unreadable channels (%s)",
                error.status,
                extra={"guild_id": guild.id},
            )
        await backfill.mark_reported(self._db, guild.id, new)
