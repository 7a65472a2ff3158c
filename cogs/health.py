"""`/health`: the community's vital signs for admins, and the weekly digest.

`/health [period]` answers ephemerally (deferred: the figures and the chart take a moment);
`/health explain:<figure>` gives a figure's definition instead. The digest is a scheduler
job kind registered here, and a nightly loop folds the default period ahead; the work is in
`bot.metrics`.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import UTC, time

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.app import FoyerBot
from bot.checks import admin_only
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language
from bot.metrics.chart import health_chart
from bot.metrics.digest import PREFIX, DigestJobs
from bot.metrics.embeds import CHART_NAME, health_embeds
from bot.metrics.figures import OTHER_KEYS, SPECS
from bot.metrics.reading import UnknownGuild
from bot.metrics.summary import HealthReport, build_report, fold_ahead
from bot.periods import DEFAULT_PERIOD, parse_period
from bot.solicitation import SolicitationBudget

EXPLAINABLE = (*SPECS, *OTHER_KEYS)
FOLD_AHEAD_AT = time(0, 5, tzinfo=UTC)  # the day's spans change at midnight (UTC)
log = logging.getLogger(__name__)


async def render_files(report: HealthReport) -> list[discord.File]:
    """The chart, drawn in a worker thread so the gateway keeps its heartbeat."""
    funnel = [(stage.stage, stage.count) for stage in report.funnel]
    png = await asyncio.to_thread(health_chart, report.weekly, funnel, report.lang)
    return [discord.File(io.BytesIO(png), filename=CHART_NAME)]


class HealthCog(commands.Cog):
    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.nightly_folding.start()

    async def cog_unload(self) -> None:
        self.nightly_folding.cancel()

    @tasks.loop(time=FOLD_AHEAD_AT)
    async def nightly_folding(self) -> None:
        """Each night, the default period's folding for every guild: the admins' first
        /health of the day and Monday's digest then only read (about three times faster
        on a large guild, docs/benchmarks.md)."""
        now = self.bot.clock.now()
        days = parse_period(DEFAULT_PERIOD)
        for guild in list(self.bot.guilds):
            try:
                await fold_ahead(self.bot.db, guild.id, now, days)
            except UnknownGuild:
                continue  # joined moments ago: nothing recorded yet
            except Exception:  # one guild's failure must not skip the others
                log.exception("health: folding ahead failed for guild %s", guild.id)

    @nightly_folding.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    @app_commands.command(name=cmd("cmd.health.name"), description=cmd("cmd.health.description"))
    @admin_only()
    @app_commands.rename(period=cmd("cmd.health.opt.period"), explain=cmd("cmd.health.opt.explain"))
    @app_commands.describe(
        period=cmd("cmd.health.opt.period.description"),
        explain=cmd("cmd.health.opt.explain.description"),
    )
    @app_commands.choices(
        period=[
            app_commands.Choice(name=cmd(f"cmd.health.choice.{p}"), value=p)
            for p in ("7d", "28d", "90d")
        ]
    )
    async def health(
        self,
        interaction: discord.Interaction,
        period: str = DEFAULT_PERIOD,
        explain: str | None = None,
    ) -> None:
        assert interaction.guild is not None
        lang = await interaction_language(interaction)
        if explain is not None:
            await interaction.response.send_message(
                embed=explanation(explain, lang), ephemeral=True
            )
            return
        days = parse_period(period)
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await build_report(self.bot.db, interaction.guild.id, days, self.bot.clock.now())
        await interaction.followup.send(
            embeds=health_embeds(report), files=await render_files(report), ephemeral=True
        )

    @health.autocomplete("explain")
    async def _figures(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        lang = await interaction_language(interaction)
        needle = current.lower()
        choices = []
        for key in EXPLAINABLE:
            name = t(f"health.figure.{key}.name", lang)
            if needle in name.lower() or needle in key:
                choices.append(app_commands.Choice(name=name[:100], value=key))
        return choices[:25]


def explanation(key: str, lang: str) -> discord.Embed:
    """A figure's name and definition, from the catalogue mirrored in docs/metrics.md."""
    if key not in EXPLAINABLE:
        raise FoyerError("health.explain.unknown", figure=key[:64])
    embed = discord.Embed(
        title=t(f"health.figure.{key}.name", lang),
        description=t(f"health.figure.{key}.definition", lang),
        colour=0x118AB2,
    )
    spec = SPECS.get(key)
    if spec is not None and spec.min_base:
        embed.set_footer(text=t("health.explain.meaningful", lang, base=spec.min_base))
    return embed


async def setup(bot: FoyerBot) -> None:
    async def post(channel_id: int, report: HealthReport) -> int:
        channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
        assert isinstance(channel, discord.abc.Messageable)
        message = await channel.send(
            embeds=health_embeds(report, title_key="health.digest.title"),
            files=await render_files(report),
        )
        return message.id

    budget = SolicitationBudget(bot.db, bot.guild_settings)
    bot.scheduler.register(PREFIX, DigestJobs(bot.db, budget, post, bot.clock))
    await bot.add_cog(HealthCog(bot))
