"""The dashboard's Discord client: a refusal of the bot's own call is not the person's."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.web.discord_api import DiscordApi, DiscordRefused


async def _api(status: int) -> tuple[TestServer, aiohttp.ClientSession, DiscordApi]:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"message": "no", "code": 50001}, status=status)

    app = web.Application()
    app.router.add_get("/guilds/{guild}/members/{user}", answer)
    app.router.add_get("/users/@me/guilds", answer)
    server = TestServer(app)
    await server.start_server()
    http = aiohttp.ClientSession()
    api = DiscordApi(
        api_base=str(server.make_url("")).rstrip("/"),
        authorize_url="http://unused/authorize",
        client_id=1,
        client_secret="s",
        redirect_uri="http://unused/callback",
        bot_token="bot-token",
        session=http,
    )
    return server, http, api


async def test_the_bot_refused_reading_roles_means_no_roles_not_a_dead_session() -> None:
    server, http, api = await _api(403)
    try:
        assert await api.member_roles(1, 2) == []
        with pytest.raises(DiscordRefused):  # the person's own token refused: log in again
            await api.guilds("user-token")
    finally:
        await http.close()
        await server.close()
