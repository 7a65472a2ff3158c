"""Errors meant for a person: each carries a catalogue key and its parameters, so the
central handler can say what happened, in the guild's language, and nothing is half-saved
because the service raises before it writes."""

from __future__ import annotations

from discord import app_commands

from bot.i18n import t


class FoyerError(app_commands.AppCommandError):
    """A problem the person in front of the command can fix; shown to them, translated.

    It derives from `AppCommandError` so that, raised from a check, discord.py hands it to
    the tree's error handler unchanged.
    """

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def render(self, lang: str) -> str:
        return t(self.key, lang, **self.params)
