"""FoyerBot: builds the services, loads the cogs, syncs commands when they change, shuts
down cleanly."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pkgutil
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from yarl import URL

import cogs
from bot.access import TeamAccess
from bot.clock import Clock, SystemClock
from bot.config import DISCORD_GATEWAY_URL, Settings
from bot.db import Database
from bot.db.migrate import upgrade
from bot.db.models import BotState
from bot.errors import FoyerError
from bot.gc_tuning import tune_garbage_collector
from bot.guilds import GuildSettingsService
from bot.i18n import FoyerTranslator, remember_commands, t
from bot.interaction_language import interaction_language
from bot.recording import Recorder
from bot.recording.journal import Journal
from bot.scheduling import Scheduler
from bot.user_input import check_declared_options

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 30.0


def point_client_at(api_base: str, gateway_url: str) -> None:
    """Send every REST call and gateway connection of discord.py to the configured server.

    discord.py reads these class attributes whenever it builds a route or connects, so
    setting them before `start()` redirects the whole client (see docs/sandbox.md).
    """
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = URL(gateway_url)


def _keep_gateway(
    fetch: Callable[[], Awaitable[tuple[int, str, Any]]], gateway_url: str
) -> Callable[[], Awaitable[tuple[int, str, Any]]]:
    """Wrap `HTTPClient.get_bot_gateway` so a configured gateway wins.

    Without SHARD_COUNT, discord.py asks `GET /gateway/bot` for the shard count and connects
    to the URL that answer names, not to `DEFAULT_GATEWAY`.
    """

    async def get_bot_gateway() -> tuple[int, str, Any]:
        shards, _url, limits = await fetch()
        return shards, gateway_url, limits

    return get_bot_gateway


def foyer_intents() -> discord.Intents:
    """Members for joins and leaves; never message content: Foyer needs metadata only."""
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = False
    intents.presences = False
    return intents


class FoyerTree(app_commands.CommandTree["FoyerBot"]):
    """Resolves the guild's language once per command; answers every command error
    ephemerally, in that language."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        lang = await interaction_language(interaction)
        if interaction.type is discord.InteractionType.application_command:
            # Anything may reach the bot through the API: options as each command declared them.
            check_declared_options(interaction.command, interaction.namespace, lang)
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        bot = interaction.client
        assert isinstance(bot, FoyerBot)
        lang = await interaction_language(interaction)
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(cause, FoyerError):
            text = cause.render(lang)
        elif isinstance(cause, app_commands.BotMissingPermissions):
            text = t(
                "errors.bot_missing_permissions", lang, perms=", ".join(cause.missing_permissions)
            )
        elif isinstance(cause, discord.Forbidden):
            text = t("errors.discord_forbidden", lang)
        elif isinstance(cause, app_commands.TransformerError):
            # Typically a channel or role the bot cannot see, so it is not in its cache.
            value = getattr(cause.value, "mention", None) or str(cause.value)[:100]
            text = t("errors.bad_option", lang, value=value)
        elif isinstance(cause, app_commands.CheckFailure):
            text = t("errors.not_admin", lang)
        else:
            log.error(
                "command %s failed",
                interaction.command.qualified_name if interaction.command else "?",
                exc_info=cause,
                extra={"guild_id": interaction.guild_id},
            )
            text = t("errors.unexpected", lang)
        await bot.reply_ephemeral(interaction, text)


class FoyerBot(commands.AutoShardedBot):
    """The bot. Services live here; cogs in `cogs/` are thin adapters over them."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, **options: Any) -> None:
        point_client_at(settings.discord_api_base, settings.discord_gateway_url)
        if settings.shard_ids is not None:
            options["shard_ids"] = settings.shard_ids
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=foyer_intents(),
            tree_cls=FoyerTree,
            shard_count=settings.shard_count,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **options,
        )
        if settings.discord_gateway_url != DISCORD_GATEWAY_URL:
            self.http.get_bot_gateway = _keep_gateway(  # type: ignore[method-assign,assignment]
                self.http.get_bot_gateway, settings.discord_gateway_url
            )
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.db = Database.from_url(settings.database_url)
        self.guild_settings = GuildSettingsService(self.db, self.clock)
        self.team_access = TeamAccess(self.db)
        self.recorder = Recorder(
            self.db, journal=Journal(settings.journal_path, fsync=settings.journal_fsync)
        )
        # Cogs register their job kinds in `setup`; the scheduler starts once ready.
        # APScheduler drives it on the real clock only: tests move a ManualClock and call
        # `scheduler.run_due()` themselves.
        self.scheduler = Scheduler(
            self.db,
            self.clock,
            shard_count=settings.shard_count or 1,
            shard_ids=settings.shard_ids,
            drive=isinstance(self.clock, SystemClock),
        )
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._closing = False

    async def setup_hook(self) -> None:
        await upgrade(self.db.engine)
        await self.recorder.load_opt_outs()
        # What a killed run received but had not written, before the gateway connects.
        await self.recorder.recover_journal()
        self.recorder.start()
        await self.tree.set_translator(FoyerTranslator())
        for name in extension_names():
            await self.load_extension(name)
        self.wire_features()
        # A heartbeat left by the previous run must not vouch for this one before it is ready.
        self.settings.heartbeat_file.unlink(missing_ok=True)
        self._heartbeat_task = asyncio.create_task(self._heartbeat(), name="foyer-heartbeat")

    async def on_ready(self) -> None:
        tune_garbage_collector()
        for guild in self.guilds:
            await self.guild_settings.ensure(guild.id, str(guild.preferred_locale))
        try:
            await self.sync_commands_if_changed()
        except discord.HTTPException as exc:
            # The commands Discord has stay; the next start tries again (no retry loop).
            # Scheduled posts must not wait on this, so the start goes on.
            log.error("command sync refused by Discord: %s %s", exc.status, exc.text)
        await self.scheduler.start()
        log.info("ready as %s in %d guilds", self.user, len(self.guilds))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.guild_settings.ensure(guild.id, str(guild.preferred_locale))
        log.info("joined guild", extra={"guild_id": guild.id})

    async def on_raw_app_command_permissions_update(
        self, payload: discord.RawAppCommandPermissionsUpdateEvent
    ) -> None:
        # An admin changed Foyer's overrides in Integrations: the admin check reads them anew.
        self.team_access.forget_overrides(payload.guild.id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.guild_settings.mark_left(guild.id, self.clock.now())
        log.info(
            "removed from guild; its data is scheduled for deletion", extra={"guild_id": guild.id}
        )

    def wire_features(self) -> None:
        """Connect features that work together without importing each other: a newcomer's
        welcome thread offers a buddy (bot.welcome's `after_welcome` hook)."""
        welcome, buddies = self.get_cog("WelcomeCog"), self.get_cog("BuddyCog")
        if welcome is not None and buddies is not None:
            welcome.service.after_welcome.append(buddies.io.offer)  # type: ignore[attr-defined]

    async def sync_commands_if_changed(self) -> bool:
        """Sync the command tree only when its payload differs from the last synced one.

        Discord rate-limits command upserts tightly; syncing on every boot is how bots get
        their commands stuck. The hash covers translations too.
        """
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        translator = self.tree.translator
        commands_ = self.tree.get_commands(guild=guild)
        payload = [
            await c.get_translated_payload(self.tree, translator)
            if translator
            else c.to_dict(self.tree)
            for c in commands_
        ]
        # Texts name commands by their localized name at once, by mention once ids are known.
        remember_commands(payload)
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"command_tree_hash:{guild.id if guild else 'global'}"
        async with self.db.session() as session:
            row = await session.get(BotState, key)
            if row is not None and row.value == digest:
                log.info("command tree unchanged; not syncing")
                # One read, not an upsert: the ids texts need for command mentions.
                fetched = await self.tree.fetch_commands(guild=guild)
                remember_commands(c.to_dict() for c in fetched)
                return False
        synced = await self.tree.sync(guild=guild)
        remember_commands(c.to_dict() for c in synced)
        async with self.db.session() as session:
            await session.merge(BotState(key=key, value=digest))
        log.info("synced %d commands to %s", len(payload), "guild" if guild else "global")
        return True

    async def reply_ephemeral(
        self, interaction: discord.Interaction, text: str, **kwargs: Any
    ) -> None:
        """Answer or follow up, whichever the interaction still allows."""
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(text, ephemeral=True, **kwargs)

    async def _heartbeat(self) -> None:
        """Touch the heartbeat file while connected, so `foyer status` (the Docker
        HEALTHCHECK) can tell a live bot from one that lost the gateway."""
        path = self.settings.heartbeat_file
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.wait_until_ready()  # the first beat as soon as ready, not 30 s later
        while not self.is_closed():
            if self.is_ready() and all(not s.is_closed() for s in self.shards.values()):
                path.write_text(str(time.time()))
            await asyncio.sleep(HEARTBEAT_INTERVAL)

    async def close(self) -> None:
        """Stop taking work, let cogs flush (their `cog_unload`), then close the database."""
        if self._closing:
            return
        self._closing = True
        log.info("shutting down")
        await self.scheduler.shutdown()
        for name in list(self.extensions):
            await self.unload_extension(name)
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
        await super().close()
        await self.recorder.close()
        await self.db.close()


def extension_names() -> list[str]:
    """Every public module or package in `cogs/`; `_private` ones are implementation details."""
    return [
        f"cogs.{info.name}"
        for info in pkgutil.iter_modules(cogs.__path__)
        if not info.name.startswith("_")
    ]
