"""The `foyer` command line (also `python -m bot`).

The product's subcommands are listed here; `foyer demo` and `foyer sandbox` live above the
bot (the `demo` package) and plug in through the `foyer.commands` entry points, so this
module never imports them. A plugged-in module gives its help text as `HELP`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.metadata
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
    "web": ("bot.web.serve", "serve the web dashboard (needs the OAuth2 client settings)"),
}
#: The entry-point group where packages above the bot declare their `foyer` subcommands.
PLUGGED_COMMANDS = "foyer.commands"


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
    for name, plugged in sorted(_plugged_commands().items()):
        help_text = plugged.HELP
        plugged.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def _plugged_commands() -> dict[str, Any]:
    """Return the modules of the subcommands other packages declare (`foyer.commands`).

    A declared module that is not there (the Docker image ships the bot without the demo)
    is left out instead of breaking every command.
    """
    found: dict[str, Any] = {}
    for ep in importlib.metadata.entry_points(group=PLUGGED_COMMANDS):
        if ep.name in SUBCOMMANDS:
            continue
        try:
            found[ep.name] = ep.load()
        except ModuleNotFoundError as exc:
            if exc.name is None or not ep.value.startswith(exc.name):
                raise  # the module is there but one of its own imports is missing
    return found


def _command_module(name: str) -> Any:
    """Return the module that runs subcommand ``name``."""
    if name in SUBCOMMANDS:
        return importlib.import_module(SUBCOMMANDS[name][0])
    return _plugged_commands()[name]


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
        return int(asyncio.run(_command_module(args.command).run(args)))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
