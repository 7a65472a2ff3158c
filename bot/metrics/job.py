"""The health feature's scheduled work: the nightly folding ahead and the weekly digest's
job kind. The health cog only declares the loop and registers the kind.

Kept apart from the cog so the work can be run (and tested) without a Discord command, and
so that `bot/` never reaches up into `cogs/`: the digest is given a `discord.Client`, not the
bot.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, time

import discord

from bot.clock import Clock
from bot.db import Database
from bot.guilds import GuildSettingsService
from bot.metrics.chart import health_chart
from bot.metrics.digest import DigestJobs
from bot.metrics.embeds import CHART_NAME, compact_digest_embed, health_embeds
from bot.metrics.reading import UnknownGuild
from bot.metrics.summary import HealthReport, fold_ahead
from bot.periods import DEFAULT_PERIOD, parse_period
from bot.scheduling import RunContext
from bot.scheduling.posting import send_once
from bot.solicitation import SolicitationBudget

FOLD_AHEAD_AT = time(0, 5, tzinfo=UTC)  # the day's spans change at midnight (UTC)
log = logging.getLogger(__name__)


async def fold_ahead_everywhere(db: Database, guild_ids: Iterable[int], now: datetime) -> None:
    """The default period's folding for every guild, each night: the admins' first
    /health of the day and Monday's digest then only read (about three times faster on a
    large guild, docs/benchmarks.md). One guild's failure never skips the others."""
    days = parse_period(DEFAULT_PERIOD)
    for guild_id in list(guild_ids):
        try:
            await fold_ahead(db, guild_id, now, days)
        except UnknownGuild:
            continue  # joined moments ago: nothing recorded yet
        except Exception:
            log.exception("health: folding ahead failed for guild %s", guild_id)


async def render_files(report: HealthReport) -> list[discord.File]:
    """The chart, drawn in a worker thread so the gateway keeps its heartbeat. A funnel
    stage nobody can have reached yet (its base is empty) is left out of it."""
    funnel = [(stage.stage, stage.count) for stage in report.funnel if stage.measurable]
    png = await asyncio.to_thread(health_chart, report.weekly, funnel, report.lang)
    return [discord.File(io.BytesIO(png), filename=CHART_NAME)]


def is_digest(message: discord.Message) -> bool:
    """A digest (`send_once`'s marker, never the text), in either format, because an admin
    may switch between two attempts: the full one has embeds and the chart, attached or
    shown by an embed (its number of embeds may change between two attempts); the compact
    one is a single embed with a single field (the key figures) and no attachment."""
    full = bool(message.embeds) and (
        any(a.filename == CHART_NAME for a in message.attachments)
        or any(CHART_NAME in (e.image.url or "") for e in message.embeds)
    )
    compact = (
        len(message.embeds) == 1 and len(message.embeds[0].fields) == 1 and not message.attachments
    )
    return full or compact


def digest_jobs(
    client: discord.Client, db: Database, guild_settings: GuildSettingsService, clock: Clock
) -> DigestJobs:
    """The weekly digest's job kind, posting through `client`."""

    async def post(ctx: RunContext, channel_id: int, report: HealthReport, format: str) -> int:
        channel = client.get_channel(channel_id) or await client.fetch_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        if format == "compact":
            message = await send_once(
                ctx, channel, marker=is_digest, embeds=[compact_digest_embed(report)]
            )
        else:
            message = await send_once(
                ctx,
                channel,
                marker=is_digest,
                embeds=health_embeds(report, title_key="health.digest.title"),
                files=await render_files(report),
            )
        return message.id

    return DigestJobs(db, SolicitationBudget(db, guild_settings), post, clock)
