"""`/setup`: the guild's language, time zone, staff roles, admin channel, limits and digest."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import change_managers, describe_managers
from bot.app import FoyerBot
from bot.checks import admin_only, bot_can_post
from bot.db.models import GuildSettings
from bot.errors import FoyerError
from bot.guilds import suggest_timezones
from bot.i18n import cmd, formatting, t
from bot.interaction_language import interaction_language
from bot.metrics import digest_render
from bot.metrics.digest_settings import DigestSettingsService
from bot.staff import member_is_staff
from bot.voice import render as voice_render
from bot.voice.service import VoiceService


@admin_only()
class SetupCog(
    commands.GroupCog,
    group_name=cmd("cmd.setup.name"),
    group_description=cmd("cmd.setup.description"),
):
    """Admin settings. Every value is validated before anything is written."""

    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.voice_service = VoiceService(bot.db, bot.guild_settings, bot.clock)
        self.digest_service = DigestSettingsService(bot.db, bot.guild_settings, bot.clock)
        super().__init__()

    @app_commands.command(
        name=cmd("cmd.setup.set.name"), description=cmd("cmd.setup.set.description")
    )
    @app_commands.rename(
        language=cmd("cmd.setup.opt.language"),
        timezone=cmd("cmd.setup.opt.timezone"),
        admin_channel=cmd("cmd.setup.opt.admin_channel"),
        retention_days=cmd("cmd.setup.opt.retention_days"),
        bot_posts_per_day=cmd("cmd.setup.opt.bot_posts_per_day"),
    )
    @app_commands.describe(
        language=cmd("cmd.setup.opt.language.description"),
        timezone=cmd("cmd.setup.opt.timezone.description"),
        admin_channel=cmd("cmd.setup.opt.admin_channel.description"),
        retention_days=cmd("cmd.setup.opt.retention_days.description"),
        bot_posts_per_day=cmd("cmd.setup.opt.bot_posts_per_day.description"),
    )
    @app_commands.choices(
        language=[
            app_commands.Choice(name="Français", value="fr"),
            app_commands.Choice(name="English", value="en"),
        ]
    )
    async def set_(
        self,
        interaction: discord.Interaction,
        language: str | None = None,
        timezone: str | None = None,
        admin_channel: discord.TextChannel | None = None,
        retention_days: int | None = None,
        bot_posts_per_day: int | None = None,
    ) -> None:
        assert interaction.guild is not None
        given = (language, timezone, admin_channel, retention_days, bot_posts_per_day)
        if all(value is None for value in given):
            raise FoyerError("setup.nothing_to_change")
        if admin_channel is not None:
            self._check_can_post(interaction, admin_channel)
        row = await self.bot.guild_settings.update(
            interaction.guild.id,
            language=language,
            timezone=timezone,
            admin_channel_id=admin_channel.id if admin_channel else None,
            retention_days=retention_days,
            posts_per_channel_per_day=bot_posts_per_day,
        )
        # Read again, not from the interaction: this command may have changed the language.
        lang = await self.bot.guild_settings.language(interaction.guild.id)
        await interaction.response.send_message(
            t("setup.saved", lang) + "\n" + describe(row, lang), ephemeral=True
        )

    @set_.autocomplete("timezone")
    async def _timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        lang = await interaction_language(interaction)
        return [app_commands.Choice(name=z, value=z) for z in suggest_timezones(current, lang)]

    @app_commands.command(
        name=cmd("cmd.setup.staff.name"), description=cmd("cmd.setup.staff.description")
    )
    @app_commands.rename(role=cmd("cmd.setup.opt.role"), action=cmd("cmd.setup.opt.action"))
    @app_commands.describe(
        role=cmd("cmd.setup.opt.role.description"),
        action=cmd("cmd.setup.opt.action.description"),
    )
    @app_commands.choices(
        action=[
            app_commands.Choice(name=cmd("cmd.setup.choice.add"), value="add"),
            app_commands.Choice(name=cmd("cmd.setup.choice.remove"), value="remove"),
        ]
    )
    async def staff(
        self, interaction: discord.Interaction, role: discord.Role, action: str = "add"
    ) -> None:
        assert interaction.guild is not None
        if role.is_default():
            raise FoyerError("setup.staff_everyone")
        current = [
            r.role_id for r in (await self.bot.guild_settings.get(interaction.guild.id)).staff_roles
        ]
        wanted = [*current, role.id] if action == "add" else [r for r in current if r != role.id]
        row = await self.bot.guild_settings.update(interaction.guild.id, staff_role_ids=wanted)
        # Every present member re-marked before answering: /health right after counts the
        # new staff as staff, without waiting for a restart's reconciliation.
        staff_roles = {r.role_id for r in row.staff_roles}
        await self.bot.recorder.set_staff_of_members(
            interaction.guild.id,
            {m.id: member_is_staff(m, staff_roles) for m in interaction.guild.members if not m.bot},
        )
        lang = await interaction_language(interaction)
        await interaction.response.send_message(
            t("setup.saved", lang) + "\n" + describe(row, lang), ephemeral=True
        )

    @app_commands.command(
        name=cmd("cmd.setup.show.name"), description=cmd("cmd.setup.show.description")
    )
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        row = await self.bot.guild_settings.get(interaction.guild.id)
        lang = await interaction_language(interaction)
        text = describe(row, lang) + "\n" + voice_render.summary(row, lang)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name=cmd("cmd.setup.voice.name"), description=cmd("cmd.setup.voice.description")
    )
    @app_commands.rename(**voice_render.VOICE_NAMES)
    @app_commands.describe(**voice_render.VOICE_DESCRIPTIONS)
    @app_commands.choices(register=voice_render.REGISTER_CHOICES)
    async def voice(
        self,
        interaction: discord.Interaction,
        register: str | None = None,
        inclusive: bool | None = None,
    ) -> None:
        """Without options: the current voice. Answered in the new voice."""
        assert interaction.guild is not None
        guild_id = interaction.guild.id
        done = await self.voice_service.set_voice(guild_id, register=register, inclusive=inclusive)
        lang = await self.bot.guild_settings.language(guild_id)
        row = await self.bot.guild_settings.get(guild_id)
        text = "\n".join([*(t(key, lang) for key in done), voice_render.summary(row, lang)])
        await self.bot.reply_ephemeral(interaction, text)

    @app_commands.command(
        name=cmd("cmd.setup.text.name"), description=cmd("cmd.setup.text.description")
    )
    @app_commands.rename(**voice_render.TEXT_NAMES)
    @app_commands.describe(**voice_render.TEXT_DESCRIPTIONS)
    @app_commands.choices(key=voice_render.TEXT_CHOICES)
    async def text(
        self,
        interaction: discord.Interaction,
        key: str,
        text: str | None = None,
        reset: bool = False,
    ) -> None:
        """Without `text`: a preview of what members read now. Each answer shows it."""
        assert interaction.guild is not None
        guild_id = interaction.guild.id
        done = await self.voice_service.edit_text(guild_id, key, text, reset=reset)
        lang = await self.bot.guild_settings.language(guild_id)
        preview = await self.voice_service.preview(
            guild_id, key, lang, member=interaction.user.mention
        )
        answer = [*(t(key, lang) for key in done), preview]
        await self.bot.reply_ephemeral(interaction, "\n\n".join(answer))

    @app_commands.command(
        name=cmd("cmd.setup.managers.name"), description=cmd("cmd.setup.managers.description")
    )
    @app_commands.rename(action=cmd("cmd.setup.opt.action"), role=cmd("cmd.setup.opt.manager_role"))
    @app_commands.describe(
        action=cmd("cmd.setup.opt.manager_action.description"),
        role=cmd("cmd.setup.opt.manager_role.description"),
    )
    @app_commands.choices(
        action=[
            app_commands.Choice(name=cmd("cmd.setup.choice.list"), value="list"),
            app_commands.Choice(name=cmd("cmd.setup.choice.add"), value="add"),
            app_commands.Choice(name=cmd("cmd.setup.choice.remove"), value="remove"),
        ]
    )
    async def managers(
        self,
        interaction: discord.Interaction,
        action: str = "list",
        role: discord.Role | None = None,
    ) -> None:
        """Team access (bot.access): who may use the admin commands and the dashboard."""
        assert interaction.guild is not None
        role_ids = await change_managers(
            self.bot.team_access, interaction.guild.id, action, role.id if role else None
        )
        lang = await interaction_language(interaction)
        text = describe_managers(role_ids, lang)
        if action != "list":
            text = t("setup.saved", lang) + "\n" + text
        await self.bot.reply_ephemeral(interaction, text)

    @app_commands.command(
        name=cmd("cmd.setup.digest.name"), description=cmd("cmd.setup.digest.description")
    )
    @app_commands.rename(**digest_render.OPTION_NAMES)
    @app_commands.describe(**digest_render.OPTION_DESCRIPTIONS)
    @app_commands.choices(day=digest_render.DAY_CHOICES)
    @app_commands.choices(format=digest_render.FORMAT_CHOICES)
    async def digest(
        self,
        interaction: discord.Interaction,
        enabled: bool | None = None,
        day: int | None = None,
        hour: app_commands.Range[int, 0, 23] | None = None,
        format: str | None = None,
    ) -> None:
        """Without options: the digest's settings and when the next one is posted."""
        assert interaction.guild is not None
        status = await self.digest_service.configure(
            interaction.guild.id, enabled=enabled, weekday=day, hour=hour, format=format
        )
        await self.bot.scheduler.rearm()
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(interaction, digest_render.status_text(status, lang))

    @staticmethod
    def _check_can_post(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        assert interaction.guild is not None
        if not bot_can_post(channel):
            raise FoyerError("setup.cannot_post", channel=channel.mention)


def describe(row: GuildSettings, lang: str) -> str:
    """The settings as an admin reads them."""
    staff = ", ".join(f"<@&{r.role_id}>" for r in row.staff_roles) or t("setup.staff_default", lang)
    return t(
        "setup.summary",
        lang,
        language=formatting.language_name(row.language, lang)
        if row.language
        else t("setup.language_auto", lang),
        timezone=row.timezone,
        admin_channel=f"<#{row.admin_channel_id}>"
        if row.admin_channel_id
        else t("setup.none", lang),
        staff=staff,
        retention_days=row.retention_days,
        budget=row.posts_per_channel_per_day,
    )


async def setup(bot: FoyerBot) -> None:
    await bot.add_cog(SetupCog(bot))
