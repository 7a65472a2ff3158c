"""Identity and discovery routes: ``/users/@me``, the application, ``/gateway/bot``, DMs."""

from __future__ import annotations

from aiohttp import web

from .. import payloads
from .common import ApiError, core_of, json_response, payload, unknown

Handler = tuple[str, str, object]


async def get_me(request: web.Request) -> web.Response:
    """``GET /users/@me`` (called by login)."""
    bot = payloads.user(core_of(request).world.bot_user)
    return json_response({**bot, "mfa_enabled": False, "locale": "en-US", "verified": True})


async def get_application(request: web.Request) -> web.Response:
    """``GET /oauth2/applications/@me`` (called by login for the application id)."""
    core = core_of(request)
    owner = (
        payloads.user(next(u for u in core.world.users.values() if not u.bot))
        if any(not u.bot for u in core.world.users.values())
        else payloads.user(core.world.bot_user)
    )
    return json_response(
        {
            "id": str(core.application_id),
            "name": core.world.bot_user.username,
            "icon": None,
            "description": f"{core.world.bot_user.username} in the sandbox",
            "type": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "flags_new": "0",
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": owner,
            "approximate_guild_count": len(core.world.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": payloads.user(core.world.bot_user),
            "summary": "",
            "tags": [],
        }
    )


async def get_gateway(request: web.Request) -> web.Response:
    """``GET /gateway``."""
    return json_response({"url": core_of(request).gateway_url})


async def get_gateway_bot(request: web.Request) -> web.Response:
    """``GET /gateway/bot``: AutoShardedBot asks here how many shards to run."""
    return json_response(
        {
            "url": core_of(request).gateway_url,
            "shards": core_of(request).shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }
    )


async def create_dm(request: web.Request) -> web.Response:
    """``POST /users/@me/channels``: a stub DM channel per recipient."""
    core = core_of(request)
    uid = int(payload(request).get("recipient_id") or 0)
    user = core.world.users.get(uid)
    if user is None:
        raise unknown("user")
    if user.bot:
        raise ApiError(400, 50007, "Cannot send messages to this user")
    dm_id = core.dm_channel_for(uid)
    return json_response(
        {
            "id": str(dm_id),
            "type": 1,
            "flags": 0,
            "last_message_id": None,
            "recipients": [payloads.user(user)],
        }
    )


ROUTES: list[Handler] = [
    ("GET", "/users/@me", get_me),
    ("GET", "/oauth2/applications/@me", get_application),
    ("GET", "/gateway", get_gateway),
    ("GET", "/gateway/bot", get_gateway_bot),
    ("POST", "/users/@me/channels", create_dm),
]
