"""`/survey` (admins): the recommendation survey, and the buttons members answer with.

Thin adapter over `bot.survey.SurveyService`. Buttons are dynamic items whose custom ids
carry the survey and the score (`foyer:nps:<survey>:<score>`, `foyer:nps-why:<survey>`),
so a restart loses none of them. A small loop takes the buttons off surveys that ended.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.app import FoyerBot
from bot.checks import admin_only, bot_can_post
from bot.db.models import Survey
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.survey import render
from bot.survey.service import MAX_WHY_LENGTH, SurveyService
from bot.ui import FoyerModal, report_error

log = logging.getLogger(__name__)

CLOSE_CHECK_MINUTES = 10
_Button = discord.ui.Button[Any]


def _cog(interaction: discord.Interaction) -> SurveyCog:
    cog = interaction.client.get_cog(SurveyCog.__cog_name__)  # type: ignore[attr-defined]
    assert isinstance(cog, SurveyCog)
    return cog


class ScoreButton(
    discord.ui.DynamicItem[_Button], template=r"foyer:nps:(?P<survey>\d+):(?P<score>\d+)"
):
    """One of the eleven 0-10 buttons; clicking again with another number changes the
    answer while the survey is open."""

    def __init__(self, survey_id: int, score: int, row: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                label=str(score),
                style=discord.ButtonStyle.secondary,
                custom_id=render.score_custom_id(survey_id, score),
                row=row,
            )
        )
        self.survey_id = survey_id
        self.score = score

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ScoreButton:
        return cls(int(match["survey"]), int(match["score"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        if interaction.guild_id is None:
            return
        lang = await cog.bot.guild_settings.language(interaction.guild_id)
        try:
            survey = await cog.service.answer(
                interaction.guild_id, self.survey_id, interaction.user.id, self.score
            )
        except FoyerError as error:
            await report_error(interaction, error)
            return
        text = t("survey.answer.ack", lang, score=self.score, closes=render.stamp(survey.closes_at))
        view = discord.utils.MISSING
        if survey.follow_up:
            notice = "stored" if survey.store_why else "private"
            text += "\n\n" + t(f"survey.answer.why_notice_{notice}", lang)
            view = discord.ui.View(timeout=None)
            view.add_item(WhyButton(self.survey_id, t("survey.answer.why_button", lang)))
        await interaction.response.send_message(text, view=view, ephemeral=True)


class WhyButton(discord.ui.DynamicItem[_Button], template=r"foyer:nps-why:(?P<survey>\d+)"):
    """Opens the optional "why?" modal, which says whether the text is kept."""

    def __init__(self, survey_id: int, label: str = "?") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=render.why_custom_id(survey_id),
            )
        )
        self.survey_id = survey_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> WhyButton:
        return cls(int(match["survey"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        if interaction.guild_id is None:
            return
        survey = await cog.service.get(interaction.guild_id, self.survey_id)
        if survey is None:
            await report_error(interaction, FoyerError("survey.unknown"))
            return
        lang = await cog.bot.guild_settings.language(interaction.guild_id)
        await interaction.response.send_modal(WhyModal(survey, lang))


class WhyModal(FoyerModal):
    def __init__(self, survey: Survey, lang: str) -> None:
        super().__init__(title=t("survey.why.title", lang)[:45])
        self.survey_id = survey.id
        self.lang = lang
        kept = "stored" if survey.store_why else "private"
        self.why: discord.ui.TextInput[WhyModal] = discord.ui.TextInput(
            label=t(f"survey.why.label_{kept}", lang)[:45],
            placeholder=t(f"survey.why.placeholder_{kept}", lang)[:100],
            style=discord.TextStyle.paragraph,
            max_length=MAX_WHY_LENGTH,
            custom_id="why",
        )
        self.add_item(self.why)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        cog = _cog(interaction)
        assert interaction.guild_id is not None
        await cog.service.record_why(
            interaction.guild_id, self.survey_id, interaction.user.id, self.why.value
        )
        await cog.bot.reply_ephemeral(interaction, t("survey.why.thanks", self.lang))


@admin_only()
class SurveyCog(
    commands.GroupCog,
    group_name=cmd("cmd.survey.name"),
    group_description=cmd("cmd.survey.description"),
):
    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.service = SurveyService(bot.db, bot.clock)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ScoreButton, WhyButton)
        self.close_ended.start()

    async def cog_unload(self) -> None:
        self.close_ended.cancel()
        self.bot.remove_dynamic_items(ScoreButton, WhyButton)

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
        survey = await self.service.open(
            guild.id,
            channel_id=target.id,
            opened_by=interaction.user.id,
            duration=timedelta(days=duration_days),
            follow_up=follow_up,
            store_why=store_why,
        )
        lang = await self.bot.guild_settings.language(guild.id)
        try:
            message = await target.send(
                embed=render.question_embed(survey, lang), view=_score_view(survey.id)
            )
        except discord.HTTPException:
            await self.service.discard(survey.id)
            raise FoyerError("survey.cannot_post", channel=target.mention) from None
        await self.service.attach_message(survey.id, message.id)
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
        lang = await self.bot.guild_settings.language(interaction.guild.id)
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
        survey = await self.service.close(interaction.guild.id)
        await self._take_buttons_off(survey)
        lang = await self.bot.guild_settings.language(interaction.guild.id)
        results = await self.service.results(interaction.guild.id)
        answers = results.result.answers if results else 0
        await interaction.response.send_message(
            t("survey.closed_now", lang, answers=answers), ephemeral=True
        )

    @tasks.loop(minutes=CLOSE_CHECK_MINUTES)
    async def close_ended(self) -> None:
        """Surveys past their end keep refusing answers anyway; this only tidies their
        message so members see it is over."""
        for survey in await self.service.expired_unmarked():
            if self.bot.get_guild(survey.guild_id) is not None:
                await self._take_buttons_off(survey)

    @close_ended.before_loop
    async def _wait_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def _take_buttons_off(self, survey: Survey) -> None:
        """Edit the question to say it is closed. Tried once: a deleted message or a
        missing permission is not retried (the survey refuses answers regardless)."""
        guild = self.bot.get_guild(survey.guild_id)
        channel = guild.get_channel(survey.channel_id) if guild else None
        if isinstance(channel, discord.TextChannel) and survey.message_id is not None:
            lang = await self.bot.guild_settings.language(survey.guild_id)
            with contextlib.suppress(discord.HTTPException):
                await channel.get_partial_message(survey.message_id).edit(
                    embed=render.question_embed(survey, lang, closed=True), view=None
                )
        await self.service.mark_message_closed(survey.id)


def _score_view(survey_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for score, _custom_id, row in render.score_buttons(survey_id):
        view.add_item(ScoreButton(survey_id, score, row))
    return view


async def setup(bot: FoyerBot) -> None:
    await bot.add_cog(SurveyCog(bot))
