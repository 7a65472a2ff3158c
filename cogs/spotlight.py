"""`/spotlight` (admins) and `/spotlight-optout` (members): thank members publicly.

Thin adapter over `bot.spotlight.SpotlightService`. The pick and refuse buttons are
dynamic items (`foyer:spotlight:pick:<user>`, `foyer:spotlight:refuse:<user>`), so they
keep working after a restart. The weekly suggestion is a scheduler job kind
(`spotlight:<guild>`): exactly once per week even across restarts and shards.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import FoyerBot
from bot.checks import admin_only, bot_can_post, is_admin
from bot.db.models.recognition import SUGGESTION_TIME, SpotlightSource
from bot.errors import FoyerError
from bot.i18n import cmd, t
from bot.scheduling import JobSpec, Outcome, Recurrence, RunContext, Weekly
from bot.spotlight import render
from bot.spotlight.service import (
    MAX_NOTE_LENGTH,
    NO_WEEKLY_SUGGESTION,
    SpotlightService,
    Suggestion,
)
from bot.staff import member_is_staff
from bot.ui import FoyerModal, report_error

log = logging.getLogger(__name__)

JOB_PREFIX = "spotlight"
_DAYS = [app_commands.Choice(name=cmd(f"spotlight.day.{d}"), value=d) for d in range(7)]
_DAY_CHOICES = [
    *_DAYS,
    app_commands.Choice(name=cmd("spotlight.day.off"), value=NO_WEEKLY_SUGGESTION),
]


def _cog(interaction: discord.Interaction) -> SpotlightCog:
    cog = interaction.client.get_cog(SpotlightCog.__cog_name__)  # type: ignore[attr-defined]
    assert isinstance(cog, SpotlightCog)
    return cog


_Button = discord.ui.Button[Any]


class PickButton(discord.ui.DynamicItem[_Button], template=r"foyer:spotlight:pick:(?P<user>\d+)"):
    """On a suggestion: an admin picks this member, then writes an optional note."""

    def __init__(self, user_id: int, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary,
                custom_id=f"foyer:spotlight:pick:{user_id}",
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PickButton:
        return cls(int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.guild is None or not is_admin(interaction.permissions):
            await report_error(interaction, FoyerError("errors.not_admin"))
            return
        lang = await _cog(interaction).bot.guild_settings.language(interaction.guild.id)
        await interaction.response.send_modal(NoteModal(self.user_id, lang))


class RefuseButton(
    discord.ui.DynamicItem[_Button], template=r"foyer:spotlight:refuse:(?P<user>\d+)"
):
    """On a spotlight post: "don't spotlight me again", for the spotlighted member only;
    the post is deleted too."""

    def __init__(self, user_id: int, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"foyer:spotlight:refuse:{user_id}",
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RefuseButton:
        return cls(int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = _cog(interaction)
        guild_id = interaction.guild_id
        lang = await cog.bot.guild_settings.language(guild_id)
        if guild_id is None or interaction.user.id != self.user_id:
            await cog.bot.reply_ephemeral(interaction, t("spotlight.refuse.not_you", lang))
            return
        await cog.service.refuse(guild_id, self.user_id)
        await cog.bot.reply_ephemeral(interaction, t("spotlight.refuse.removed", lang))
        if interaction.message is not None:  # they asked not to be featured: take it down
            try:
                await interaction.message.delete()
            except discord.HTTPException:
                log.warning("could not delete a refused spotlight", extra={"guild_id": guild_id})


class NoteModal(FoyerModal):
    """The admin's optional personal note; submitting posts the spotlight."""

    def __init__(self, user_id: int, lang: str) -> None:
        super().__init__(title=t("spotlight.note.title", lang))
        self.user_id = user_id
        self.note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
            label=t("spotlight.note.label", lang)[:45],
            placeholder=t("spotlight.note.placeholder", lang)[:100],
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MAX_NOTE_LENGTH,
            custom_id="note",
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        await _cog(interaction).post(
            interaction, self.user_id, self.note.value, SpotlightSource.SUGGESTED
        )


@admin_only()
class SpotlightCog(
    commands.GroupCog,
    group_name=cmd("cmd.spotlight.name"),
    group_description=cmd("cmd.spotlight.description"),
):
    """Admin commands; the posting logic both the modal and `/spotlight post` share."""

    def __init__(self, bot: FoyerBot) -> None:
        self.bot = bot
        self.service = SpotlightService(bot.db, bot.clock)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PickButton, RefuseButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(PickButton, RefuseButton)

    @app_commands.command(
        name=cmd("cmd.spotlight.suggest.name"), description=cmd("cmd.spotlight.suggest.description")
    )
    async def suggest(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        embed, view = await self.suggestion_message(interaction.guild)
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
        await self.post(interaction, member.id, note, SpotlightSource.MANUAL)

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
        lang = await self.bot.guild_settings.language(guild.id)
        text = t(
            "spotlight.setup.summary",
            lang,
            channel=f"<#{config.channel_id}>" if config.channel_id else t("spotlight.none", lang),
            weeks=config.cooldown_weeks,
            day=render.weekday_name(config.suggestion_weekday, lang),
        )
        settings = await self.bot.guild_settings.get(guild.id)
        if config.suggestion_weekday is not None and settings.admin_channel_id is None:
            text += "\n" + t("spotlight.setup.no_admin_channel", lang)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name=cmd("cmd.spotlight.history.name"), description=cmd("cmd.spotlight.history.description")
    )
    async def history(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        lang = await self.bot.guild_settings.language(interaction.guild.id)
        rows = await self.service.history(interaction.guild.id)
        await interaction.response.send_message(
            embed=render.history_embed(rows, lang), ephemeral=True
        )

    # -- shared ----------------------------------------------------------------------------
    async def suggestion_message(
        self, guild: discord.Guild, *, weekly: bool = False
    ) -> tuple[discord.Embed, discord.ui.View]:
        lang = await self.bot.guild_settings.language(guild.id)
        suggestion = await self.service.suggest(guild.id)
        config = await self.service.config(guild.id)
        names = _present(guild, suggestion, await self._staff_roles(guild.id))
        embed = render.suggestion_embed(
            suggestion, names, lang, weekly=weekly, channel_missing=config.channel_id is None
        )
        view = discord.ui.View(timeout=None)
        for user_id, name in names:
            view.add_item(PickButton(user_id, name))
        return embed, view

    async def _staff_roles(self, guild_id: int) -> set[int]:
        settings = await self.bot.guild_settings.get(guild_id)
        return {r.role_id for r in settings.staff_roles}

    async def post(
        self,
        interaction: discord.Interaction,
        member_id: int,
        note: str | None,
        source: SpotlightSource,
    ) -> None:
        """Validate, post in the spotlight channel pinging only that member, record."""
        guild = interaction.guild
        assert guild is not None
        lang = await self.bot.guild_settings.language(guild.id)
        member = guild.get_member(member_id)
        if member is None:
            raise FoyerError("spotlight.member_gone")
        if member.bot or member_is_staff(member, await self._staff_roles(guild.id)):
            raise FoyerError("spotlight.member_not_eligible", member=member.mention)
        prepared = await self.service.prepare(
            guild.id, member_id, mention=member.mention, note=note
        )
        channel = guild.get_channel(prepared.channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise FoyerError("spotlight.channel_gone")
        if not bot_can_post(channel, embeds=True):
            raise FoyerError("spotlight.cannot_post", channel=channel.mention)
        view = discord.ui.View(timeout=None)
        view.add_item(RefuseButton(member_id, t("spotlight.post.refuse_button", lang)))
        try:
            message = await channel.send(
                content=render.post_content(member.mention, lang),
                embed=render.post_embed(member, prepared, lang),
                view=view,
                allowed_mentions=render.spotlight_mentions(member),
            )
        except discord.Forbidden:
            raise FoyerError("spotlight.cannot_post", channel=channel.mention) from None
        await self.service.record(
            guild.id, prepared, posted_by=interaction.user.id, source=source, message_id=message.id
        )
        await self.bot.reply_ephemeral(
            interaction,
            t("spotlight.posted", lang, channel=channel.mention, link=message.jump_url),
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
        lang = await self.bot.guild_settings.language(guild_id)
        if undo:
            await self.service.allow(guild_id, interaction.user.id)
            await self.bot.reply_ephemeral(interaction, t("spotlight.refuse.undone", lang))
        else:
            await self.service.refuse(guild_id, interaction.user.id)
            await self.bot.reply_ephemeral(interaction, t("spotlight.refuse.done", lang))


class WeeklySuggestions:
    """Scheduler job kind: the suggestion list, posted to the admin channel on the chosen
    day at `SUGGESTION_TIME` in the guild's time zone."""

    def __init__(self, cog: SpotlightCog) -> None:
        self._cog = cog

    async def jobs(self) -> Iterable[JobSpec]:
        specs = []
        for config in await self._cog.service.weekly_configs():
            assert config.suggestion_weekday is not None and config.suggestion_since is not None
            settings = await self._cog.bot.guild_settings.get(config.guild_id)
            rule = Weekly(frozenset({config.suggestion_weekday}), SUGGESTION_TIME)
            specs.append(
                JobSpec(
                    key=f"{JOB_PREFIX}:{config.guild_id}",
                    guild_id=config.guild_id,
                    recurrence=Recurrence(rule, ZoneInfo(settings.timezone)),
                    since=config.suggestion_since,
                )
            )
        return specs

    async def run(self, ctx: RunContext) -> Outcome:
        bot = self._cog.bot
        guild = bot.get_guild(ctx.guild_id)
        if guild is None:
            return Outcome.skipped("guild unavailable")
        admin_channel_id = (await bot.guild_settings.get(guild.id)).admin_channel_id
        channel = guild.get_channel(admin_channel_id) if admin_channel_id else None
        if not isinstance(channel, discord.TextChannel):
            return Outcome.skipped("no admin channel")
        embed, view = await self._cog.suggestion_message(guild, weekly=True)
        try:
            message = await channel.send(embed=embed, view=view)
        except discord.Forbidden:
            log.warning("cannot post the weekly suggestion", extra={"guild_id": guild.id})
            return Outcome.failed("forbidden")
        await ctx.record_post(channel.id, message.id)
        return Outcome.posted(channel.id, message.id)


def _present(
    guild: discord.Guild, suggestion: Suggestion, staff_roles: set[int]
) -> list[tuple[int, str]]:
    """Candidates still on the server and not staff today, with the name admins know them
    by. The ranking already left out staff as recorded; roles may have changed since."""
    found = []
    for candidate in suggestion.candidates:
        member = guild.get_member(candidate.stats.user_id)
        if member is not None and not member.bot and not member_is_staff(member, staff_roles):
            found.append((member.id, member.display_name))
    return found


async def setup(bot: FoyerBot) -> None:
    cog = SpotlightCog(bot)
    await bot.add_cog(cog)
    await bot.add_cog(SpotlightOptOutCog(bot, cog.service))
    bot.scheduler.register(JOB_PREFIX, WeeklySuggestions(cog))
