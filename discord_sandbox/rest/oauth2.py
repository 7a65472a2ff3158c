"""OAuth2 routes: the authorize page, the token endpoint, and what a Bearer token may
read (``/users/@me``, ``/users/@me/guilds``). The rules are in ``../oauth2.py``."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .. import payloads
from ..core import Core
from ..oauth2 import CODE_LIFETIME, TOKEN_LIFETIME, Grant, OAuth
from .common import core_of, json_response


def _oauth(request: web.Request) -> tuple[Core, OAuth]:
    core = core_of(request)
    return core, core.oauth


def _page(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")


async def authorize(request: web.Request) -> web.StreamResponse:
    """``GET /oauth2/authorize``: approve for the chosen user, redirect with code and state."""
    core, oauth = _oauth(request)
    q = request.query
    if q.get("client_id") != str(core.application_id):
        return _page(400, "Unknown Application")
    redirect_uri = q.get("redirect_uri", "")
    if redirect_uri not in oauth.redirect_uris:
        return _page(400, "Invalid OAuth2 redirect_uri")
    if q.get("response_type") != "code":
        return _page(400, "Invalid response_type")
    scopes = frozenset(q.get("scope", "").split())
    if not scopes or not scopes <= {"identify", "guilds", "email"}:
        return _page(400, "Invalid scope")
    if oauth.approver is None:
        return _page(401, "Nobody is logged in to the sandbox (Sandbox.oauth_login_as)")
    code = secrets.token_urlsafe(24)
    oauth.codes[code] = Grant(oauth.approver, redirect_uri, scopes, core.clock())
    params = {"code": code, **({"state": q["state"]} if "state" in q else {})}
    raise web.HTTPFound(f"{redirect_uri}?{urlencode(params)}")


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return json_response({"error": error, "error_description": description}, status=status)


async def token(request: web.Request) -> web.Response:
    """``POST /api/v10/oauth2/token`` (form encoded): the authorization code grant."""
    core, oauth = _oauth(request)
    form = await request.post()
    auth = request.headers.get("Authorization", "")
    client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
    if auth.startswith("Basic "):
        client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
    if client_id != str(core.application_id) or not secrets.compare_digest(
        secret, oauth.client_secret
    ):
        return _oauth_error(401, "invalid_client", "Invalid client")
    if form.get("grant_type") != "authorization_code":
        return _oauth_error(400, "unsupported_grant_type", "Unsupported grant type")
    grant = oauth.codes.pop(str(form.get("code", "")), None)  # a code is used once
    if grant is None or core.clock() - grant.created > CODE_LIFETIME:
        return _oauth_error(400, "invalid_grant", 'Invalid "code" in request.')
    if form.get("redirect_uri") != grant.redirect_uri:
        return _oauth_error(400, "invalid_grant", 'Invalid "redirect_uri" in request.')
    access = secrets.token_urlsafe(24)
    oauth.tokens[access] = (grant, core.clock() + TOKEN_LIFETIME)
    return json_response(
        {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "refresh_token": secrets.token_urlsafe(24),
            "scope": " ".join(sorted(grant.scopes)),
        }
    )


def _unauthorized() -> web.Response:
    return json_response({"message": "401: Unauthorized", "code": 0}, status=401)


async def me(request: web.Request) -> web.Response:
    """``GET /users/@me`` with a Bearer token (scope ``identify``)."""
    core, oauth = _oauth(request)
    user_id = oauth.bearer(request, "identify", core.clock())
    if user_id is None:
        return _unauthorized()
    user = core.world.users[user_id]
    return json_response({**payloads.user(user), "mfa_enabled": False, "locale": "fr"})


async def my_guilds(request: web.Request) -> web.Response:
    """``GET /users/@me/guilds`` with a Bearer token (scope ``guilds``): the guilds the
    user is a member of today, with their guild-level permissions there."""
    core, oauth = _oauth(request)
    user_id = oauth.bearer(request, "guilds", core.clock())
    if user_id is None:
        return _unauthorized()
    out: list[dict[str, Any]] = []
    for guild in core.world.guilds.values():
        if user_id not in guild.members:
            continue
        out.append(
            {
                "id": str(guild.id),
                "name": guild.name,
                "icon": None,
                "banner": None,
                "owner": guild.owner_id == user_id,
                "permissions": str(core.world.guild_permissions(guild, user_id)),
                "features": [],
            }
        )
    return json_response(out)


#: Routes a Bearer token may call (the server's Bot-token check lets them through).
BEARER_ROUTES = ("/users/@me", "/users/@me/guilds")
API_ROUTES = [("POST", "/oauth2/token", token)]
PAGE_ROUTES = [("GET", "/oauth2/authorize", authorize)]
