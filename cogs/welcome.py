"""`/welcome` (admins) and the listeners behind welcome threads: options, the admin check,
the answer. The rules are in bot/welcome/service.py, the texts in render.py, the calls to
Discord in discord_io.py, the nudge loop's work in job.py."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.app import FoyerBot
from bot.checks import admin_only
from bot.db.models.activity import ActorRole
from bot.db.models.welcome import (
    DEFAULT_AUTO_ARCHIVE_MINUTES,
    DEFAULT_BURST_THRESHOLD,
    DEFAULT_NUDGE_DELAY_MINUTES,
    ThreadKind,
)
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.interaction_language import interaction_language
from bot.recording.classify import role_of
from bot.welcome import job, render
from bot.welcome.config import normalize_template, validate_template
from bot.welcome.discord_io import DiscordWelcome
from bot.welcome.service import WelcomeService


@admin_only()
class WelcomeCog(
    commands.GroupCog,
    group_name=cmd("cmd.welcome.name"),
    group_description=cmd("cmd.welcome.description"),
):
    """Admin commands over `WelcomeService`, and the events it needs."""

    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.service = WelcomeService(
            DiscordWelcome(bot, bot.clock),
            bot.db,
            bot.clock,
            bot.guild_settings,
            recorder=lambda: getattr(bot, "recorder", None),
        )
        super().__init__()

    async def cog_load(self) -> None:
        await self.service.start()
        self.nudge_loop.start()

    async def cog_unload(self) -> None:
        self.nudge_loop.cancel()
        await self.service.close()

    @tasks.loop(minutes=job.NUDGE_CHECK_MINUTES)
    async def nudge_loop(self) -> None:
        await job.nudge_round(self.service, self.bot.clock.now())

    @nudge_loop.before_loop
    async def _before_nudges(self) -> None:
        await self.bot.wait_until_ready()

    # -- commands --------------------------------------------------------------------------
    @app_commands.command(
        name=cmd("cmd.welcome.setup.name"), description=cmd("cmd.welcome.setup.description")
    )
    @app_commands.rename(
        channel=cmd("cmd.welcome.opt.channel"),
        thread_type=cmd("cmd.welcome.opt.thread_type"),
        greeter_role=cmd("cmd.welcome.opt.greeter_role"),
        template=cmd("cmd.welcome.opt.template"),
        auto_archive=cmd("cmd.welcome.opt.auto_archive"),
        nudge_delay_hours=cmd("cmd.welcome.opt.nudge_delay_hours"),
        burst_threshold=cmd("cmd.welcome.opt.burst_threshold"),
    )
    @app_commands.describe(
        channel=cmd("cmd.welcome.opt.channel.description"),
        thread_type=cmd("cmd.welcome.opt.thread_type.description"),
        greeter_role=cmd("cmd.welcome.opt.greeter_role.description"),
        template=cmd("cmd.welcome.opt.template.description"),
        auto_archive=cmd("cmd.welcome.opt.auto_archive.description"),
        nudge_delay_hours=cmd("cmd.welcome.opt.nudge_delay_hours.description"),
        burst_threshold=cmd("cmd.welcome.opt.burst_threshold.description"),
    )
    @app_commands.choices(
        thread_type=[
            app_commands.Choice(name=cmd("cmd.welcome.choice.private"), value="private"),
            app_commands.Choice(name=cmd("cmd.welcome.choice.public"), value="public"),
        ]
    )
    @app_commands.choices(
        auto_archive=[
            app_commands.Choice(name=cmd("cmd.welcome.choice.archive_1h"), value=60),
            app_commands.Choice(name=cmd("cmd.welcome.choice.archive_24h"), value=1440),
            app_commands.Choice(name=cmd("cmd.welcome.choice.archive_3d"), value=4320),
            app_commands.Choice(name=cmd("cmd.welcome.choice.archive_1w"), value=10080),
        ],
    )
    async def setup_(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        thread_type: str = "private",
        greeter_role: discord.Role | None = None,
        template: str | None = None,
        auto_archive: int = DEFAULT_AUTO_ARCHIVE_MINUTES,
        nudge_delay_hours: int = DEFAULT_NUDGE_DELAY_MINUTES // 60,
        burst_threshold: int = DEFAULT_BURST_THRESHOLD,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        if greeter_role is not None and greeter_role.is_default():
            raise FoyerError("welcome.greeter_everyone")
        lang = await interaction_language(interaction)
        row, choice = await self.service.configure(
            guild.id,
            channel_id=channel.id,
            bot_permissions=channel.permissions_for(guild.me),
            actor_id=interaction.user.id,
            requested=ThreadKind.PRIVATE if thread_type == "private" else ThreadKind.PUBLIC,
            greeter_role_id=greeter_role.id if greeter_role else None,
            template=template,
            auto_archive_minutes=auto_archive,
            nudge_delay_hours=nudge_delay_hours,
            burst_threshold=burst_threshold,
        )
        kind_used = ThreadKind(row.thread_kind_used)
        lines = [t("welcome.saved", lang), t(choice.reason_key, lang), render.describe(row, lang)]
        lines += render.setup_warnings(guild, channel, greeter_role, kind_used, lang)
        await self.bot.reply_ephemeral(interaction, "\n\n".join(lines))

    @app_commands.command(
        name=cmd("cmd.welcome.preview.name"), description=cmd("cmd.welcome.preview.description")
    )
    @app_commands.rename(template=cmd("cmd.welcome.opt.template"))
    @app_commands.describe(template=cmd("cmd.welcome.opt.preview_template.description"))
    async def preview(self, interaction: discord.Interaction, template: str | None = None) -> None:
        guild = interaction.guild
        assert guild is not None and isinstance(interaction.user, discord.Member)
        lang = await interaction_language(interaction)
        row = await self.service.config(guild.id)
        if template is not None:
            template = normalize_template(template)
            validate_template(template)
        shown = template or (row.template if row else None)
        greeter = guild.get_role(row.greeter_role_id) if row and row.greeter_role_id else None
        text = render.preview(shown, lang, interaction.user, guild, greeter)
        await self.bot.reply_ephemeral(interaction, text)

    @app_commands.command(
        name=cmd("cmd.welcome.disable.name"), description=cmd("cmd.welcome.disable.description")
    )
    async def disable(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        lang = await interaction_language(interaction)
        done = await self.service.disable(interaction.guild.id, interaction.user.id)
        key = "welcome.disabled" if done else "welcome.already_disabled"
        await self.bot.reply_ephemeral(interaction, t(key, lang))

    @app_commands.command(
        name=cmd("cmd.welcome.show.name"), description=cmd("cmd.welcome.show.description")
    )
    async def show(self, interaction: discord.Interaction) -> None:
        guild = interaction.guild
        assert guild is not None
        lang = await interaction_language(interaction)
        row = await self.service.config(guild.id)
        text = render.describe(row, lang)
        await self.bot.reply_ephemeral(interaction, text)

    # -- events ----------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        await self.service.on_join(
            member.guild.id, member.id, is_bot=member.bot, joined_at=member.joined_at
        )

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """A new session (start, or a reconnect that could not resume: Discord replays
        nothing): welcome the recent joins the bot did not see."""
        for guild in [g for g in self.bot.guilds if g.shard_id == shard_id]:
            members = [(m.id, m.joined_at, m.bot) for m in guild.members]
            await self.service.reconcile(guild.id, members)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        await self.service.on_leave(payload.guild_id, payload.user.id, self.bot.clock.now())

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        guild = message.guild
        if guild is None or message.channel.id not in self.service.open_threads:
            return
        reply_author = None
        ref = message.reference
        if ref is not None and isinstance(ref.resolved, discord.Message):
            reply_author = ref.resolved.author.id
        await self.service.on_message(
            guild.id,
            message.channel.id,
            author_id=message.author.id,
            role=lambda: self._role(guild, message.author),
            at=message.created_at,
            reply_to_author_id=reply_author,
        )

    async def _role(self, guild: discord.Guild, author: discord.abc.User) -> ActorRole:
        """The recorder's rule: configured staff roles, else Manage Server/Administrator."""
        settings = await self.bot.guild_settings.get(guild.id)
        member = author if isinstance(author, discord.Member) else guild.get_member(author.id)
        perms = member.guild_permissions if member is not None else discord.Permissions.none()
        return role_of(
            is_bot=author.bot,
            role_ids={r.id for r in member.roles} if member is not None else set(),
            staff_role_ids={r.role_id for r in settings.staff_roles},
            manages_guild=perms.manage_guild or perms.administrator,
        )


async def setup(bot: FoyerBot) -> None:
    await bot.add_cog(WelcomeCog(bot))
