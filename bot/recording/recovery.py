"""Gap recovery, the Discord side: after a start or a reconnect that could not resume,
record what happened while the bot was away.

Members are reconciled with the stored list (joins at their `joined_at`, leaves noticed
now; for the members found when Foyer arrives, those dates give tenure only: health
coverage starts at the arrival, docs/metrics.md). Then each readable text channel and
active thread gets a gap in `backfill_gaps`: from its last message recorded before the
bot went away up to now, merged with what an earlier run left unread. Gaps are read page
by page (100 messages, oldest first), at least `backfill.PAGE_DELAY` seconds between two
requests for the same place (discord.py also waits on Discord's rate-limit headers and
retries a 429), each place in
turn for `backfill.PAGES_PER_TURN` pages, until every gap is closed. A page's messages are
written before its cursor moves past them, so a restart continues where the last run
stopped and an outage of any length is filled. A channel the bot may not read is skipped
(its gap waits) and admins are told once. Recording is idempotent, so overlaps store
nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import discord

from bot.clock import Clock
from bot.db import Database
from bot.db.models.activity import ActorRole
from bot.guilds import GuildSettingsService
from bot.i18n import t
from bot.recording import backfill
from bot.recording.discord_events import EventBuilder
from bot.recording.events import snowflake_at
from bot.recording.reaction_recovery import ReactionRecovery
from bot.recording.recorder import Recorder

log = logging.getLogger(__name__)


# Read past "now" by this much: Discord's clock may be ahead of ours, and a message it
# stamped before our new session started must not fall above the gap.
LIVE_MARGIN = timedelta(minutes=1)
Place = discord.TextChannel | discord.Thread


class HistoryPacer:
    """Keeps `delay` seconds between two history requests for the same place (Discord
    limits them per channel; discord.py keeps to the global limit)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.requests = 0
        self._last: dict[int, float] = {}

    async def wait(self, place_id: int) -> None:
        loop = asyncio.get_running_loop()
        last = self._last.get(place_id)
        if last is not None:
            await asyncio.sleep(max(0.0, last + self.delay - loop.time()))
        self._last[place_id] = loop.time()
        self.requests += 1


class GapRecovery:
    """Fills what a guild's record missed; `recover` never raises (a failure is logged and
    the next fresh session or start continues from the cursors). One recovery per guild
    at a time."""

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
        self._locks: dict[int, asyncio.Lock] = {}

    async def recover(self, guild: discord.Guild, since: datetime) -> bool:
        """Reconcile members, then read every gap of every readable channel and active
        thread to its end. `since`: when the bot may have started missing events. Returns
        whether the gaps were opened (from then on `backfill_gaps` holds where they start)."""
        opened = False
        async with self._locks.setdefault(guild.id, asyncio.Lock()):
            try:
                await self._reconcile_members(guild)
                gaps, unreadable = await self._open_gaps(guild, since)
                opened = True
                await self._report_unreadable(guild, unreadable)
                await self._read_gaps(guild, gaps)
                await ReactionRecovery(self._db, self._recorder, self._events, self._clock).recover(
                    guild, since
                )
            except Exception:
                log.exception("gap recovery failed", extra={"guild_id": guild.id})
        return opened

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
        if staff:  # roles changed while the bot was away: one transaction for them all
            await self._recorder.set_staff_of_members(guild.id, dict(staff))
        if events:
            log.info("recorded %d missed joins/leaves", len(events), extra={"guild_id": guild.id})

    async def _open_gaps(
        self, guild: discord.Guild, since: datetime
    ) -> tuple[list[tuple[Place, backfill.Gap]], list[int]]:
        """A gap per readable place, from its last message recorded before `since` (or an
        earlier run's cursor) to now; returns them and the channels the bot may not read."""
        settings = await self._events.settings(guild.id)
        now = self._clock.now()
        # Nothing from before the bot arrived (a guild seen for the first time: nothing).
        floor = snowflake_at(settings.joined_at if settings else now)
        before = snowflake_at(since)
        upper = snowflake_at(now + LIVE_MARGIN)
        places: list[Place] = [*guild.text_channels, *guild.threads]
        left_open = await backfill.open_gaps(self._db, guild.id)
        for place_id in sorted(left_open.keys() - {p.id for p in places}):
            place = await self._place_left_open(guild, place_id)
            if place is not None:
                places.append(place)
        gaps: list[tuple[Place, backfill.Gap]] = []
        unreadable: list[int] = []
        for place in places:
            perms = place.permissions_for(guild.me)
            if not (perms.view_channel and perms.read_message_history):
                if not isinstance(place, discord.Thread):
                    unreadable.append(place.id)
                continue
            is_thread = isinstance(place, discord.Thread)
            if isinstance(place, discord.Thread) and place.id > floor:
                created = await self._events.thread_event(place)  # its THREAD_CREATE may be lost
                if created is not None:
                    await self._recorder.record(created)
            last = await backfill.cursor(
                self._db, guild.id, place.id, thread=is_thread, before=before
            )
            gap = await backfill.open_gap(
                self._db, guild.id, place.id, after=max(last, floor), before=upper, now=now
            )
            gaps.append((place, gap))
        return gaps, unreadable

    async def _place_left_open(self, guild: discord.Guild, place_id: int) -> Place | None:
        """A place an earlier run's gap is in but the guild's cache lacks (an archived
        thread); its gap is closed when the place is gone."""
        try:
            found = guild.get_channel_or_thread(place_id) or await guild.fetch_channel(place_id)
        except discord.NotFound:
            found = None
        except discord.HTTPException:
            return None  # not now: the next recovery tries again
        if isinstance(found, discord.TextChannel | discord.Thread):
            return found
        await backfill.close_gap(self._db, guild.id, place_id)
        return None

    async def _read_gaps(
        self, guild: discord.Guild, gaps: list[tuple[Place, backfill.Gap]]
    ) -> None:
        """Read the gaps in turns until each is closed; a place Discord refuses now is left
        for the next recovery (its cursor is kept)."""
        pacer = HistoryPacer(backfill.PAGE_DELAY)
        fetched = 0
        while gaps:
            unfinished: list[tuple[Place, backfill.Gap]] = []
            for place, gap in gaps:
                try:
                    gap, count, closed = await self._read_turn(place, gap, pacer)
                except discord.HTTPException as error:
                    log.warning(
                        "history unavailable (%s)", error.status, extra={"guild_id": guild.id}
                    )
                    continue
                fetched += count
                if not closed:
                    unfinished.append((place, gap))
            gaps = unfinished
        if fetched:
            log.info(
                "backfilled %d messages in %d requests",
                fetched,
                pacer.requests,
                extra={"guild_id": guild.id},
            )

    async def _read_turn(
        self, place: Place, gap: backfill.Gap, pacer: HistoryPacer
    ) -> tuple[backfill.Gap, int, bool]:
        """Up to `PAGES_PER_TURN` pages of a gap; returns the gap (its cursor moved), the
        messages recorded and whether the gap is closed."""
        count = 0
        for _ in range(backfill.PAGES_PER_TURN):
            await pacer.wait(place.id)
            page = [
                m
                async for m in place.history(
                    limit=backfill.PAGE, after=discord.Object(gap.after_id), oldest_first=True
                )
            ]
            for message in page:
                event = await self._events.message_event(message)
                if event is not None:
                    await self._recorder.record(event)
                    count += 1
            await self._recorder.flush()  # written before the cursor moves past them
            newest = max((m.id for m in page), default=gap.after_id)
            if len(page) < backfill.PAGE or newest >= gap.before_id:
                await backfill.close_gap(self._db, place.guild.id, place.id)
                return gap, count, True
            gap = await backfill.advance(self._db, place.guild.id, gap, newest)
        return gap, count, False

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
