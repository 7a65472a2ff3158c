"""Moderation counts for the *tensions* signal: audit log entries in, counts out.

Discord sends an audit log entry as it is created only to a bot with the moderation intent
and View Audit Log (`bot/recording/moderation.py` says what is counted and why AutoMod comes
from the audit log too). Without them Foyer counts nothing and the signal says it could not
check; the watch (since when Foyer can see the log) follows the permission as roles change.
"""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.app import FoyerBot
from bot.recording import moderation_store
from bot.recording.moderation import from_audit_entry


class ModerationCounts(commands.Cog):
    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot

    def can_watch(self, guild: discord.Guild) -> bool:
        """Whether Discord sends this guild's audit log entries to Foyer."""
        me = guild.me
        return bool(self.bot.intents.moderation and me and me.guild_permissions.view_audit_log)

    async def refresh(self, guild: discord.Guild) -> None:
        watching = self.can_watch(guild)
        await moderation_store.set_watch(self.bot.db, guild.id, watching, self.bot.clock.now())

    @commands.Cog.listener()
    async def on_audit_log_entry_create(self, entry: discord.AuditLogEntry) -> None:
        action = from_audit_entry(entry)
        if action is not None:
            await moderation_store.record(self.bot.db, action)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        watching = {guild.id: self.can_watch(guild) for guild in self.bot.guilds}
        await moderation_store.set_watches(self.bot.db, watching, self.bot.clock.now())

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.refresh(guild)

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        if before.permissions != after.permissions:
            await self.refresh(after.guild)

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        await self.refresh(role.guild)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        me = self.bot.user
        if me is not None and after.id == me.id and before.roles != after.roles:
            await self.refresh(after.guild)


async def setup(bot: FoyerBot) -> None:
    await bot.add_cog(ModerationCounts(bot))
