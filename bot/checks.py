"""One decorator for admin commands: Discord hides them from non-admins by default, and the
run-time check refuses them anyway, because server owners can override the default."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from bot.errors import FoyerError

T = TypeVar("T")


def is_admin(permissions: discord.Permissions) -> bool:
    """Manage Server or Administrator."""
    return permissions.manage_guild or permissions.administrator


def bot_can_post(
    channel: discord.abc.GuildChannel, *, embeds: bool = False, threads: bool = False
) -> bool:
    """May the bot post in ``channel``: see it and send, plus embed links (``embeds``) or
    open public threads and write in them (``threads``). The one place that says so."""
    perms = channel.permissions_for(channel.guild.me)
    if not (perms.view_channel and perms.send_messages):
        return False
    if embeds and not perms.embed_links:
        return False
    return not threads or (perms.create_public_threads and perms.send_messages_in_threads)


def admin_only() -> Callable[[T], T]:
    """Default permissions Manage Server, guild only, and a run-time check on the
    permissions Discord resolved for this interaction."""

    def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise FoyerError("errors.guild_only")
        if not is_admin(interaction.permissions):
            raise FoyerError("errors.not_admin")
        return True

    def decorator(func: T) -> T:
        func = app_commands.default_permissions(manage_guild=True)(func)
        func = app_commands.guild_only()(func)
        if isinstance(func, type):
            # discord.py ignores `app_commands.check` on a (Group)Cog class; the cog's
            # `interaction_check` is what guards every command the cog binds.
            _guard_cog(func, predicate)
            return func
        return app_commands.check(predicate)(func)

    return decorator


def _guard_cog(cls: type, predicate: Callable[[discord.Interaction], bool]) -> None:
    """Run `predicate` before the cog's own `interaction_check`, if it has one."""
    own_check = cls.interaction_check  # type: ignore[attr-defined]

    async def interaction_check(self: object, interaction: discord.Interaction, /) -> bool:
        predicate(interaction)
        return bool(await discord.utils.maybe_coroutine(own_check, self, interaction))

    cls.interaction_check = interaction_check  # type: ignore[attr-defined]
