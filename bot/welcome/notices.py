"""Telling a guild's admins about a welcome problem: once, in the admin channel, else by a
direct message to the owner, else only in the log. One attempt each: a refused notice is
logged, never retried."""

from __future__ import annotations

import logging

import discord

from bot.checks import bot_can_post
from bot.guilds import GuildSettingsService

log = logging.getLogger(__name__)


async def tell_admins(
    client: discord.Client, settings: GuildSettingsService, guild: discord.Guild, text: str
) -> str:
    """Send `text` to the admins; return where it went: "channel", "owner" or "log"."""
    row = await settings.get(guild.id)
    channel = guild.get_channel(row.admin_channel_id) if row.admin_channel_id else None
    if isinstance(channel, discord.TextChannel) and bot_can_post(channel):
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
            return "channel"
        except discord.HTTPException as exc:
            log.warning(
                "admin channel refused a welcome notice (%s)",
                exc.status,
                extra={"guild_id": guild.id},
            )
    owner = guild.owner
    try:
        if owner is None and guild.owner_id:
            owner = await client.fetch_user(guild.owner_id)  # type: ignore[assignment]
        if owner is not None:
            await owner.send(text, allowed_mentions=discord.AllowedMentions.none())
            return "owner"
    except discord.HTTPException as exc:
        log.warning(
            "could not reach the guild owner by DM (%s)", exc.status, extra={"guild_id": guild.id}
        )
    log.warning("welcome notice for admins not delivered", extra={"guild_id": guild.id})
    return "log"
