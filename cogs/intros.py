"""`/intros`: members opt in to be introduced to another member now and then; admins set
the channel, the cadence and the prompt.

Thin adapter: options, the admin check on `setup`, the answer. The rules are in
`bot.intros.service`, the draw in `bot.intros.pairing`, the threads in
`bot.intros.discord_io`, the rounds (a scheduler job kind) in `bot.intros.job`.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import FoyerBot
from bot.checks import admin_only
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language
from bot.intros import render
from bot.intros.discord_io import COG_NAME, DYNAMIC_ITEMS, IntrosDiscord, can_open_threads
from bot.intros.job import JOB_PREFIX, IntrosRounds
from bot.intros.service import CADENCES, MAX_PROMPT_LENGTH, IntrosService
from bot.solicitation import SolicitationBudget

_CADENCES = [app_commands.Choice(name=cmd(f"intros.cadence.{w}"), value=w) for w in CADENCES]


class IntrosCog(
    commands.GroupCog,
    name=COG_NAME,
    group_name=cmd("cmd.intros.name"),
    group_description=cmd("cmd.intros.description"),
):
    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.service = IntrosService(bot.db, bot.clock)
        self.io = IntrosDiscord(self.service)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.service.start()

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.channel.id in self.service.watched and not message.author.bot:
            await self.service.on_message(
                message.channel.id, message.author.id, self.bot.clock.now()
            )

    @app_commands.command(
        name=cmd("cmd.intros.join.name"), description=cmd("cmd.intros.join.description")
    )
    @app_commands.guild_only()
    async def join(self, interaction: discord.Interaction) -> None:
        added = await self.service.join(self._guild_id(interaction), interaction.user.id)
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(
            interaction, t("intros.joined" if added else "intros.already_in", lang)
        )

    @app_commands.command(
        name=cmd("cmd.intros.leave.name"), description=cmd("cmd.intros.leave.description")
    )
    @app_commands.guild_only()
    async def leave(self, interaction: discord.Interaction) -> None:
        await self.service.leave(self._guild_id(interaction), interaction.user.id)
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(interaction, t("intros.left", lang))

    @app_commands.command(
        name=cmd("cmd.intros.setup.name"), description=cmd("cmd.intros.setup.description")
    )
    @admin_only()
    @app_commands.rename(
        channel=cmd("cmd.intros.opt.channel"),
        every=cmd("cmd.intros.opt.every"),
        prompt=cmd("cmd.intros.opt.prompt"),
        enabled=cmd("cmd.intros.opt.enabled"),
    )
    @app_commands.describe(
        channel=cmd("cmd.intros.opt.channel.description"),
        every=cmd("cmd.intros.opt.every.description"),
        prompt=cmd("cmd.intros.opt.prompt.description"),
        enabled=cmd("cmd.intros.opt.enabled.description"),
    )
    @app_commands.choices(every=_CADENCES)
    async def setup_(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        every: int | None = None,
        prompt: app_commands.Range[str, 1, MAX_PROMPT_LENGTH] | None = None,
        enabled: bool | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        lang = await interaction_language(interaction)
        if channel is not None and not can_open_threads(channel):
            raise FoyerError("intros.cannot_open_threads", channel=channel.mention)
        current = await self.service.config(guild.id)
        if current is None and channel is None:
            raise FoyerError("intros.channel_needed")
        moved = channel is not None and (current is None or current.channel_id != channel.id)
        message = await self.io.post_call(channel, lang) if moved and channel else None
        try:
            cfg = await self.service.configure(
                guild.id,
                actor_id=interaction.user.id,
                channel_id=channel.id if channel else None,
                cadence_weeks=every,
                prompt=prompt,
                enabled=enabled,
            )
        except FoyerError:
            if message is not None:  # nothing half-done: the call goes with the settings
                await message.delete()
            raise
        await self.bot.scheduler.rearm()
        members = await self.service.member_count(guild.id)
        await self.bot.reply_ephemeral(interaction, render.setup_summary(cfg, members, lang))

    @staticmethod
    def _guild_id(interaction: discord.Interaction) -> int:
        if interaction.guild_id is None:
            raise FoyerError("errors.guild_only")
        return interaction.guild_id


async def setup(bot: FoyerBot) -> None:
    cog = IntrosCog(bot)
    await bot.add_cog(cog)
    budget = SolicitationBudget(bot.db, bot.guild_settings)
    bot.scheduler.register(
        JOB_PREFIX, IntrosRounds(bot, io=cog.io, settings=bot.guild_settings, budget=budget)
    )
