"""The days the *tensions* signal compares, read from the moderation counts (the recording
feature's `moderation_store`).

The recent window is the last 14 UTC days (today included); the baseline the up to 56 days
before them. Both start no earlier than the first whole day Foyer watched the audit log,
nor than the first day the guild's retention keeps: a day Foyer could not see, or whose
counts were purged, is not a calm day, and counting it as one would make any week look
like a rise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import GuildSettings, ModerationKind
from bot.metrics.data import ModerationWindows
from bot.metrics.signals import TENSIONS_BASELINE_DAYS, TENSIONS_RECENT_DAYS
from bot.recording import moderation_store

DAY = timedelta(days=1)
# the stored kinds by the names of `bot.metrics.data.MODERATION_KINDS`
_NAMES = {
    ModerationKind.TIMEOUT: "timeouts",
    ModerationKind.BAN: "bans",
    ModerationKind.KICK: "kicks",
    ModerationKind.MESSAGE_DELETE: "deletions",
    ModerationKind.AUTOMOD: "automod",
}


def window_days(
    today: date, watched_since: datetime, retention_days: int, now: datetime
) -> tuple[date, int, date, int]:
    """(first day, number of days) of the baseline, then of the recent window. The day the
    watch began is partial: it may open the recent window (too few days to compare then),
    never the baseline."""
    recent_start = today - (TENSIONS_RECENT_DAYS - 1) * DAY
    watch_day = watched_since.astimezone(UTC).date()
    first_kept = (now - timedelta(days=retention_days)).astimezone(UTC).date() + DAY
    baseline_first = max(recent_start - TENSIONS_BASELINE_DAYS * DAY, watch_day + DAY, first_kept)
    recent_first = max(recent_start, watch_day)
    return (
        baseline_first,
        max(0, (recent_start - baseline_first).days),
        recent_first,
        (today - recent_first).days + 1,
    )


async def moderation_windows(
    session: AsyncSession, guild_id: int, now: datetime
) -> ModerationWindows | None:
    """The recent and baseline moderation actions, or None while Foyer cannot see the
    guild's audit log (the signal then says it could not check)."""
    since = await moderation_store.watched_since(session, guild_id)
    settings = await session.get(GuildSettings, guild_id)
    if since is None or settings is None:
        return None
    today = now.astimezone(UTC).date()
    baseline_first, baseline_days, recent_first, recent_days = window_days(
        today, since, settings.retention_days, now
    )
    recent = await moderation_store.sums(session, guild_id, recent_first, today)
    before = await moderation_store.sums(
        session, guild_id, baseline_first, baseline_first + (baseline_days - 1) * DAY
    )
    return ModerationWindows(
        recent_days=recent_days,
        baseline_days=baseline_days,
        recent={_NAMES[kind]: n for kind, n in recent.actions.items()},
        baseline={_NAMES[kind]: n for kind, n in before.actions.items()} if baseline_days else {},
        messages=recent.messages,
    )
