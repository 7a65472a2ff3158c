"""The daily purge: rows older than each guild's retention, and every row of a guild the
bot left more than `GUILD_GRACE_PERIOD` ago.

The cog declares the loop (every `PURGE_EVERY_HOURS`, once the bot is ready) and calls
`DailyPurge.run`; the rules of what goes are `PrivacyService.purge_expired`'s. Guilds the
bot is in are spared whatever their recorded departure says: it may have been re-invited
while offline.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from bot.clock import Clock
from bot.guilds import GuildSettingsService
from bot.privacy.service import PrivacyService, PurgeReport

log = logging.getLogger(__name__)

PURGE_EVERY_HOURS = 24


class DailyPurge:
    """One run of the retention and departed-guild purges."""

    def __init__(
        self, service: PrivacyService, clock: Clock, guild_settings: GuildSettingsService
    ) -> None:
        self._service = service
        self._clock = clock
        self._settings = guild_settings

    async def run(self, present_guild_ids: Collection[int]) -> PurgeReport:
        """Purge, then drop the deleted guilds' cached settings (a stale cache would bring
        a deleted guild's language and channels back)."""
        report = await self._service.purge_expired(self._clock.now(), keep=present_guild_ids)
        for guild_id in report.deleted_guilds:
            self._settings.forget_cache(guild_id)
        log.info(
            "privacy purge: %d expired rows, %d guilds deleted (%d rows)",
            report.expired_rows,
            len(report.deleted_guilds),
            report.guild_rows,
        )
        return report
