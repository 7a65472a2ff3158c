"""The `foyer` command line (also `python -m bot`).

Subcommands import their module only when chosen, so `foyer --help` stays fast and `foyer
report` does not pull in the Discord client.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging

log = logging.getLogger("foyer")

# name -> (module with add_arguments(parser) and async run(args) -> int, help text)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("bot.cli", "start the bot on Discord (needs DISCORD_TOKEN)"),
    "migrate": ("bot.cli", "upgrade the database schema to the latest version"),
    "status": ("bot.cli", "exit 0 if the running bot refreshed its heartbeat recently"),
    "report": ("bot.metrics.report", "print or export a guild's health figures"),
    "demo": ("bot.sandbox.demo", "replay weeks of a simulated community against a local Discord"),
    "sandbox": ("bot.sandbox.serve", "serve a local Discord to point `foyer run` at"),
}


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    import discord

    from bot.app import FoyerBot

    token = settings.token()
    bot = FoyerBot(settings)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Close through the bot so cogs flush buffered records before the database closes.
        loop.add_signal_handler(signum, lambda: asyncio.ensure_future(bot.close()))
    # The two refusals every first run meets, said in terms of what to change.
    try:
        async with bot:
            await bot.start(token)
    except discord.LoginFailure:
        raise ConfigError(
            "Discord refused DISCORD_TOKEN. Copy the bot token again (Developer Portal > "
            "your application > Bot > Reset Token) into DISCORD_TOKEN."
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise ConfigError(
            "Discord refused the Server Members intent. Turn on Server Members Intent "
            "(Developer Portal > your application > Bot > Privileged Gateway Intents), "
            "then start again. Foyer does not need Message Content."
        ) from None
    return 0


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db import create_engine
    from bot.db.migrate import current_revision, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    try:
        age = time.time() - float(settings.heartbeat_file.read_text())
    except (OSError, ValueError):
        print(f"no heartbeat at {settings.heartbeat_file}: the bot is not running or not ready")
        return 1
    if age > settings.heartbeat_max_age:
        print(f"heartbeat is {age:.0f} s old (limit {settings.heartbeat_max_age} s): gateway lost")
        return 1
    print(f"ok: heartbeat {age:.0f} s old")
    return 0


LOCAL: dict[str, Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int] | int]] = {
    "run": _run,
    "migrate": _migrate,
    "status": _status,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="foyer",
        description="Foyer: welcome threads, rituals, spotlights and honest health figures "
        "for a Discord community. Settings come from the environment or .env.",
    )
    parser.add_argument("--version", action="version", version=f"foyer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in SUBCOMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        if name not in LOCAL:  # the other modules declare their own options
            importlib.import_module(module).add_arguments(child)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        if args.command in LOCAL:
            result = LOCAL[args.command](args, settings)
            return asyncio.run(result) if asyncio.iscoroutine(result) else int(result)
        module = importlib.import_module(SUBCOMMANDS[args.command][0])
        return int(asyncio.run(module.run(args)))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
