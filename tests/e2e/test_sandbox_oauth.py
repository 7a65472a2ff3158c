"""The sandbox's OAuth2 refuses what Discord refuses: an unregistered redirect URI, a
wrong client secret, an unknown or reused code, a redirect URI other than the code's, a
Bearer token that is unknown or lacks the scope; and answers /users/@me/guilds with the
user's guilds and their permissions there."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import aiohttp
import pytest

from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
REDIRECT = "http://127.0.0.1:9/auth/callback"


async def authorize(
    sb: Sandbox, http: aiohttp.ClientSession, **extra: str
) -> aiohttp.ClientResponse:
    query = {
        "response_type": "code",
        "client_id": str(sb.application_id),
        "redirect_uri": REDIRECT,
        "scope": "identify guilds",
        "state": "s1",
        **extra,
    }
    return await http.get(f"{sb.authorize_url}?{urlencode(query)}", allow_redirects=False)


async def token(sb: Sandbox, http: aiohttp.ClientSession, **form: str) -> tuple[int, dict]:
    async with http.post(f"{sb.api_base}/oauth2/token", data=form) as resp:
        return resp.status, await resp.json()


async def test_the_code_flow_and_its_refusals(sandbox: Sandbox) -> None:
    sb = sandbox
    town = build_town(sb)
    client_id, secret = sb.oauth_client(REDIRECT)
    async with aiohttp.ClientSession() as http:
        assert (await authorize(sb, http, redirect_uri="http://evil.example/cb")).status == 400
        assert (await authorize(sb, http)).status == 401  # nobody logged in
        sb.oauth_login_as(town.admin)
        resp = await authorize(sb, http)
        assert resp.status == 302
        location = urlparse(resp.headers["Location"])
        params = parse_qs(location.query)
        assert params["state"] == ["s1"]
        code = params["code"][0]
        base = {"grant_type": "authorization_code", "client_id": str(client_id)}
        status, body = await token(
            sb, http, **base, code=code, redirect_uri=REDIRECT, client_secret="nope"
        )
        assert (status, body["error"]) == (401, "invalid_client")
        wrong_uri = {
            "code": code,
            "redirect_uri": "http://127.0.0.1:9/other",
            "client_secret": secret,
        }
        status, body = await token(sb, http, **base, **wrong_uri)
        assert (status, body["error"]) == (400, "invalid_grant")
        # That attempt used the code up, as Discord does: a new one is needed.
        code = parse_qs(urlparse((await authorize(sb, http)).headers["Location"]).query)["code"][0]
        good = {"code": code, "redirect_uri": REDIRECT, "client_secret": secret}
        status, body = await token(sb, http, **base, **good)
        assert status == 200 and body["token_type"] == "Bearer"
        status, again = await token(sb, http, **base, **good)
        assert (status, again["error"]) == (400, "invalid_grant")
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        async with http.get(f"{sb.api_base}/users/@me", headers=bearer) as resp:
            assert (await resp.json())["id"] == str(town.admin.user.id)
        async with http.get(f"{sb.api_base}/users/@me/guilds", headers=bearer) as resp:
            guilds = await resp.json()
        assert [g["id"] for g in guilds] == [str(town.guild.id)]
        assert int(guilds[0]["permissions"]) & (1 << 5)  # Manage Server, through Staff
        bad = {"Authorization": "Bearer forged"}
        async with http.get(f"{sb.api_base}/users/@me/guilds", headers=bad) as resp:
            assert resp.status == 401
        async with http.get(f"{sb.api_base}/guilds/{town.guild.id}", headers=bearer) as resp:
            assert resp.status == 401  # a Bearer token is not a bot token
