"""Helpers shared by the REST handlers: JSON responses, Discord errors, request bodies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..core import Core
from ..permissions import VIEW_CHANNEL
from ..state import Channel, Guild, Member, Message

CORE: web.AppKey[Core] = web.AppKey("sandbox_core", Core)
PAYLOAD: web.RequestKey[Any] = web.RequestKey("sandbox_payload", object)
UPLOADS: web.RequestKey[list[tuple[int, str, str, bytes]]] = web.RequestKey("sandbox_uploads", list)

UNKNOWN = {
    "channel": (10003, "Unknown Channel"),
    "message": (10008, "Unknown Message"),
    "member": (10007, "Unknown Member"),
    "guild": (10004, "Unknown Guild"),
    "role": (10011, "Unknown Role"),
    "user": (10013, "Unknown User"),
    "interaction": (10062, "Unknown interaction"),
    "webhook": (10015, "Unknown Webhook"),
    "emoji": (10014, "Unknown Emoji"),
    "command": (10063, "Unknown application command"),
    "command_permissions": (10066, "Unknown application command permissions"),
}


class ApiError(Exception):
    """A Discord error answer: HTTP status, JSON error code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def json_response(body: Any, status: int = 200) -> web.Response:
    """Answer JSON with Content-Type exactly ``application/json`` (discord.py needs it)."""
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


def no_content() -> web.Response:
    """Answer 204 with no body."""
    return web.Response(status=204)


def unknown(kind: str) -> ApiError:
    """Return the 404 Discord sends for an unknown object of ``kind``."""
    code, message = UNKNOWN[kind]
    return ApiError(404, code, message)


def missing_permissions() -> ApiError:
    """Return the 403 Discord sends when the bot lacks a permission."""
    return ApiError(403, 50013, "Missing Permissions")


def core_of(request: web.Request) -> Core:
    """Return the sandbox core serving ``request``."""
    return request.app[CORE]


def snowflake(request: web.Request, name: str) -> int:
    """Read a snowflake path parameter (non-numeric ids are unknown objects)."""
    raw = request.match_info[name]
    if not raw.isdigit():
        raise ApiError(400, 50035, "Invalid Form Body")
    return int(raw)


def payload(request: web.Request) -> dict[str, Any]:
    """Return the JSON body (or multipart ``payload_json``) parsed by the middleware."""
    body = request.get(PAYLOAD)
    return body if isinstance(body, dict) else {}


def channel_of(request: web.Request, name: str = "channel_id") -> Channel:
    """Return the channel in the path, or raise Unknown Channel / Missing Access."""
    core = core_of(request)
    ch = core.world.channels.get(snowflake(request, name))
    if ch is None or not core.world.guilds[ch.guild_id].bot_present:
        raise unknown("channel")
    if not core.world.permissions_in(ch, core.world.bot_user.id) & VIEW_CHANNEL:
        raise ApiError(403, 50001, "Missing Access")
    return ch


def message_of(request: web.Request, ch: Channel) -> Message:
    """Return the message in the path, or raise Unknown Message."""
    msg = core_of(request).world.messages.get(snowflake(request, "message_id"))
    if msg is None or msg.channel_id != ch.id:
        raise unknown("message")
    return msg


def guild_of(request: web.Request) -> Guild:
    """Return the guild in the path, or raise Unknown Guild."""
    guild = core_of(request).world.guilds.get(snowflake(request, "guild_id"))
    if guild is None or not guild.bot_present:
        raise unknown("guild")
    return guild


def member_of(request: web.Request, guild: Guild) -> Member:
    """Return the member in the path, or raise Unknown Member."""
    member = guild.members.get(snowflake(request, "user_id"))
    if member is None:
        raise unknown("member")
    return member


def require(core: Core, ch: Channel, bits: int) -> None:
    """Raise 403 Missing Permissions unless the bot has every bit of ``bits`` in ``ch``."""
    if core.world.permissions_in(ch, core.world.bot_user.id) & bits != bits:
        raise missing_permissions()


def require_guild(core: Core, guild: Guild, bits: int) -> None:
    """Raise 403 Missing Permissions unless the bot has ``bits`` guild-wide."""
    if core.world.guild_permissions(guild, core.world.bot_user.id) & bits != bits:
        raise missing_permissions()


def attachments_from(
    request: web.Request, body: dict[str, Any], new_id: Any
) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """Turn uploaded ``files[n]`` parts into attachment objects and a name->bytes map."""
    uploads = request.get(UPLOADS) or []
    described = {str(a.get("id")): a for a in body.get("attachments") or []}
    attachments: list[dict[str, Any]] = []
    files: dict[str, bytes] = {}
    for index, filename, content_type, data in uploads:
        meta = described.get(str(index), {})
        name = meta.get("filename") or filename
        aid = new_id()
        url = f"https://cdn.discordapp.com/attachments/0/{aid}/{name}"
        att: dict[str, Any] = {
            "id": str(aid),
            "filename": name,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }
        if meta.get("description"):
            att["description"] = meta["description"]
        attachments.append(att)
        files[name] = data
    return attachments, files
