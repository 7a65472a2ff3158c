"""`/health`: the community's vital signs for admins, and the weekly digest.

`/health [period]` answers ephemerally (deferred: the figures and the chart take a moment);
`/health explain:<figure>` gives a figure's definition instead. The digest's job kind is
registered here and a nightly loop is declared here; their work is in `bot.metrics.job`.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.app import FoyerBot
from bot.checks import admin_only
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language
from bot.metrics.digest import PREFIX
from bot.metrics.embeds import health_embeds
from bot.metrics.figures import OTHER_KEYS, SPECS
from bot.metrics.job import FOLD_AHEAD_AT, digest_jobs, fold_ahead_everywhere, render_files
from bot.metrics.summary import build_report
from bot.periods import DEFAULT_PERIOD, parse_period

EXPLAINABLE = (*SPECS, *OTHER_KEYS)


class HealthCog(commands.Cog):
    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.nightly_folding.start()

    async def cog_unload(self) -> None:
        self.nightly_folding.cancel()

    @tasks.loop(time=FOLD_AHEAD_AT)
    async def nightly_folding(self) -> None:
        """Each night, the default period folded ahead for every guild (bot.metrics.job)."""
        guild_ids = [guild.id for guild in self.bot.guilds]
        await fold_ahead_everywhere(self.bot.db, guild_ids, self.bot.clock.now())

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
    bot.scheduler.register(PREFIX, digest_jobs(bot, bot.db, bot.guild_settings, bot.clock))
    await bot.add_cog(HealthCog(bot))
