"""`SpotlightService`: the rules of settings, suggestions, recorded spotlights and refusals.

Posting is split in two so that nothing is half-saved: `prepare()` validates and returns
what the post shows (raising a translated `FoyerError` otherwise), `discord_io` sends the
post, then `record()` stores it with the message id. A post Discord refused is never
recorded. The SQL is in `store.py`; nothing here knows Discord, so the rules are tested
against a database alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.db import Database
from bot.db.models import Spotlight, SpotlightConfig
from bot.db.models.recognition import DEFAULT_COOLDOWN_WEEKS, SpotlightSource
from bot.errors import FoyerError
from bot.periods import Period, period_ending
from bot.spotlight.ranking import MAX_CANDIDATES, Candidate, ContributionStats, rank
from bot.spotlight.store import SpotlightEffects, SpotlightStore
from bot.user_input import check_text

SUGGESTION_DAYS = 28
MAX_NOTE_LENGTH = 1000
MAX_COOLDOWN_WEEKS = 52
NO_WEEKLY_SUGGESTION = -1


@dataclass(frozen=True)
class Suggestion:
    candidates: list[Candidate]
    days: int
    cooldown_weeks: int


@dataclass(frozen=True)
class PreparedSpotlight:
    """What a spotlight post shows, validated: the channel and the figures."""

    channel_id: int
    stats: ContributionStats
    days: int
    note: str | None


class SpotlightService:
    def __init__(self, db: Database, clock: Clock, *, days: int = SUGGESTION_DAYS) -> None:
        self._store = SpotlightStore(db)
        self._clock = clock
        self.days = days

    # -- settings --------------------------------------------------------------------------
    async def config(self, guild_id: int) -> SpotlightConfig:
        """The guild's settings; defaults (not saved) before the first `/spotlight setup`."""
        row = await self._store.config(guild_id)
        return row or SpotlightConfig(
            guild_id=guild_id, cooldown_weeks=DEFAULT_COOLDOWN_WEEKS, suggestion_weekday=None
        )

    async def configure(
        self,
        guild_id: int,
        *,
        channel_id: int | None = None,
        cooldown_weeks: int | None = None,
        suggestion_weekday: int | None = None,
    ) -> SpotlightConfig:
        """Change what is given; `suggestion_weekday` 0-6 (Monday = 0) or
        `NO_WEEKLY_SUGGESTION` to stop it. Validated before anything is written."""
        if cooldown_weeks is not None and not 0 <= cooldown_weeks <= MAX_COOLDOWN_WEEKS:
            raise FoyerError("spotlight.bad_cooldown", value=cooldown_weeks)
        if suggestion_weekday is not None and suggestion_weekday not in (
            NO_WEEKLY_SUGGESTION,
            *range(7),
        ):
            raise FoyerError("spotlight.bad_day", value=suggestion_weekday)
        stop = suggestion_weekday == NO_WEEKLY_SUGGESTION
        return await self._store.update_config(
            guild_id,
            now=self._clock.now(),
            channel_id=channel_id,
            cooldown_weeks=cooldown_weeks,
            weekday=None if stop else suggestion_weekday,
            stop_weekly=stop,
        )

    async def weekly_configs(self) -> list[SpotlightConfig]:
        """Guilds that asked for a weekly suggestion (the scheduler's job list)."""
        return await self._store.weekly_configs()

    # -- suggestions -----------------------------------------------------------------------
    def period(self) -> Period:
        """The period a suggestion covers: the `days` UTC days ending with today."""
        return period_ending(self._clock.now(), self.days)

    async def suggest(self, guild_id: int, *, limit: int = MAX_CANDIDATES) -> Suggestion:
        config = await self.config(guild_id)
        stats, statuses = await self._store.candidates(
            guild_id,
            self.period(),
            now=self._clock.now(),
            cooldown=timedelta(weeks=config.cooldown_weeks),
        )
        return Suggestion(rank(stats, statuses, limit=limit), self.days, config.cooldown_weeks)

    async def stats_for(self, guild_id: int, user_id: int) -> ContributionStats:
        """One member's figures over the suggestion period (zeros if none)."""
        return await self._store.stats_of(guild_id, user_id, self.period())

    # -- posting ---------------------------------------------------------------------------
    async def prepare(
        self, guild_id: int, member_id: int, *, mention: str, note: str | None
    ) -> PreparedSpotlight:
        """Validate a spotlight on `member_id` (`mention` is how errors name them)."""
        note = check_text(note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE_LENGTH:
            raise FoyerError("spotlight.note_too_long", length=len(note), limit=MAX_NOTE_LENGTH)
        config = await self.config(guild_id)
        if config.channel_id is None:
            raise FoyerError("spotlight.no_channel")
        member, refused = await self._store.member_and_refusal(guild_id, member_id)
        if refused:
            raise FoyerError("spotlight.member_refused", member=mention)
        if member is not None and member.opted_out:
            raise FoyerError("spotlight.member_opted_out", member=mention)
        if member is not None and (member.is_bot or member.is_staff):
            raise FoyerError("spotlight.member_not_eligible", member=mention)
        stats = await self.stats_for(guild_id, member_id)
        return PreparedSpotlight(config.channel_id, stats, self.days, note)

    async def record(
        self,
        guild_id: int,
        prepared: PreparedSpotlight,
        *,
        posted_by: int,
        source: SpotlightSource,
        message_id: int,
    ) -> Spotlight:
        s = prepared.stats
        row = Spotlight(
            guild_id=guild_id,
            member_id=s.user_id,
            posted_at=self._clock.now(),
            posted_by=posted_by,
            source=source,
            channel_id=prepared.channel_id,
            message_id=message_id,
            note=prepared.note,
            period_days=prepared.days,
            peer_given=s.peer_given,
            members_helped=s.members_helped,
            ritual_days=s.ritual_days,
            conversations_started=s.conversations_started,
            reactions_received=s.reactions_received,
        )
        return await self._store.add_spotlight(row)

    async def history(self, guild_id: int, *, limit: int = 15) -> list[Spotlight]:
        return await self._store.history(guild_id, limit=limit)

    # -- refusals --------------------------------------------------------------------------
    async def refuse(self, guild_id: int, user_id: int) -> None:
        """The member is never suggested nor posted again (idempotent)."""
        await self._store.add_refusal(guild_id, user_id, now=self._clock.now())

    async def allow(self, guild_id: int, user_id: int) -> None:
        await self._store.remove_refusal(guild_id, user_id)

    async def has_refused(self, guild_id: int, user_id: int) -> bool:
        return await self._store.has_refused(guild_id, user_id)

    # -- /health ---------------------------------------------------------------------------
    async def effects(self, guild_id: int, period: Period) -> SpotlightEffects:
        return await self._store.effects(guild_id, period, now=self._clock.now())
