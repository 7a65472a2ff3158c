"""`/buddy`: members volunteer as buddies for newcomers; admins set it up and read counts.

Thin adapter: options, the admin check on `setup` and `status`, the answer. The rules are
in `bot.buddies.service`, the offer, the buttons and the thread posts in
`bot.buddies.discord_io`, the reminder and re-offer round in `bot.buddies.job`. The offer
reaches welcome threads through the welcome's hook, wired in `bot.app`.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.app import FoyerBot
from bot.buddies import job, render
from bot.buddies.discord_io import COG_NAME, DYNAMIC_ITEMS, BuddyDiscord
from bot.buddies.service import BuddyService
from bot.checks import admin_only, bot_can_post
from bot.db.models.peers import MAX_CAPACITY, MIN_CAPACITY
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language

Capacity = app_commands.Range[int, MIN_CAPACITY, MAX_CAPACITY]


class BuddyCog(
    commands.GroupCog,
    name=COG_NAME,
    group_name=cmd("cmd.buddy.name"),
    group_description=cmd("cmd.buddy.description"),
):
    """Holds the `BuddyDiscord` the buttons and the welcome hook reach."""

    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.service = BuddyService(bot.db, bot.clock)
        self.io = BuddyDiscord(self.service, bot, bot.guild_settings)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.service.start()
        self.round.start()

    async def cog_unload(self) -> None:
        self.round.cancel()
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @tasks.loop(minutes=job.CHECK_MINUTES)
    async def round(self) -> None:
        await job.buddy_round(self.io)

    @round.before_loop
    async def _before_round(self) -> None:
        await self.bot.wait_until_ready()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is not None and message.channel.id in self.service.watched:
            await self.service.on_message(
                message.channel.id, message.author.id, self.bot.clock.now()
            )

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        ended = await self.service.member_left(payload.guild_id, payload.user.id)
        if ended:
            await self.io.replace(payload.guild_id)

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        await self.service.role_deleted(role.guild.id, role.id)

    # -- members -----------------------------------------------------------------------------
    @app_commands.command(
        name=cmd("cmd.buddy.join.name"), description=cmd("cmd.buddy.join.description")
    )
    @app_commands.guild_only()
    @app_commands.rename(
        capacity=cmd("cmd.buddy.opt.capacity"),
        topic=cmd("cmd.buddy.opt.topic"),
        topic_2=cmd("cmd.buddy.opt.topic_2"),
    )
    @app_commands.describe(
        capacity=cmd("cmd.buddy.opt.capacity.description"),
        topic=cmd("cmd.buddy.opt.topic.description"),
        topic_2=cmd("cmd.buddy.opt.topic_2.description"),
    )
    async def join(
        self,
        interaction: discord.Interaction,
        capacity: Capacity | None = None,
        topic: discord.Role | None = None,
        topic_2: discord.Role | None = None,
    ) -> None:
        topics = {r.id for r in (topic, topic_2) if r is not None}
        text = await self.io.volunteer(interaction, capacity, topics)
        await self.bot.reply_ephemeral(interaction, text)

    @app_commands.command(
        name=cmd("cmd.buddy.pause.name"), description=cmd("cmd.buddy.pause.description")
    )
    @app_commands.guild_only()
    async def pause(self, interaction: discord.Interaction) -> None:
        guild_id = self._guild_id(interaction)
        await self.service.pause(guild_id, interaction.user.id)
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(interaction, t("buddies.paused", lang))

    @app_commands.command(
        name=cmd("cmd.buddy.leave.name"), description=cmd("cmd.buddy.leave.description")
    )
    @app_commands.guild_only()
    async def leave(self, interaction: discord.Interaction) -> None:
        guild_id = self._guild_id(interaction)
        ended = await self.service.leave(guild_id, interaction.user.id)
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(interaction, t("buddies.left", lang))
        if ended:
            await self.io.replace(guild_id)

    @app_commands.command(
        name=cmd("cmd.buddy.me.name"), description=cmd("cmd.buddy.me.description")
    )
    @app_commands.guild_only()
    async def me(self, interaction: discord.Interaction) -> None:
        mine = await self.service.me(self._guild_id(interaction), interaction.user.id)
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(interaction, render.me_text(mine, lang))

    # -- admins ------------------------------------------------------------------------------
    @app_commands.command(
        name=cmd("cmd.buddy.setup.name"), description=cmd("cmd.buddy.setup.description")
    )
    @admin_only()
    @app_commands.rename(
        enabled=cmd("cmd.buddy.opt.enabled"),
        channel=cmd("cmd.buddy.opt.channel"),
        topic_1=cmd("cmd.buddy.opt.topic_1"),
        topic_2=cmd("cmd.buddy.opt.topic_2"),
        topic_3=cmd("cmd.buddy.opt.topic_3"),
        staff_allowed=cmd("cmd.buddy.opt.staff_allowed"),
    )
    @app_commands.describe(
        enabled=cmd("cmd.buddy.opt.enabled.description"),
        channel=cmd("cmd.buddy.opt.channel.description"),
        topic_1=cmd("cmd.buddy.opt.topic_1.description"),
        topic_2=cmd("cmd.buddy.opt.topic_2.description"),
        topic_3=cmd("cmd.buddy.opt.topic_3.description"),
        staff_allowed=cmd("cmd.buddy.opt.staff_allowed.description"),
    )
    async def setup_(
        self,
        interaction: discord.Interaction,
        enabled: bool | None = None,
        channel: discord.TextChannel | None = None,
        topic_1: discord.Role | None = None,
        topic_2: discord.Role | None = None,
        topic_3: discord.Role | None = None,
        staff_allowed: bool | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        lang = await interaction_language(interaction)
        if channel is not None and not bot_can_post(channel):
            raise FoyerError("buddies.cannot_post", channel=channel.mention)
        roles = [r for r in (topic_1, topic_2, topic_3) if r is not None]
        if any(guild.get_role(r.id) is None for r in roles):  # deleted since it was offered
            raise FoyerError("errors.bad_option", value=next(r.mention for r in roles))
        message = await self.io.post_call(channel, lang) if channel is not None else None
        cfg = await self.service.configure(
            guild.id,
            actor_id=interaction.user.id,
            enabled=enabled,
            channel_id=channel.id if channel else None,
            topic_role_ids={r.id for r in roles} if roles else None,
            allow_staff=staff_allowed,
        )
        if message is not None:
            await self.service.set_post(guild.id, message.id)
        topics = await self.service.topic_roles(guild.id)
        await self.bot.reply_ephemeral(interaction, render.setup_summary(cfg, topics, lang))

    @app_commands.command(
        name=cmd("cmd.buddy.status.name"), description=cmd("cmd.buddy.status.description")
    )
    @admin_only()
    async def status(self, interaction: discord.Interaction) -> None:
        status = await self.service.status(self._guild_id(interaction))
        lang = await interaction_language(interaction)
        await self.bot.reply_ephemeral(interaction, render.status_text(status, lang))

    @staticmethod
    def _guild_id(interaction: discord.Interaction) -> int:
        if interaction.guild_id is None:
            raise FoyerError("errors.guild_only")
        return interaction.guild_id


async def setup(bot: FoyerBot) -> None:
    await bot.add_cog(BuddyCog(bot))
