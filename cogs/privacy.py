"""`/privacy`: every member's controls over their data, and the daily purge.

Not admin-gated: these are each member's rights. Every answer is ephemeral and in the
guild's language. The work is done by `bot.privacy.PrivacyService`.
"""

from __future__ import annotations

import gzip
import io
import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.app import FoyerBot
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language
from bot.privacy import GUILD_GRACE_PERIOD, PrivacyService
from bot.privacy.job import PURGE_EVERY_HOURS, DailyPurge
from bot.ui import ConfirmationView

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 60


@app_commands.guild_only()
class PrivacyCog(
    commands.GroupCog,
    group_name=cmd("cmd.privacy.name"),
    group_description=cmd("cmd.privacy.description"),
):
    """Thin adapter over `PrivacyService`; also runs the daily retention purge."""

    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.service = PrivacyService(bot.db, bot.clock, bot.recorder)
        self.purge = DailyPurge(self.service, bot.clock, bot.guild_settings)
        super().__init__()

    async def cog_load(self) -> None:
        self.daily_purge.start()

    async def cog_unload(self) -> None:
        self.daily_purge.cancel()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.guild is None:
            raise FoyerError("errors.guild_only")
        return True

    @tasks.loop(hours=PURGE_EVERY_HOURS)
    async def daily_purge(self) -> None:
        await self.purge.run({g.id for g in self.bot.guilds})

    @daily_purge.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    @daily_purge.error
    async def _purge_failed(self, error: BaseException) -> None:
        log.error("privacy purge failed; it runs again tomorrow", exc_info=error)

    @app_commands.command(
        name=cmd("cmd.privacy.optout.name"), description=cmd("cmd.privacy.optout.description")
    )
    async def optout(self, interaction: discord.Interaction) -> None:
        guild_id, lang = await self._context(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        changed = await self.service.opt_out(guild_id, interaction.user.id)
        key = "privacy.optout.done" if changed else "privacy.optout.already"
        await interaction.followup.send(t(key, lang), ephemeral=True)

    @app_commands.command(
        name=cmd("cmd.privacy.optin.name"), description=cmd("cmd.privacy.optin.description")
    )
    async def optin(self, interaction: discord.Interaction) -> None:
        guild_id, lang = await self._context(interaction)
        changed = await self.service.opt_in(guild_id, interaction.user.id)
        key = "privacy.optin.done" if changed else "privacy.optin.already"
        await interaction.response.send_message(t(key, lang), ephemeral=True)

    @app_commands.command(
        name=cmd("cmd.privacy.export.name"), description=cmd("cmd.privacy.export.description")
    )
    async def export(self, interaction: discord.Interaction) -> None:
        guild_id, lang = await self._context(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.service.export(guild_id, interaction.user.id, lang)
        name = f"foyer-data-{guild_id}.json"
        if len(data) > interaction.filesize_limit:
            # A year of a very active member can exceed the upload limit; JSON this
            # repetitive shrinks tenfold or more.
            data, name = gzip.compress(data), name + ".gz"
        file = discord.File(io.BytesIO(data), filename=name)
        await interaction.followup.send(t("privacy.export.ready", lang), file=file, ephemeral=True)

    @app_commands.command(
        name=cmd("cmd.privacy.forget.name"), description=cmd("cmd.privacy.forget.description")
    )
    async def forget(self, interaction: discord.Interaction) -> None:
        guild_id, lang = await self._context(interaction)
        member_id = interaction.user.id

        async def erase() -> str:
            touched = await self.service.forget(guild_id, member_id)
            return t("privacy.forget.done", lang, rows=sum(touched.values()))

        view = ConfirmationView(
            interaction,
            confirm_label=t("privacy.forget.button", lang),
            cancel_label=t("privacy.forget.cancel", lang),
            on_confirm=erase,
            cancelled=t("privacy.forget.cancelled", lang),
            timeout=CONFIRM_SECONDS,
            timed_out=t("privacy.forget.timeout", lang),
            not_yours=t("privacy.forget.not_yours", lang),
            slow=True,  # a big guild's erase may outlast Discord's 3 s
            custom_id_prefix="privacy:forget",
        )
        await view.ask(t("privacy.forget.confirm", lang, seconds=CONFIRM_SECONDS))

    @app_commands.command(
        name=cmd("cmd.privacy.policy.name"), description=cmd("cmd.privacy.policy.description")
    )
    async def policy(self, interaction: discord.Interaction) -> None:
        guild_id, lang = await self._context(interaction)
        settings = await self.bot.guild_settings.get(guild_id)
        text = t(
            "privacy.policy",
            lang,
            retention_days=settings.retention_days,
            grace_days=GUILD_GRACE_PERIOD.days,
        )
        await interaction.response.send_message(text, ephemeral=True)

    async def _context(self, interaction: discord.Interaction) -> tuple[int, str]:
        assert interaction.guild_id is not None
        return interaction.guild_id, await interaction_language(interaction)


async def setup(bot: FoyerBot) -> None:
    await bot.add_cog(PrivacyCog(bot))
