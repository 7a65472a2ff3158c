"""The survey on Discord: posting the question with its 0-10 buttons, taking the buttons
off at the end, and the buttons and modal members answer with.

Buttons are dynamic items whose custom ids carry the survey and the score
(`foyer:nps:<survey>:<score>`, `foyer:nps-why:<survey>`), so a restart loses none of them.
They reach `SurveyService` through the cog named `COG_NAME` (the loaded extension owns the
service); this module does not import the cog.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, Protocol, cast

import discord
from discord.ext import commands

from bot.db.models import Survey
from bot.errors import FoyerError
from bot.i18n import Lang, t
from bot.interaction_language import interaction_language
from bot.survey import render
from bot.survey.service import MAX_WHY_LENGTH, QuestionNotPosted, QuestionPoster, SurveyService
from bot.ui import FoyerModal, report_error

COG_NAME = "SurveyCog"
_Button = discord.ui.Button[Any]


class _HoldsService(Protocol):
    service: SurveyService


class _RepliesEphemeral(Protocol):
    async def reply_ephemeral(
        self, interaction: discord.Interaction, text: str, **kwargs: Any
    ) -> None: ...


def _service(interaction: discord.Interaction) -> SurveyService:
    cog = cast(commands.Bot, interaction.client).get_cog(COG_NAME)
    assert cog is not None, "the survey extension is not loaded"
    return cast(_HoldsService, cog).service


def poster(channel: discord.TextChannel, lang: Lang) -> QuestionPoster:
    """`QuestionPoster` for `channel`: the question embed and its score buttons."""

    async def post(survey: Survey) -> int:
        try:
            message = await channel.send(
                embed=render.question_embed(survey, lang), view=score_view(survey.id)
            )
        except discord.HTTPException:
            raise QuestionNotPosted from None
        return message.id

    return post


async def take_buttons_off(
    client: discord.Client, service: SurveyService, survey: Survey, lang: Lang
) -> None:
    """Edit the question to say it is closed. Tried once: a deleted message or a
    missing permission is not retried (the survey refuses answers regardless)."""
    guild = client.get_guild(survey.guild_id)
    channel = guild.get_channel(survey.channel_id) if guild else None
    if isinstance(channel, discord.TextChannel) and survey.message_id is not None:
        with contextlib.suppress(discord.HTTPException):
            await channel.get_partial_message(survey.message_id).edit(
                embed=render.question_embed(survey, lang, closed=True), view=None
            )
    await service.mark_message_closed(survey.id)


def score_view(survey_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for score, _custom_id, row in render.score_buttons(survey_id):
        view.add_item(ScoreButton(survey_id, score, row))
    return view


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
        if interaction.guild_id is None:
            return
        lang = await interaction_language(interaction)
        try:
            survey = await _service(interaction).answer(
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
        if interaction.guild_id is None:
            return
        survey = await _service(interaction).get(interaction.guild_id, self.survey_id)
        if survey is None:
            await report_error(interaction, FoyerError("survey.unknown"))
            return
        lang = await interaction_language(interaction)
        await interaction.response.send_modal(WhyModal(survey, lang))


class WhyModal(FoyerModal):
    """The "why?" text, labelled with whether the admins will read it."""

    def __init__(self, survey: Survey, lang: Lang) -> None:
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
        assert interaction.guild_id is not None
        await _service(interaction).record_why(
            interaction.guild_id, self.survey_id, interaction.user.id, self.why.value
        )
        replies = cast(_RepliesEphemeral, interaction.client)
        await replies.reply_ephemeral(interaction, t("survey.why.thanks", self.lang))


DYNAMIC_ITEMS = (ScoreButton, WhyButton)
