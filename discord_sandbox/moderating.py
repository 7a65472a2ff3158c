"""Moderation as a community's moderators and AutoMod do it: timeouts, kicks, bans,
messages deleted by a moderator (one or in bulk), messages AutoMod blocks; and an admin
changing a role's permissions (the bot's, to grant or take away View Audit Log) or
deleting a role.

Each action changes the state and dispatches what Discord sends: the action's own events
(GUILD_MEMBER_UPDATE, GUILD_MEMBER_REMOVE, GUILD_BAN_ADD, MESSAGE_DELETE(_BULK)), then the
audit log entry it writes, GUILD_AUDIT_LOG_ENTRY_CREATE, which Discord sends only to a bot
with the GUILD_MODERATION intent *and* the View Audit Log permission. AutoMod's
AUTO_MODERATION_ACTION_EXECUTION goes to a bot with the AUTO_MODERATION_EXECUTION intent
and Manage Server. Entries have Discord's shape (`id`, `guild_id`, `action_type`,
`user_id`, `target_id`, `changes`, `options` with string values); a moderator lacking the
permission is refused as Discord refuses (PermissionError, nothing changed). Deleting
one's own message writes no entry, as on Discord.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from . import payloads
from .core import Core
from .permissions import (
    ADMINISTRATOR,
    BAN_MEMBERS,
    KICK_MEMBERS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MANAGE_ROLES,
    MODERATE_MEMBERS,
    VIEW_AUDIT_LOG,
)
from .snowflake import iso, utcnow
from .state import Channel, Guild, Member, Message, Role, User

# Discord's audit log event numbers
MEMBER_KICK, MEMBER_BAN_ADD, MEMBER_UPDATE, ROLE_UPDATE, ROLE_DELETE = 20, 22, 24, 31, 32
MESSAGE_DELETE, MESSAGE_BULK_DELETE = 72, 73
AUTO_MODERATION_BLOCK_MESSAGE = 143
MAX_TIMEOUT = timedelta(days=28)  # Discord refuses a longer one (400)


class ModeratingMixin:
    """Moderators' and AutoMod's actions, with the audit log entries they write."""

    core: Core

    def audit_log(self, guild: Guild) -> list[dict[str, Any]]:
        """Return the entries written in ``guild``, oldest first."""
        return self.core.audit_logs.setdefault(guild.id, [])

    def _require(self, guild: Guild, moderator: User, permission: int) -> None:
        if not self.core.world.guild_permissions(guild, moderator.id) & permission:
            raise PermissionError(f"{moderator.username} lacks permission {permission:#x}")

    async def _entry(
        self,
        guild: Guild,
        action_type: int,
        user_id: int,
        target_id: int | None,
        at: datetime | None,
        *,
        changes: list[dict[str, Any]] | None = None,
        options: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": str(self.core.world.ids.new(at)),
            "guild_id": str(guild.id),
            "action_type": action_type,
            "user_id": str(user_id),
            "target_id": None if target_id is None else str(target_id),
        }
        if changes is not None:
            entry["changes"] = changes
        if options is not None:
            entry["options"] = options
        if reason is not None:
            entry["reason"] = reason
        self.audit_log(guild).append(entry)
        bot = self.core.world.bot_user.id
        if guild.bot_present and self.core.world.guild_permissions(guild, bot) & VIEW_AUDIT_LOG:
            await self.core.hub.dispatch("GUILD_AUDIT_LOG_ENTRY_CREATE", entry, guild_id=guild.id)
        return entry

    async def timeout(
        self,
        guild: Guild,
        moderator: User,
        member: Member,
        duration: timedelta,
        *,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Time a member out (Moderate Members; never the owner or an administrator, at most
        28 days): GUILD_MEMBER_UPDATE, then the member update entry."""
        self._require(guild, moderator, MODERATE_MEMBERS)
        world = self.core.world
        if member.user.id == guild.owner_id or (
            world.guild_permissions(guild, member.user.id) & ADMINISTRATOR
        ):
            raise PermissionError("the owner and administrators cannot be timed out")
        if not timedelta(0) < duration <= MAX_TIMEOUT:
            raise ValueError("a timeout lasts more than 0 and at most 28 days")
        before = member.communication_disabled_until
        member.communication_disabled_until = (at or utcnow()) + duration
        if guild.bot_present:
            await self.core.member_updated(member)
        change: dict[str, Any] = {
            "key": "communication_disabled_until",
            "new_value": iso(member.communication_disabled_until),
        }
        if before is not None:
            change["old_value"] = iso(before)
        return await self._entry(
            guild, MEMBER_UPDATE, moderator.id, member.user.id, at, changes=[change], reason=reason
        )

    async def kick(
        self,
        guild: Guild,
        moderator: User,
        member: Member,
        *,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Kick a member (Kick Members): GUILD_MEMBER_REMOVE, then the kick entry."""
        self._require(guild, moderator, KICK_MEMBERS)
        await self.core.remove_member(guild, member.user)
        return await self._entry(
            guild, MEMBER_KICK, moderator.id, member.user.id, at, reason=reason
        )

    async def ban(
        self,
        guild: Guild,
        moderator: User,
        member: Member,
        *,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Ban a member (Ban Members): GUILD_BAN_ADD, GUILD_MEMBER_REMOVE, the ban entry."""
        self._require(guild, moderator, BAN_MEMBERS)
        if guild.bot_present:
            await self.core.hub.dispatch(
                "GUILD_BAN_ADD",
                {"guild_id": str(guild.id), "user": payloads.user(member.user)},
                guild_id=guild.id,
            )
        await self.core.remove_member(guild, member.user)
        return await self._entry(
            guild, MEMBER_BAN_ADD, moderator.id, member.user.id, at, reason=reason
        )

    async def moderate_delete(
        self, moderator: User, messages: Sequence[Message], *, at: datetime | None = None
    ) -> dict[str, Any] | None:
        """Delete messages of others in one channel as a moderator (Manage Messages): one
        MESSAGE_DELETE and a message delete entry (`count` 1) for a single message, one
        MESSAGE_DELETE_BULK and a bulk delete entry for two or more (Discord's bulk route
        takes 2 to 100). Returns the entry, or None when the moderator deleted only their
        own message (Discord writes none)."""
        if not messages:
            raise ValueError("nothing to delete")
        channel = self.core.world.channels[messages[0].channel_id]
        guild = self.core.world.guild_of(channel)
        if any(m.channel_id != channel.id for m in messages) or len(messages) > 100:
            raise ValueError("one channel, at most 100 messages")
        own = all(m.author.id == moderator.id for m in messages)
        if not own:
            perms = self.core.world.permissions_in(channel, moderator.id)
            if not perms & MANAGE_MESSAGES:
                raise PermissionError(f"{moderator.username} lacks Manage Messages")
        if len(messages) == 1:
            (msg,) = messages
            await self.core.delete_message(msg)
            if own:
                return None
            options = {"channel_id": str(channel.id), "count": "1"}
            return await self._entry(
                guild, MESSAGE_DELETE, moderator.id, msg.author.id, at, options=options
            )
        return await self._bulk_delete(guild, channel, moderator, messages, at)

    async def _bulk_delete(
        self,
        guild: Guild,
        channel: Channel,
        moderator: User,
        messages: Sequence[Message],
        at: datetime | None,
    ) -> dict[str, Any]:
        for msg in messages:
            self.core.world.messages.pop(msg.id, None)
        if self.core.bot_sees(channel):
            data = {
                "ids": [str(m.id) for m in messages],
                "channel_id": str(channel.id),
                "guild_id": str(guild.id),
            }
            await self.core.hub.dispatch("MESSAGE_DELETE_BULK", data, guild_id=guild.id)
        options = {"count": str(len(messages))}
        return await self._entry(
            guild, MESSAGE_BULK_DELETE, moderator.id, channel.id, at, options=options
        )

    async def set_role_permissions(
        self,
        guild: Guild,
        admin: User,
        role: Role,
        permissions: int,
        *,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Change a role's permissions as an admin (Manage Roles): GUILD_ROLE_UPDATE, then
        the role update entry. The bot's own role is ``world.bot_role(guild)``."""
        self._require(guild, admin, MANAGE_ROLES)
        before, role.permissions = role.permissions, permissions
        if guild.bot_present:
            await self.core.hub.dispatch(
                "GUILD_ROLE_UPDATE",
                {"guild_id": str(guild.id), "role": payloads.role(role)},
                guild_id=guild.id,
            )
        change = {"key": "permissions", "old_value": str(before), "new_value": str(permissions)}
        return await self._entry(guild, ROLE_UPDATE, admin.id, role.id, at, changes=[change])

    async def delete_role(
        self, guild: Guild, admin: User, role: Role, *, at: datetime | None = None
    ) -> dict[str, Any]:
        """Delete a role as an admin (Manage Roles) in the server settings: it leaves every
        member and channel overwrite; GUILD_ROLE_DELETE, GUILD_MEMBER_UPDATE for each
        member who held it, then the role delete entry (32)."""
        self._require(guild, admin, MANAGE_ROLES)
        if role.id == guild.id or role.id not in guild.roles:
            raise ValueError(f"{role.name} is not a deletable role of {guild.name}")
        await self.core.delete_role(guild, role)
        changes = [
            {"key": "name", "old_value": role.name},
            {"key": "permissions", "old_value": str(role.permissions)},
        ]
        return await self._entry(guild, ROLE_DELETE, admin.id, role.id, at, changes=changes)

    async def automod_block(
        self,
        channel: Channel,
        author: User,
        *,
        rule_id: int | None = None,
        rule_name: str = "Block spam",
        keyword: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """AutoMod blocks a member's message (it is never created): the action execution
        (content blank, as without Message Content), then the block message entry."""
        guild = self.core.world.guild_of(channel)
        rule = rule_id if rule_id is not None else self.core.world.ids.new(at)
        trigger = 1 if keyword is not None else 3  # keyword, or spam
        bot = self.core.world.bot_user.id
        if guild.bot_present and self.core.world.guild_permissions(guild, bot) & MANAGE_GUILD:
            execution = {
                "guild_id": str(guild.id),
                "action": {"type": 1, "metadata": {}},
                "rule_id": str(rule),
                "rule_trigger_type": trigger,
                "user_id": str(author.id),
                "channel_id": str(channel.id),
                "content": "",
                "matched_keyword": keyword,
                "matched_content": None,
            }
            await self.core.hub.dispatch(
                "AUTO_MODERATION_ACTION_EXECUTION", execution, guild_id=guild.id
            )
        options = {
            "auto_moderation_rule_name": rule_name,
            "auto_moderation_rule_trigger_type": str(trigger),
            "channel_id": str(channel.id),
        }
        return await self._entry(
            guild, AUTO_MODERATION_BLOCK_MESSAGE, author.id, author.id, at, options=options
        )
