"""Pieces shared by the cogs' buttons and modals.

Errors raised from a button or a modal do not pass through the command tree, so they are
handed to it here: members get the same translated, ephemeral answer as for a command.
"""

from __future__ import annotations

import discord

from bot.errors import FoyerError


async def report_error(interaction: discord.Interaction, error: FoyerError) -> None:
    """Answer a button's or modal's error like a command error."""
    await interaction.client.tree.on_error(interaction, error)  # type: ignore[attr-defined]


class FoyerModal(discord.ui.Modal):
    """A modal whose `FoyerError`s are answered translated; other errors are logged."""

    async def on_error(  # type: ignore[override]  # discord.py: Modal narrows View
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        if isinstance(error, FoyerError):
            await report_error(interaction, error)
        else:
            await super().on_error(interaction, error)
