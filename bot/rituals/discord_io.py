"""The Discord side of rituals: posting an occurrence with its thread, telling admins, and
the opt-in ping-role button.

Mentions: posts are sent with `AllowedMentions(roles=[ping role])` when the admin chose a
ping role, otherwise nothing at all; never @everyone or @here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

import discord

from bot.checks import bot_can_post
from bot.clock import Clock
from bot.db.models.activity import ThreadContext
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService
from bot.i18n import t
from bot.interaction_language import interaction_language
from bot.rituals.runner import Posted, PostRefused, RitualPost
from bot.scheduling.posting import open_thread_once, send_once

log = logging.getLogger(__name__)

# The ping-role button's custom id, `foyer:ritual-role:<ritual id>`: posts made before a
# restart, or by an older version, carry it, so it never changes.
ROLE_BUTTON_TEMPLATE = r"foyer:ritual-role:(?P<ritual>\d+)"


def role_button(ritual_id: int, label: str = "🔔") -> discord.ui.Button[Any]:
    """The opt-in button under a ritual post (the item `RitualRoleButton` wraps)."""
    return discord.ui.Button(
        style=discord.ButtonStyle.secondary,
        label=label,
        custom_id=f"foyer:ritual-role:{ritual_id}",
    )


def role_button_label(lang: str) -> str:
    # The bell sits in the label: a unicode `emoji=` goes out with `"id": null`.
    return "🔔 " + t("rituals.role.button", lang)


class ThreadMarker(Protocol):
    """What the poster needs from the recorder (`bot.recording.Recorder`)."""

    async def mark_thread(
        self,
        guild_id: int,
        thread_id: int,
        parent_id: int | None,
        owner_id: int | None,
        context: ThreadContext,
        created_at: datetime,
    ) -> None: ...


class DiscordRitualPoster:
    """`RitualPoster` over the running client.

    `button` makes the ping-role button a post carries (the cog's `RitualRoleButton`, so
    the item sent is the one that answers the click)."""

    def __init__(
        self,
        client: discord.Client,
        guild_settings: GuildSettingsService,
        clock: Clock,
        recorder: ThreadMarker | None,
        button: Callable[[int, str], discord.ui.Item[Any]],
    ) -> None:
        self._client = client
        self._settings = guild_settings
        self._clock = clock
        self._recorder = recorder
        self._button = button

    def guild_name(self, guild_id: int) -> str:
        guild = self._client.get_guild(guild_id)
        return guild.name if guild else ""

    async def post(self, post: RitualPost, on_message: Callable[[int], Awaitable[None]]) -> Posted:
        channel = self._client.get_channel(post.channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise PostRefused("channel_gone")
        view = None
        if post.ping_role_id:
            view = discord.ui.View(timeout=None)
            view.add_item(self._button(post.ritual_id, role_button_label(post.lang)))
        mentions = discord.AllowedMentions(
            everyone=False,
            users=False,
            replied_user=False,
            roles=[discord.Object(post.ping_role_id)] if post.ping_role_id else False,
        )
        try:
            kwargs: dict[str, Any] = {"allowed_mentions": mentions}
            if view is not None:
                kwargs["view"] = view
            # Once per occurrence, even across a crash (bot.scheduling.posting).
            message = await send_once(post.occurrence, channel, content=post.content, **kwargs)
        except discord.Forbidden as exc:
            raise PostRefused("forbidden") from exc
        except discord.NotFound as exc:
            raise PostRefused("channel_gone") from exc
        await on_message(message.id)
        try:
            thread = await open_thread_once(
                message,
                name=post.thread_name,
                auto_archive_duration=post.auto_archive_minutes,
            )
        except discord.HTTPException as exc:
            # The post stands (failing it would post it again); the runner tells the admins.
            log.warning(
                "could not open the ritual thread (HTTP %s, code %s)",
                exc.status,
                exc.code,
                extra={"guild_id": post.guild_id},
            )
            return Posted(message.id, None)
        await self._mark_thread(post, thread)
        return Posted(message.id, thread.id)

    async def _mark_thread(self, post: RitualPost, thread: discord.Thread) -> None:
        """Tell the recorder this is a ritual thread, so answers count as ritual responses."""
        if self._recorder is None or self._client.user is None:
            return
        await self._recorder.mark_thread(
            post.guild_id,
            thread.id,
            post.channel_id,
            owner_id=self._client.user.id,
            context=ThreadContext.RITUAL,
            created_at=self._clock.now(),
        )

    async def notify_admins(self, guild_id: int, text: str) -> None:
        settings = await self._settings.get(guild_id)
        channel = self._client.get_channel(settings.admin_channel_id or 0)
        if not isinstance(channel, discord.TextChannel):
            log.warning("no admin channel to tell: %s", text, extra={"guild_id": guild_id})
            return
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning("could not reach the admin channel", extra={"guild_id": guild_id})


async def toggle_ping_role(
    member: discord.Member | discord.User, role: discord.Role | None, lang: str
) -> tuple[str, bool | None]:
    """Join the ping role, or leave it when already in: what the member is told, and
    whether they joined (True), left (False) or nothing changed (None)."""
    if role is None or not isinstance(member, discord.Member):
        return t("rituals.role.gone", lang), None
    try:
        if role in member.roles:
            await member.remove_roles(role, reason="ritual ping role: member opted out")
            return t("rituals.role.left", lang, role=role.mention), False
        await member.add_roles(role, reason="ritual ping role: member opted in")
        return t("rituals.role.joined", lang, role=role.mention), True
    except discord.Forbidden:
        return t("errors.discord_forbidden", lang), None


class RitualRoleButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=ROLE_BUTTON_TEMPLATE
):
    """The bell under a ritual post: any member joins the ritual's ping role, or leaves
    it. The custom id carries the ritual, so posts from before a restart keep working.

    Where the ritual's role is read is the cog's to say (`ping_role_id`): it registers a
    subclass, and posts carry that subclass, since discord.py registers the class of the
    dynamic items a message is sent with."""

    def __init__(self, ritual_id: int, label: str = "🔔") -> None:
        super().__init__(role_button(ritual_id, label))
        self.ritual_id = ritual_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RitualRoleButton:
        return cls(int(match["ritual"]))

    async def ping_role_id(self, interaction: discord.Interaction) -> int | None:
        """The ritual's ping role now (None when the ritual or its role went)."""
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.guild is None:
            return
        role = interaction.guild.get_role(await self.ping_role_id(interaction) or 0)
        lang = await interaction_language(interaction)
        text, _ = await toggle_ping_role(interaction.user, role, lang)
        await interaction.response.send_message(text, ephemeral=True)


# Checks that need Discord objects, made by the cog before the service writes anything.


def check_targets(
    guild: discord.Guild | None, channel: Any, ping_role: discord.Role | None
) -> None:
    """The channel and the ping role an admin gave to `/ritual add|edit`, when given."""
    if channel is not None:
        check_channel(guild, channel)
    if ping_role is not None:
        check_ping_role(guild, ping_role)


def check_channel(guild: discord.Guild | None, channel: Any) -> None:
    """A text channel of this guild where the bot can post and open public threads."""
    assert guild is not None
    real = guild.get_channel(channel.id) if channel is not None else None
    if not isinstance(real, discord.TextChannel):
        raise FoyerError("rituals.channel_unusable", channel=f"<#{getattr(channel, 'id', 0)}>")
    if not bot_can_post(real, threads=True):
        raise FoyerError("rituals.cannot_post", channel=real.mention)


def check_ping_role(guild: discord.Guild | None, role: discord.Role) -> None:
    """A role the bot may ping (mentionable) and hand out (below its top role, with Manage
    Roles), and that is neither @everyone nor managed by an integration."""
    assert guild is not None
    me = guild.me
    usable = (
        not role.is_default()
        and not role.managed
        and role.mentionable
        and me.guild_permissions.manage_roles
        and role < me.top_role
    )
    if not usable:
        raise FoyerError("rituals.role_unusable", role=role.mention)
