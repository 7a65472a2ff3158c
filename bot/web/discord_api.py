"""The dashboard's calls to Discord: the OAuth2 token exchange, the user and their guilds
(a Bearer token, scopes `identify guilds`), and a member's roles (the bot token), for the
manager-role rule. Every address comes from the settings, so the sandbox can stand in."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

log = logging.getLogger(__name__)

SCOPES = "identify guilds"
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3


class DiscordRefused(Exception):
    """Discord said no (a bad or reused code, a revoked token): the person logs in again."""


@dataclass(frozen=True)
class UserGuild:
    """A guild the user is in, from `/users/@me/guilds`."""

    id: int
    name: str
    manages: bool  # owner, Manage Server or Administrator there


class DiscordApi:
    def __init__(
        self,
        *,
        api_base: str,
        authorize_url: str,
        client_id: int,
        client_secret: str,
        redirect_uri: str,
        bot_token: str | None,
        session: aiohttp.ClientSession,
    ) -> None:
        self._api = api_base.rstrip("/")
        self._authorize = authorize_url
        self._client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self._bot_token = bot_token
        self._http = session

    def authorize_url(self, state: str) -> str:
        query = {
            "response_type": "code",
            "client_id": str(self._client_id),
            "scope": SCOPES,
            "redirect_uri": self.redirect_uri,
            "state": state,
            "prompt": "none",
        }
        return f"{self._authorize}?{urlencode(query)}"

    async def exchange(self, code: str) -> str:
        """The access token for an authorization code (usable once)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": str(self._client_id),
            "client_secret": self._secret,
        }
        async with self._http.post(f"{self._api}/oauth2/token", data=form) as resp:
            if resp.status != 200:
                raise DiscordRefused(f"token exchange refused: {resp.status}")
            body = await resp.json()
        return str(body["access_token"])

    async def _get(self, path: str, auth: str) -> Any:
        async with self._http.get(f"{self._api}{path}", headers={"Authorization": auth}) as resp:
            if resp.status in (401, 403):
                raise DiscordRefused(f"{path}: {resp.status}")
            if resp.status == 404:
                return None
            resp.raise_for_status()
            return await resp.json()

    async def user(self, token: str) -> tuple[int, str]:
        """The user's id and the name to greet them with."""
        body = await self._get("/users/@me", f"Bearer {token}")
        return int(body["id"]), str(body.get("global_name") or body["username"])

    async def guilds(self, token: str) -> list[UserGuild]:
        body = await self._get("/users/@me/guilds", f"Bearer {token}")
        out = []
        for g in body or []:
            perms = int(g.get("permissions") or 0)
            manages = bool(g.get("owner")) or bool(perms & (MANAGE_GUILD | ADMINISTRATOR))
            out.append(UserGuild(int(g["id"]), str(g["name"]), manages))
        return out

    async def member_roles(self, guild_id: int, user_id: int) -> list[int]:
        """The member's roles today, read with the bot token: none without one, and none
        when Discord refuses the bot (a bad token, a guild it left). That refusal is the
        bot's, not the person's: raising it would end their session and, as the login
        goes straight back to the same check, send them round in a loop."""
        if not self._bot_token:
            return []
        path = f"/guilds/{guild_id}/members/{user_id}"
        try:
            body = await self._get(path, f"Bot {self._bot_token}")
        except DiscordRefused as refused:
            log.warning("the bot cannot read a member's roles (%s)", refused)
            return []
        return [int(r) for r in (body or {}).get("roles", [])]
