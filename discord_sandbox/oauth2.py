"""The state of Discord's OAuth2 authorization code flow (docs/topics/oauth2; the routes
are in ``rest/oauth2.py``), for web apps that log people in with Discord:
``/oauth2/authorize`` approves at once for the user chosen with
``Sandbox.oauth_login_as`` (no consent screen to click), ``POST /api/v10/oauth2/token``
trades a code for a Bearer token, and ``/users/@me`` and ``/users/@me/guilds`` answer that
token with the user and their guilds (with their permissions there).

Refused as Discord refuses: an unknown client or a redirect URI that is not registered
(400 on the authorize page), a wrong client secret (401 ``invalid_client``), an unknown,
expired or already used code, or a redirect URI other than the one the code was issued
for (400 ``invalid_grant``), a Bearer token that is unknown, expired or lacks the scope
(401).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from aiohttp import web

CODE_LIFETIME = 600.0  # seconds a code may wait before being traded
TOKEN_LIFETIME = 604800  # Discord's access tokens last a week


@dataclass
class Grant:
    user_id: int
    redirect_uri: str
    scopes: frozenset[str]
    created: float


@dataclass
class OAuth:
    """The OAuth2 state of one sandbox: the client's secret and redirect URIs, codes
    waiting to be traded, tokens handed out, and who approves the next authorization."""

    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    redirect_uris: set[str] = field(default_factory=set)
    approver: int | None = None
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, tuple[Grant, float]] = field(default_factory=dict)

    def bearer(self, request: web.Request, scope: str, now: float) -> int | None:
        """The user a valid Bearer token with ``scope`` stands for, else None."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        found = self.tokens.get(header.removeprefix("Bearer "))
        if found is None or now > found[1] or scope not in found[0].scopes:
            return None
        return found[0].user_id
