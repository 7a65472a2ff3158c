"""``foyer sandbox``: serve the emulator on a fixed port for manual exploration.

Point ``foyer run`` at it with the two printed settings. The token is printed too, since
the sandbox checks it like Discord does.
"""

from __future__ import annotations

import argparse
import asyncio

from discord_sandbox.api import Sandbox

from .scenario import build_town

#: The help line of this `foyer` subcommand (plugged in by pyproject.toml's entry points).
HELP = "serve a local Discord to point `foyer run` at"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``foyer sandbox`` options."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind (default: 8765)")
    parser.add_argument(
        "--token",
        default="sandbox-token",
        help="bot token the sandbox accepts (default: sandbox-token)",
    )
    parser.add_argument(
        "--language",
        choices=["fr", "en"],
        default="en",
        help="locale of the sample server (default: en)",
    )


async def run(args: argparse.Namespace, *, stop: asyncio.Event | None = None) -> int:
    """Serve until interrupted (or until ``stop`` is set, for tests)."""
    sb = Sandbox(host=args.host, port=args.port, token=args.token, bot_name="Foyer")
    await sb.start()
    town = build_town(sb, "Atelier", locale=args.language, members=5)
    print(f"DISCORD_API_BASE={sb.api_base}", flush=True)
    print(f"DISCORD_GATEWAY_URL={sb.gateway_url}", flush=True)
    print(f"DISCORD_TOKEN={sb.token}", flush=True)
    print(f"# sample server '{town.guild.name}' (id {town.guild.id}); Ctrl+C to stop", flush=True)
    try:  # Ctrl+C cancels this task: the sandbox still stops cleanly
        await (stop or asyncio.Event()).wait()
    finally:
        await sb.stop()
    return 0
