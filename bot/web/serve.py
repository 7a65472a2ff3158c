"""`foyer web`: serve the dashboard on WEB_HOST:WEB_PORT until SIGTERM or Ctrl+C."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from aiohttp import web

from bot.config import load_settings
from bot.db import Database
from bot.web.app import CALLBACK_PATH, create_app

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="defaults to WEB_HOST (127.0.0.1)")
    parser.add_argument("--port", type=int, help="defaults to WEB_PORT (8080)")


async def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    client_id, client_secret, key = settings.web_secrets()
    db = Database.from_url(settings.database_url)
    bot_token = settings.discord_token.get_secret_value() if settings.discord_token else None
    app = create_app(
        db=db,
        base_url=settings.web_base_url,
        client_id=client_id,
        client_secret=client_secret,
        session_key=key,
        session_hours=settings.web_session_hours,
        api_base=settings.discord_api_base,
        authorize_url=settings.discord_oauth_authorize_url,
        bot_token=bot_token,
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, port = args.host or settings.web_host, args.port or settings.web_port
    await web.TCPSite(runner, host, port).start()
    log.info(
        "dashboard on http://%s:%d (OAuth2 redirect URI: %s%s)",
        host,
        port,
        settings.web_base_url.rstrip("/"),
        CALLBACK_PATH,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await db.close()
    return 0
