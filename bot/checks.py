"""One decorator for admin commands: Discord hides them from non-admins by default, and the
run-time check lets in only who `bot.access` says may administer Foyer: Manage Server, a
manager role (`/setup managers`), or an override the admin set in Integrations."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.access import TeamAccess
from bot.errors import FoyerError

T = TypeVar("T")
log = logging.getLogger(__name__)


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


async def may_administer(interaction: discord.Interaction) -> bool:
    """The run-time check of every admin command: Manage Server in the permissions Discord
    resolved, a manager role, or an Integrations override granting this member the command
    here (read through Discord's command permissions endpoint, `bot.access`)."""
    if is_admin(interaction.permissions):
        return True
    access: TeamAccess | None = getattr(interaction.client, "team_access", None)
    guild = interaction.guild
    if access is None or guild is None:
        return False
    role_ids = [role.id for role in getattr(interaction.user, "roles", ())]
    if await access.may_administer(guild.id, manages_guild=False, role_ids=role_ids):
        return True
    data: Mapping[str, Any] = interaction.data or {}
    if "id" not in data:
        return False
    channel = interaction.channel
    channel_ids = [c for c in (interaction.channel_id, getattr(channel, "parent_id", None)) if c]
    return await access.override_allows(
        guild.id,
        _overrides_reader(interaction),
        command_id=int(data["id"]),
        application_id=interaction.application_id,
        user_id=interaction.user.id,
        role_ids=set(role_ids),
        channel_ids=channel_ids,
    )


def _overrides_reader(
    interaction: discord.Interaction,
) -> Callable[[], Awaitable[Iterable[Mapping[str, Any]]]]:
    async def read() -> Iterable[Mapping[str, Any]]:
        assert interaction.guild_id is not None
        try:
            return await interaction.client.http.get_guild_application_command_permissions(
                interaction.application_id, interaction.guild_id
            )
        except discord.HTTPException as exc:
            log.warning(
                "could not read the command permissions: %s %s",
                exc.status,
                exc.code,
                extra={"guild_id": interaction.guild_id},
            )
            return []

    return read


def admin_only() -> Callable[[T], T]:
    """Default permissions Manage Server, guild only, and the run-time check
    `may_administer`."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise FoyerError("errors.guild_only")
        if not await may_administer(interaction):
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


def _guard_cog(cls: type, predicate: Callable[[discord.Interaction], Awaitable[bool]]) -> None:
    """Run `predicate` before the cog's own `interaction_check`, if it has one."""
    own_check = cls.interaction_check  # type: ignore[attr-defined]

    async def interaction_check(self: object, interaction: discord.Interaction, /) -> bool:
        await predicate(interaction)
        return bool(await discord.utils.maybe_coroutine(own_check, self, interaction))

    cls.interaction_check = interaction_check  # type: ignore[attr-defined]
