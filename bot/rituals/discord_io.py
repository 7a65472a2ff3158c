"""The Discord side of rituals: posting an occurrence with its thread, telling admins, and
the opt-in ping-role button.

Mentions: posts are sent with `AllowedMentions(roles=[ping role])` when the admin chose a
ping role, otherwise nothing at all; never @everyone or @here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.checks import bot_can_post
from bot.db.models.activity import ThreadContext
from bot.errors import FoyerError
from bot.i18n import t
from bot.rituals.runner import Posted, PostRefused, RitualPost

if TYPE_CHECKING:
    from bot.app import FoyerBot

log = logging.getLogger(__name__)

ROLE_BUTTON_PREFIX = "foyer:ritual-role:"


def role_button(ritual_id: int, lang: str) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        style=discord.ButtonStyle.secondary,
        # The bell sits in the label: a unicode `emoji=` goes out with `"id": null`.
        label="🔔 " + t("rituals.role.button", lang),
        custom_id=f"{ROLE_BUTTON_PREFIX}{ritual_id}",
    )


class DiscordRitualPoster:
    """`RitualPoster` over the running bot."""

    def __init__(self, bot: FoyerBot) -> None:
        self._bot = bot

    def guild_name(self, guild_id: int) -> str:
        guild = self._bot.get_guild(guild_id)
        return guild.name if guild else ""

    async def post(self, post: RitualPost, on_message: Callable[[int], Awaitable[None]]) -> Posted:
        channel = self._bot.get_channel(post.channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise PostRefused("channel_gone")
        view = None
        if post.ping_role_id:
            view = discord.ui.View(timeout=None)
            view.add_item(role_button(post.ritual_id, post.lang))
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
            message = await channel.send(post.content, **kwargs)
        except discord.Forbidden as exc:
            raise PostRefused("forbidden") from exc
        except discord.NotFound as exc:
            raise PostRefused("channel_gone") from exc
        await on_message(message.id)
        try:
            thread = await message.create_thread(
                name=post.thread_name,
                auto_archive_duration=post.auto_archive_minutes,  # type: ignore[arg-type]
            )
        except discord.HTTPException:
            # The post stands (failing it would post it again); the runner tells the admins.
            log.warning("could not open the ritual thread", extra={"guild_id": post.guild_id})
            return Posted(message.id, None)
        await self._mark_thread(post, thread)
        return Posted(message.id, thread.id)

    async def _mark_thread(self, post: RitualPost, thread: discord.Thread) -> None:
        """Tell the recorder this is a ritual thread, so answers count as ritual responses."""
        recorder = getattr(self._bot, "recorder", None)
        if recorder is None or self._bot.user is None:
            return
        await recorder.mark_thread(
            post.guild_id,
            thread.id,
            post.channel_id,
            owner_id=self._bot.user.id,
            context=ThreadContext.RITUAL,
            created_at=self._bot.clock.now(),
        )

    async def notify_admins(self, guild_id: int, text: str) -> None:
        settings = await self._bot.guild_settings.get(guild_id)
        channel = self._bot.get_channel(settings.admin_channel_id or 0)
        if not isinstance(channel, discord.TextChannel):
            log.warning("no admin channel to tell: %s", text, extra={"guild_id": guild_id})
            return
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:
            log.warning("could not reach the admin channel", extra={"guild_id": guild_id})


def ritual_id_of_button(custom_id: str) -> int | None:
    match = re.fullmatch(re.escape(ROLE_BUTTON_PREFIX) + r"(\d+)", custom_id)
    return int(match.group(1)) if match else None


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


# Checks that need Discord objects, made by the cog before the service writes anything.


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
