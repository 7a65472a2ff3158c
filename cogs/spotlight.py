"""`/spotlight` (admins) and `/spotlight-optout` (members): thank members publicly.

Thin adapter: options, permission checks and answers. The rules are in
`bot.spotlight.service`, the pick and refuse buttons and the post in
`bot.spotlight.discord_io`, the weekly suggestion (a scheduler job kind) in
`bot.spotlight.job`, texts and embeds in `bot.spotlight.render`.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import FoyerBot
from bot.checks import admin_only, bot_can_post
from bot.db.models.recognition import SpotlightSource
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language
from bot.spotlight import render
from bot.spotlight.discord_io import COG_NAME, DYNAMIC_ITEMS, SpotlightPoster
from bot.spotlight.job import JOB_PREFIX, WeeklySuggestions
from bot.spotlight.service import NO_WEEKLY_SUGGESTION, SpotlightService

_DAYS = [app_commands.Choice(name=cmd(f"spotlight.day.{d}"), value=d) for d in range(7)]
_DAY_CHOICES = [
    *_DAYS,
    app_commands.Choice(name=cmd("spotlight.day.off"), value=NO_WEEKLY_SUGGESTION),
]


@admin_only()
class SpotlightCog(
    commands.GroupCog,
    name=COG_NAME,
    group_name=cmd("cmd.spotlight.name"),
    group_description=cmd("cmd.spotlight.description"),
):
    """Admin commands. Holds the `SpotlightPoster` the buttons and the modal reach."""

    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.service = SpotlightService(bot.db, bot.clock)
        self.poster = SpotlightPoster(self.service, bot.guild_settings)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @app_commands.command(
        name=cmd("cmd.spotlight.suggest.name"), description=cmd("cmd.spotlight.suggest.description")
    )
    async def suggest(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        lang = await interaction_language(interaction)
        embed, view = await self.poster.suggestion_message(interaction.guild, lang)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(
        name=cmd("cmd.spotlight.post.name"), description=cmd("cmd.spotlight.post.description")
    )
    @app_commands.rename(member=cmd("cmd.spotlight.opt.member"), note=cmd("cmd.spotlight.opt.note"))
    @app_commands.describe(
        member=cmd("cmd.spotlight.opt.member.description"),
        note=cmd("cmd.spotlight.opt.note.description"),
    )
    async def post_(
        self, interaction: discord.Interaction, member: discord.Member, note: str | None = None
    ) -> None:
        message = await self.poster.post(interaction, member.id, note, SpotlightSource.MANUAL)
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(interaction, render.posted_text(message, lang))

    @app_commands.command(
        name=cmd("cmd.spotlight.setup.name"), description=cmd("cmd.spotlight.setup.description")
    )
    @app_commands.rename(
        channel=cmd("cmd.spotlight.opt.channel"),
        cooldown_weeks=cmd("cmd.spotlight.opt.cooldown_weeks"),
        suggestion_day=cmd("cmd.spotlight.opt.suggestion_day"),
    )
    @app_commands.describe(
        channel=cmd("cmd.spotlight.opt.channel.description"),
        cooldown_weeks=cmd("cmd.spotlight.opt.cooldown_weeks.description"),
        suggestion_day=cmd("cmd.spotlight.opt.suggestion_day.description"),
    )
    @app_commands.choices(suggestion_day=_DAY_CHOICES)
    async def setup_(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        cooldown_weeks: int | None = None,
        suggestion_day: int | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        if channel is not None and not bot_can_post(channel, embeds=True):
            raise FoyerError("spotlight.cannot_post", channel=channel.mention)
        config = await self.service.configure(
            guild.id,
            channel_id=channel.id if channel else None,
            cooldown_weeks=cooldown_weeks,
            suggestion_weekday=suggestion_day,
        )
        await self.bot.scheduler.rearm()
        lang = await interaction_language(interaction)
        settings = await self.bot.guild_settings.get(guild.id)
        text = render.setup_summary(
            config, lang, admin_channel_missing=settings.admin_channel_id is None
        )
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name=cmd("cmd.spotlight.history.name"), description=cmd("cmd.spotlight.history.description")
    )
    async def history(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        lang = await interaction_language(interaction)
        rows = await self.service.history(interaction.guild.id)
        await interaction.response.send_message(
            embed=render.history_embed(rows, lang), ephemeral=True
        )


class SpotlightOptOutCog(commands.Cog):
    """`/spotlight-optout`: for every member, outside the admin group."""

    def __init__(self, bot: FoyerBot, service: SpotlightService) -> None:
        self.bot = bot
        self.service = service

    @app_commands.command(
        name=cmd("cmd.spotlight_optout.name"), description=cmd("cmd.spotlight_optout.description")
    )
    @app_commands.guild_only()
    @app_commands.rename(undo=cmd("cmd.spotlight_optout.opt.undo"))
    @app_commands.describe(undo=cmd("cmd.spotlight_optout.opt.undo.description"))
    async def optout(self, interaction: discord.Interaction, undo: bool = False) -> None:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise FoyerError("errors.guild_only")
        lang = await interaction_language(interaction)
        if undo:
            await self.service.allow(guild_id, interaction.user.id)
            await self.bot.reply_ephemeral(interaction, t("spotlight.refuse.undone", lang))
        else:
            await self.service.refuse(guild_id, interaction.user.id)
            await self.bot.reply_ephemeral(interaction, t("spotlight.refuse.done", lang))


async def setup(bot: FoyerBot) -> None:
    cog = SpotlightCog(bot)
    await bot.add_cog(cog)
    await bot.add_cog(SpotlightOptOutCog(bot, cog.service))
    bot.scheduler.register(
        JOB_PREFIX,
        WeeklySuggestions(bot, service=cog.service, settings=bot.guild_settings, poster=cog.poster),
    )
