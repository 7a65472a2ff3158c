"""Run a real discord.py client (a plain ``Client``/``Bot`` or Foyer's ``FoyerBot``)
against a ``Sandbox``.

The client runs as a task; ``__aenter__`` waits for ``on_ready`` and ``__aexit__`` closes
the client and *awaits* the task, so a parser error escaping ``start()`` fails the test
instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import discord
import yarl
from discord.gateway import DiscordWebSocket

from discord_sandbox.api import Sandbox

from .scenario import Town

C = TypeVar("C", bound=discord.Client)


def point_discord_at(sandbox: Sandbox) -> None:
    """Redirect discord.py's REST base and default gateway to ``sandbox`` (process-wide)."""
    discord.http.Route.BASE = sandbox.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sandbox.gateway_url)


async def _no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
    """Skip discord.py's 5 s sleep before a re-IDENTIFY (no shared identify limit here)."""
    del shard_id, initial


class RunningClient(Generic[C]):
    """Async context manager: start ``client`` against ``sandbox``, stop it cleanly."""

    def __init__(self, sandbox: Sandbox, client: C, *, ready_timeout: float = 10.0) -> None:
        self.sandbox = sandbox
        self.client = client
        self.ready_timeout = ready_timeout
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> C:
        point_discord_at(self.sandbox)
        self.client.before_identify_hook = _no_identify_delay  # type: ignore[method-assign]
        self.task = asyncio.create_task(self.client.start(self.sandbox.token))
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {self.task, ready}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if self.task in done:
                await self.task  # re-raise the client's error
                raise RuntimeError("the client stopped before it was ready")
            await self._stop()
            raise TimeoutError(f"the client was not ready within {self.ready_timeout}s")
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self._stop()

    async def _stop(self) -> None:
        await self.client.close()
        if self.task is not None:
            await self.task  # surfaces errors raised inside the client


async def recovered(bot: Any, count: int = 1, *, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """Wait until ``bot`` finished ``count`` shard gap recoveries since it started.

    Recovery runs in a task of its own after READY, so "ready" and "no REST call for a
    moment" do not mean the gap is filled: a test of what a restart recovers waits for this.
    """
    tracking = bot.get_cog("Tracking")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while tracking.recoveries < count:
        if loop.time() > deadline:
            raise TimeoutError(f"{count} gap recoveries not finished within {timeout}s")
        await asyncio.sleep(0.02)


@dataclass
class FoyerEnv:
    """What the ``foyer`` test fixture yields: the sandbox, the running bot, the guild."""

    sb: Sandbox
    bot: Any
    town: Town


@contextlib.asynccontextmanager
async def running_foyer(
    sandbox: Sandbox,
    *,
    database_url: str,
    clock: Any = None,
    heartbeat_file: Any = None,
    ready_timeout: float = 15.0,
    wait_for_sync: bool = True,
    **settings: Any,
) -> AsyncIterator[Any]:
    """Run the real ``FoyerBot`` against ``sandbox`` on ``database_url``.

    Yields once the bot is ready and (``wait_for_sync``) has synced its commands, so a
    test can ``invoke`` straight away.
    """
    import tempfile
    from pathlib import Path

    from pydantic import SecretStr

    from bot.app import FoyerBot  # imported late: the sandbox itself must not need the app
    from bot.config import Settings

    heartbeat = heartbeat_file or Path(tempfile.mkdtemp(prefix="foyer-hb-")) / "heartbeat"
    config = Settings(
        discord_token=SecretStr(sandbox.token),
        discord_api_base=sandbox.api_base,
        discord_gateway_url=sandbox.gateway_url,
        database_url=database_url,
        heartbeat_file=heartbeat,
        **settings,
    )
    bot = FoyerBot(config, clock=clock, guild_ready_timeout=0.05)
    async with RunningClient(sandbox, bot, ready_timeout=ready_timeout) as running:
        if wait_for_sync:
            route = (
                "/applications/{application_id}/guilds/{guild_id}/commands"
                if config.dev_guild_id
                else "/applications/{application_id}/commands"
            )
            try:
                await sandbox.wait_for_call("PUT", route, timeout=ready_timeout)
            except TimeoutError:
                raise TimeoutError(
                    "FoyerBot did not sync its commands: a database reused from an earlier "
                    "run remembers the last sync (bot_state command_tree_hash); this "
                    "sandbox is a new Discord with no commands. Use a fresh database."
                ) from None
        await sandbox.wait_for_bot_idle()
        yield running
