"""Guild routes: guild, channels, roles (list, delete), members and their roles, active
threads."""

from __future__ import annotations

from aiohttp import web

from .. import payloads
from ..permissions import MANAGE_ROLES
from ..state import Guild, Role
from .common import (
    core_of,
    guild_of,
    json_response,
    member_of,
    missing_permissions,
    no_content,
    require_guild,
    snowflake,
    unknown,
)


async def get_guild(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}``."""
    return json_response(payloads.guild(guild_of(request)))


async def list_channels(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}/channels`` (threads excluded, as Discord)."""
    guild = guild_of(request)
    return json_response([payloads.channel(c) for c in guild.channels.values() if not c.is_thread])


async def list_roles(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}/roles``."""
    return json_response([payloads.role(r) for r in guild_of(request).roles.values()])


async def list_members(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}/members``: by ascending user id, ``after``/``limit``."""
    guild = guild_of(request)
    limit = max(1, min(1000, int(request.query.get("limit", "1"))))
    after = int(request.query.get("after", "0"))
    members = sorted(
        (m for m in guild.members.values() if m.user.id > after), key=lambda m: m.user.id
    )[:limit]
    return json_response([payloads.member(m) for m in members])


async def get_member(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}/members/{user_id}``."""
    guild = guild_of(request)
    return json_response(payloads.member(member_of(request, guild)))


def _top_position(guild: Guild, user_id: int) -> int:
    member = guild.members.get(user_id)
    roles = [guild.roles[r].position for r in (member.roles if member else []) if r in guild.roles]
    return max(roles, default=0)


def _manageable_role(request: web.Request, guild: Guild) -> Role:
    """Return the role in the path if the bot may manage it: 404 10011 for an unknown role
    (or @everyone), 403 50013 without Manage Roles or for a role not below its highest."""
    core = core_of(request)
    role = guild.roles.get(snowflake(request, "role_id"))
    if role is None or role.id == guild.id:
        raise unknown("role")
    require_guild(core, guild, MANAGE_ROLES)
    bot_id = core.world.bot_user.id
    if bot_id != guild.owner_id and role.position >= _top_position(guild, bot_id):
        raise missing_permissions()
    return role


async def _change_role(request: web.Request, add: bool) -> web.Response:
    core = core_of(request)
    guild = guild_of(request)
    member = member_of(request, guild)
    role_id = _manageable_role(request, guild).id
    changed = (role_id not in member.roles) if add else (role_id in member.roles)
    if changed:
        if add:
            member.roles.append(role_id)
        else:
            member.roles.remove(role_id)
        await core.member_updated(member)
    return no_content()


async def add_member_role(request: web.Request) -> web.Response:
    """``PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}``."""
    return await _change_role(request, True)


async def remove_member_role(request: web.Request) -> web.Response:
    """``DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}``."""
    return await _change_role(request, False)


async def delete_role(request: web.Request) -> web.Response:
    """``DELETE /guilds/{guild_id}/roles/{role_id}``: Manage Roles and a role below the
    bot's highest (403 50013 otherwise); GUILD_ROLE_DELETE and member updates follow."""
    guild = guild_of(request)
    role = _manageable_role(request, guild)
    await core_of(request).delete_role(guild, role)
    return no_content()


async def active_threads(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}/threads/active``."""
    core = core_of(request)
    guild = guild_of(request)
    threads = [c for c in guild.channels.values() if c.is_thread and not c.archived]
    bot_id = core.world.bot_user.id
    members = [payloads.thread_member(t, bot_id) for t in threads if bot_id in t.thread_members]
    return json_response(
        {"threads": [payloads.channel(t) for t in threads], "members": members, "has_more": False}
    )


async def leave_guild(request: web.Request) -> web.Response:
    """``DELETE /users/@me/guilds/{guild_id}``: the bot leaves; GUILD_DELETE follows."""
    core = core_of(request)
    guild = guild_of(request)
    await core.remove_bot(guild)
    return no_content()


G = "/guilds/{guild_id}"
ROUTES = [
    ("GET", G, get_guild),
    ("GET", G + "/channels", list_channels),
    ("GET", G + "/roles", list_roles),
    ("DELETE", G + "/roles/{role_id}", delete_role),
    ("GET", G + "/members", list_members),
    ("GET", G + "/members/{user_id}", get_member),
    ("PUT", G + "/members/{user_id}/roles/{role_id}", add_member_role),
    ("DELETE", G + "/members/{user_id}/roles/{role_id}", remove_member_role),
    ("GET", G + "/threads/active", active_threads),
    ("DELETE", "/users/@me/guilds/{guild_id}", leave_guild),
]
