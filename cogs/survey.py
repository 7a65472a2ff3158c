"""`/survey` (admins): the recommendation survey.

Thin adapter: the rules are `bot.survey.service.SurveyService`'s, the question, its buttons
and the "why" modal are in `bot.survey.discord_io`, the texts in `bot.survey.render`. A
small loop runs `bot.survey.job.close_ended`, which takes the buttons off surveys that ended.
"""

from __future__ import annotations

from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.app import FoyerBot
from bot.checks import admin_only, bot_can_post
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language
from bot.survey import discord_io, job, render
from bot.survey.service import SurveyService


@admin_only()
class SurveyCog(
    commands.GroupCog,
    name=discord_io.COG_NAME,
    group_name=cmd("cmd.survey.name"),
    group_description=cmd("cmd.survey.description"),
):
    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.service = SurveyService(bot.db, bot.clock)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*discord_io.DYNAMIC_ITEMS)
        self.close_ended.start()

    async def cog_unload(self) -> None:
        self.close_ended.cancel()
        self.bot.remove_dynamic_items(*discord_io.DYNAMIC_ITEMS)

    @app_commands.command(
        name=cmd("cmd.survey.nps.name"), description=cmd("cmd.survey.nps.description")
    )
    @app_commands.rename(
        duration_days=cmd("cmd.survey.opt.duration_days"),
        follow_up=cmd("cmd.survey.opt.follow_up"),
        store_why=cmd("cmd.survey.opt.store_why"),
        channel=cmd("cmd.survey.opt.channel"),
    )
    @app_commands.describe(
        duration_days=cmd("cmd.survey.opt.duration_days.description"),
        follow_up=cmd("cmd.survey.opt.follow_up.description"),
        store_why=cmd("cmd.survey.opt.store_why.description"),
        channel=cmd("cmd.survey.opt.channel.description"),
    )
    async def nps(
        self,
        interaction: discord.Interaction,
        duration_days: app_commands.Range[int, 1, 30] = 7,
        follow_up: bool = True,
        store_why: bool = False,
        channel: discord.TextChannel | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel):
            raise FoyerError("errors.guild_only")
        if not bot_can_post(target, embeds=True):
            raise FoyerError("survey.cannot_post", channel=target.mention)
        lang = await interaction_language(interaction)
        survey = await self.service.open_and_post(
            guild.id,
            channel_id=target.id,
            opened_by=interaction.user.id,
            duration=timedelta(days=duration_days),
            follow_up=follow_up,
            store_why=store_why,
            post=discord_io.poster(target, lang),
        )
        text = t(
            "survey.opened", lang, channel=target.mention, closes=render.stamp(survey.closes_at)
        )
        if store_why:
            text += "\n" + t("survey.opened_store_why", lang)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name=cmd("cmd.survey.results.name"), description=cmd("cmd.survey.results.description")
    )
    async def results(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        lang = await interaction_language(interaction)
        results = await self.service.results(interaction.guild.id)
        if results is None:
            await interaction.response.send_message(t("survey.results.none", lang), ephemeral=True)
            return
        await interaction.response.send_message(
            embed=render.results_embed(results, lang), ephemeral=True
        )

    @app_commands.command(
        name=cmd("cmd.survey.close.name"), description=cmd("cmd.survey.close.description")
    )
    async def close(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        lang = await interaction_language(interaction)
        survey = await self.service.close(interaction.guild.id)
        await discord_io.take_buttons_off(self.bot, self.service, survey, lang)
        results = await self.service.results(interaction.guild.id)
        answers = results.result.answers if results else 0
        await interaction.response.send_message(
            t("survey.closed_now", lang, answers=answers), ephemeral=True
        )

    @tasks.loop(minutes=job.CLOSE_CHECK_MINUTES)
    async def close_ended(self) -> None:
        await job.close_ended(self.bot, self.service, self.bot.guild_settings)

    @close_ended.before_loop
    async def _wait_ready(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: FoyerBot) -> None:
    await bot.add_cog(SurveyCog(bot))
