"""A small ready-made guild for tests and the demo: channels, roles, an admin, members.

Built with setup methods only (no dispatch), so call it before the bot connects; the
guild then arrives in GUILD_CREATE like a server the bot was already in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import discord

from discord_sandbox.api import Sandbox
from discord_sandbox.state import Channel, Guild, Member, Role


@dataclass
class Town:
    """Handles on the objects of a scenario guild."""

    guild: Guild
    general: Channel
    help: Channel
    admin_channel: Channel
    staff_role: Role
    admin: Member
    members: list[Member] = field(default_factory=list)


def build_town(
    sb: Sandbox,
    name: str = "Atelier",
    *,
    locale: str = "fr",
    members: int = 3,
    created_at: datetime | None = None,
    bot_in_admin: bool = True,
    bot_joined_at: datetime | None = None,
) -> Town:
    """Create a guild with #general, #help, a private #admin, a Staff role and members.

    The admin holds Manage Server through the Staff role (not ownership), as in most
    communities; ``#admin`` is hidden from @everyone by an overwrite and open to Staff and,
    unless ``bot_in_admin=False``, to the bot's role (as an admin who set it up would do).
    """
    guild = sb.create_guild(name, locale=locale, at=created_at)
    if bot_joined_at is not None:  # e.g. Foyer installed when the replayed weeks begin
        guild.members[sb.bot_user.id].joined_at = bot_joined_at
    community = sb.create_category(guild, "Community", at=created_at)
    general = sb.create_channel(guild, "general", category=community, at=created_at)
    help_ = sb.create_channel(guild, "help", category=community, at=created_at)
    staff = sb.create_role(
        guild,
        "Staff",
        permissions=discord.Permissions(
            manage_guild=True, manage_messages=True, manage_threads=True
        ).value,
        at=created_at,
    )
    admin_channel = sb.create_channel(guild, "admin", at=created_at)
    sb.set_overwrite(
        admin_channel, guild.everyone, deny=discord.Permissions(view_channel=True).value
    )
    sb.set_overwrite(admin_channel, staff, allow=discord.Permissions(view_channel=True).value)
    if bot_in_admin:  # the admin let the bot in, so it can post its digest there
        sb.set_overwrite(
            admin_channel,
            sb.world.bot_role(guild),
            allow=discord.Permissions(view_channel=True, send_messages=True).value,
        )
    admin = sb.create_member(guild, "camille", roles=[staff], joined_at=created_at)
    people = [sb.create_member(guild, f"member{i}", joined_at=created_at) for i in range(members)]
    return Town(guild, general, help_, admin_channel, staff, admin, people)
