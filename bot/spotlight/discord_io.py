"""The Discord side of spotlights: the suggestion list with its pick buttons, the note
modal, and the post with its refuse button.

The buttons are dynamic items (`foyer:spotlight:pick:<user>`, `foyer:spotlight:refuse:<user>`),
so they keep working after a restart: discord.py rebuilds them from the custom id alone.
They reach the running `SpotlightPoster` through the cog registered under `COG_NAME`, the
way RoboDanny's dynamic items find their cog, because `bot/` never imports `cogs/`.

The post pings the spotlighted member and nobody else (`render.spotlight_mentions`).
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any, Protocol, cast

import discord
from discord.ext import commands

from bot.checks import bot_can_post, may_administer
from bot.db.models.recognition import SpotlightSource
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService
from bot.i18n import t
from bot.interaction_language import interaction_language
from bot.spotlight import render
from bot.spotlight.service import MAX_NOTE_LENGTH, SpotlightService, Suggestion
from bot.staff import member_is_staff
from bot.ui import FoyerModal, report_error

log = logging.getLogger(__name__)

COG_NAME = "SpotlightCog"  # the cog that holds the running `SpotlightPoster` as `.poster`

_Button = discord.ui.Button[Any]


class _Replies(Protocol):
    async def reply_ephemeral(
        self, interaction: discord.Interaction, text: str, **kwargs: Any
    ) -> None: ...


async def reply_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Answer privately through the bot's own helper (answer or follow-up, whichever the
    interaction still allows)."""
    await cast(_Replies, interaction.client).reply_ephemeral(interaction, text)


def _poster(interaction: discord.Interaction) -> SpotlightPoster:
    cog = cast(commands.Bot, interaction.client).get_cog(COG_NAME)
    poster = getattr(cog, "poster", None)
    assert isinstance(poster, SpotlightPoster), f"{COG_NAME} is not loaded"
    return poster


class SpotlightPoster:
    """Builds and sends what spotlights show on Discord; one per bot, made by the cog."""

    def __init__(self, service: SpotlightService, settings: GuildSettingsService) -> None:
        self.service = service
        self._settings = settings

    async def staff_roles(self, guild_id: int) -> set[int]:
        settings = await self._settings.get(guild_id)
        return {r.role_id for r in settings.staff_roles}

    async def suggestion_message(
        self, guild: discord.Guild, lang: str, *, weekly: bool = False
    ) -> tuple[discord.Embed, discord.ui.View]:
        """The ranked candidates still here, each with a pick button."""
        suggestion = await self.service.suggest(guild.id)
        config = await self.service.config(guild.id)
        names = present(guild, suggestion, await self.staff_roles(guild.id))
        embed = render.suggestion_embed(
            suggestion, names, lang, weekly=weekly, channel_missing=config.channel_id is None
        )
        view = discord.ui.View(timeout=None)
        for user_id, name in names:
            view.add_item(PickButton(user_id, name))
        return embed, view

    async def post(
        self,
        interaction: discord.Interaction,
        member_id: int,
        note: str | None,
        source: SpotlightSource,
    ) -> discord.Message:
        """Validate, post in the spotlight channel pinging only that member, record.

        Raises a `FoyerError` (answered translated) when the member or the channel does
        not allow it; a post Discord refused is never recorded."""
        guild = interaction.guild
        assert guild is not None
        lang = await interaction_language(interaction)
        member = guild.get_member(member_id)
        if member is None:
            raise FoyerError("spotlight.member_gone")
        if member.bot or member_is_staff(member, await self.staff_roles(guild.id)):
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
        try:
            await self.service.record(
                guild.id, prepared, posted_by=interaction.user.id, source=source,
                message_id=message.id,
            )  # fmt: skip
        except Exception:
            # What is posted is always recorded: a post that cannot be recorded comes down.
            with contextlib.suppress(discord.HTTPException):
                await message.delete()
            raise
        return message


def present(
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
        # Anyone who can see the suggestion can click: only admins and managers may go on.
        if interaction.guild is None or not await may_administer(interaction):
            await report_error(interaction, FoyerError("errors.not_admin"))
            return
        lang = await interaction_language(interaction)
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
        poster = _poster(interaction)
        guild_id = interaction.guild_id
        lang = await interaction_language(interaction)
        if guild_id is None or interaction.user.id != self.user_id:
            await reply_ephemeral(interaction, t("spotlight.refuse.not_you", lang))
            return
        await poster.service.refuse(guild_id, self.user_id)
        await reply_ephemeral(interaction, t("spotlight.refuse.removed", lang))
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
        message = await _poster(interaction).post(
            interaction, self.user_id, self.note.value, SpotlightSource.SUGGESTED
        )
        lang = await interaction_language(interaction)
        await reply_ephemeral(interaction, render.posted_text(message, lang))


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (PickButton, RefuseButton)
