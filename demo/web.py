"""`foyer demo --web`: after the replay, the simulated server and the dashboard stay up,
and the demo prints where to log in as its admin, with no Discord account: the sandbox's
OAuth2 approves for the admin at once."""

from __future__ import annotations

import asyncio
import secrets
import signal

from aiohttp import web

from bot.db import Database
from bot.web.app import CALLBACK_PATH, create_app
from demo.scenario import Town
from discord_sandbox import Sandbox


async def serve_until_stopped(sb: Sandbox, town: Town, database_url: str, port: int) -> None:
    """Serve the dashboard on 127.0.0.1:`port` beside the sandbox until Ctrl+C or SIGTERM."""
    base = f"http://127.0.0.1:{port}"
    client_id, client_secret = sb.oauth_client(base + CALLBACK_PATH)
    sb.oauth_login_as(town.admin)
    db = Database.from_url(database_url)
    app = create_app(
        db=db,
        base_url=base,
        client_id=client_id,
        client_secret=client_secret,
        session_key=secrets.token_bytes(32),
        api_base=sb.api_base,
        authorize_url=sb.authorize_url,
        bot_token=sb.token,
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(
        f"\nDashboard: open {base}/ and log in (you are {town.admin.user.username}, the "
        f"server's admin, in the local Discord). Ctrl+C to stop.",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await runner.cleanup()
        await db.close()
