"""`/privacy`: every member's controls over their data, and the daily purge.

Not admin-gated: these are each member's rights. Every answer is ephemeral and in the
guild's language. The work is done by `bot.privacy.PrivacyService`.
"""

from __future__ import annotations

import contextlib
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

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 60
PURGE_EVERY_HOURS = 24


class ForgetConfirmation(discord.ui.View):
    """The forget button: only the member who asked can press it; waiting it out erases
    nothing."""

    def __init__(self, service: PrivacyService, member_id: int, guild_id: int, lang: str) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self._service = service
        self._member_id = member_id
        self._guild_id = guild_id
        self._lang = lang
        self.origin: discord.Interaction | None = None
        self.confirm.label = t("privacy.forget.button", lang)
        self.cancel.label = t("privacy.forget.cancel", lang)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.user.id != self._member_id:
            await interaction.response.send_message(
                t("privacy.forget.not_yours", self._lang), ephemeral=True
            )
            return False
        return True

    @discord.ui.button(style=discord.ButtonStyle.danger, custom_id="privacy:forget:confirm")
    async def confirm(
        self, interaction: discord.Interaction, _: discord.ui.Button[ForgetConfirmation]
    ) -> None:
        self.stop()
        await interaction.response.defer()  # a big guild's erase may outlast the 3 s reply
        touched = await self._service.forget(self._guild_id, self._member_id)
        await interaction.edit_original_response(
            content=t("privacy.forget.done", self._lang, rows=sum(touched.values())), view=None
        )

    @discord.ui.button(style=discord.ButtonStyle.secondary, custom_id="privacy:forget:cancel")
    async def cancel(
        self, interaction: discord.Interaction, _: discord.ui.Button[ForgetConfirmation]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=t("privacy.forget.cancelled", self._lang), view=None
        )

    async def on_error(
        self,
        interaction: discord.Interaction,
        error: Exception,
        item: discord.ui.Item[ForgetConfirmation],
        /,
    ) -> None:
        log.error("forget failed", exc_info=error, extra={"guild_id": self._guild_id})
        text = t("errors.unexpected", self._lang)
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)

    async def on_timeout(self) -> None:
        if self.origin is None:
            return
        # The message may be gone or the token expired: nothing was erased either way.
        with contextlib.suppress(discord.HTTPException):
            await self.origin.edit_original_response(
                content=t("privacy.forget.timeout", self._lang), view=None
            )


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
        present = {g.id for g in self.bot.guilds}
        report = await self.service.purge_expired(self.bot.clock.now(), keep=present)
        for guild_id in report.deleted_guilds:
            self.bot.guild_settings.forget_cache(guild_id)
        log.info(
            "privacy purge: %d expired rows, %d guilds deleted (%d rows)",
            report.expired_rows,
            len(report.deleted_guilds),
            report.guild_rows,
        )

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
        view = ForgetConfirmation(self.service, interaction.user.id, guild_id, lang)
        view.origin = interaction
        await interaction.response.send_message(
            t("privacy.forget.confirm", lang, seconds=CONFIRM_SECONDS), view=view, ephemeral=True
        )

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
