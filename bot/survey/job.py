"""The survey's scheduled work: tidy the question of every survey that ended.

Surveys past their end refuse answers anyway (`SurveyService` checks the time); this only
edits their message so members see it is over. The cog's `tasks.loop` runs it every
`CLOSE_CHECK_MINUTES`; there is no interaction, so each guild's language is read from its
settings.
"""

from __future__ import annotations

from typing import Protocol

import discord

from bot.i18n import Lang
from bot.survey.discord_io import take_buttons_off
from bot.survey.service import SurveyService

CLOSE_CHECK_MINUTES = 10


class LanguageSource(Protocol):
    async def language(self, guild_id: int | None) -> Lang: ...


async def close_ended(
    client: discord.Client, service: SurveyService, languages: LanguageSource
) -> None:
    """Take the buttons off every ended survey whose guild this process sees (another
    shard's guilds are that shard's to tidy)."""
    for survey in await service.expired_unmarked():
        if client.get_guild(survey.guild_id) is not None:
            lang = await languages.language(survey.guild_id)
            await take_buttons_off(client, service, survey, lang)
