"""The guild's language, resolved once per interaction.

Every answer Foyer gives (a command, a button, a modal, an error) speaks the guild's
language. The tree's interaction check resolves it before a command runs and keeps it in
``interaction.extras``; views, modals and the error handler read the same value, so one
interaction costs one settings look-up, whatever it goes through.
"""

from __future__ import annotations

from typing import Protocol, cast

import discord

from bot.i18n import Lang

_KEY = "foyer.language"


class _LanguageSource(Protocol):
    async def language(self, guild_id: int | None) -> Lang: ...


class _HasGuildSettings(Protocol):
    @property
    def guild_settings(self) -> _LanguageSource: ...


async def interaction_language(interaction: discord.Interaction) -> Lang:
    """Return the language to answer ``interaction`` in (English outside a guild)."""
    cached = interaction.extras.get(_KEY)
    if cached is None:
        settings = cast(_HasGuildSettings, interaction.client).guild_settings
        cached = interaction.extras[_KEY] = await settings.language(interaction.guild_id)
    return cast(Lang, cached)
