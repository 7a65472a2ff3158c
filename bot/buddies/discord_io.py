"""The buddies on Discord: the offer in a welcome thread and its button, adding the buddy
to the thread (private threads included) and telling them why there (never by DM), the
reminder, the re-offer, the call for volunteers and its button.

Each post in a thread is made once: the service records it first (the offer's row, the
match, the reminder's intent), and the message goes out with a nonce derived from that row
and `enforce_nonce`, so a retry within Discord's few minutes returns the first message.
A 403 stops that action and is logged, never retried in a loop.

The buttons are dynamic items (`foyer:buddy:volunteer`, `foyer:buddy:accept:<newcomer>`):
they work after a restart and reach the running `BuddyDiscord` through the cog named
`COG_NAME` (`bot/` never imports `cogs/`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from typing import Any, cast

import discord
from discord.ext import commands

from bot.buddies import render
from bot.buddies.service import BuddyService, Presence, PresenceOf
from bot.db.models import BuddyMatch, BuddyRequest
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService
from bot.i18n import t
from bot.interaction_language import interaction_language
from bot.staff import member_is_staff
from bot.ui import reply_ephemeral, report_error

log = logging.getLogger(__name__)

COG_NAME = "BuddyCog"  # the cog holding the running `BuddyDiscord` as `.io`
PICK_ATTEMPTS = 3  # buddies tried in a row when the chosen one left meanwhile

_Button = discord.ui.Button[Any]


def _io(interaction: discord.Interaction) -> BuddyDiscord:
    cog = cast(commands.Bot, interaction.client).get_cog(COG_NAME)
    io = getattr(cog, "io", None)
    assert isinstance(io, BuddyDiscord), f"{COG_NAME} is not loaded"
    return io


class BuddyDiscord:
    """One per bot, made by the cog."""

    def __init__(
        self, service: BuddyService, client: discord.Client, settings: GuildSettingsService
    ) -> None:
        self.service = service
        self._client = client
        self._settings = settings

    async def presence_of(self, guild: discord.Guild) -> PresenceOf:
        settings = await self._settings.get(guild.id)
        staff_roles = {r.role_id for r in settings.staff_roles}

        def presence(user_id: int) -> Presence:
            member = guild.get_member(user_id)
            if member is None or member.bot:
                return Presence(present=False, staff=False)
            return Presence(present=True, staff=member_is_staff(member, staff_roles))

        return presence

    async def topics_of(self, guild: discord.Guild) -> Any:
        offered = await self.service.topic_roles(guild.id)

        def topics(user_id: int) -> Collection[int]:
            member = guild.get_member(user_id)
            return {r.id for r in member.roles if r.id in offered} if member else set()

        return topics

    async def _thread(self, guild: discord.Guild, thread_id: int) -> discord.Thread | None:
        thread = guild.get_thread(thread_id)
        if thread is not None:
            return thread
        try:
            fetched = await guild.fetch_channel(thread_id)
        except discord.HTTPException:
            return None
        return fetched if isinstance(fetched, discord.Thread) else None

    async def _send(
        self, guild: discord.Guild, thread_id: int, nonce: str, text: str, **kwargs: Any
    ) -> bool:
        """Send once in the thread. True once nothing is left to try: sent, or refused for
        good (403/404: a permission or the thread is gone, and asking again every round
        would be a 403 loop); False after a transient failure, which the next round retries
        with the same nonce."""
        thread = await self._thread(guild, thread_id)
        if thread is None:  # deleted or out of sight: nothing a retry could send in
            log.warning("buddy post skipped: thread gone", extra={"guild_id": guild.id})
            return True
        try:
            await thread.send(text, nonce=nonce, **kwargs)
        except (discord.Forbidden, discord.NotFound) as exc:
            log.warning(
                "buddy post refused for good (%s %s); not retried",
                exc.status,
                exc.code,
                extra={"guild_id": guild.id},
            )
            return True
        except discord.HTTPException as exc:
            log.warning(
                "buddy post failed (%s %s); the next round retries",
                exc.status,
                exc.code,
                extra={"guild_id": guild.id},
            )
            return False
        return True

    # -- the offer --------------------------------------------------------------------------
    async def offer(self, guild_id: int, newcomer_id: int, thread_id: int) -> None:
        """Offer a buddy in a newcomer's own welcome thread (the welcome's hook)."""
        request = await self.service.offer_intent(guild_id, newcomer_id, thread_id)
        if request is not None:
            await self.send_offer(request)

    async def send_offer(self, request: BuddyRequest, *, again: bool = False) -> None:
        guild = self._client.get_guild(request.guild_id)
        if guild is None:
            return
        lang = await self._settings.language(guild.id)
        view = discord.ui.View(timeout=None)
        view.add_item(AcceptButton(request.newcomer_id, t("buddies.offer.button", lang)))
        sent = await self._send(
            guild,
            request.thread_id,
            f"foyer-bo{request.id}{'r' if again else ''}",
            render.offer_text(request.newcomer_id, lang, again=again),
            view=view,
            allowed_mentions=render.pings(request.newcomer_id),
        )
        if sent and not again:
            await self.service.offer_sent(request.id)

    async def accept(self, interaction: discord.Interaction, newcomer_id: int) -> str:
        """The newcomer's click: pick, add, announce; a buddy who left meanwhile is skipped
        (their match ends), the next is tried. Return the answer to show them."""
        guild = interaction.guild
        assert guild is not None
        lang = await interaction_language(interaction)
        presence = await self.presence_of(guild)
        topics = (await self.topics_of(guild))(newcomer_id)
        tried: set[int] = set()
        for _ in range(PICK_ATTEMPTS):
            match = await self.service.accept(
                guild.id, newcomer_id, topics, presence, exclude=tried
            )
            if match is None:
                return t("buddies.waiting", lang)
            if await self.announce(guild, match, lang):
                return t("buddies.accepted", lang, buddy=render.mention(match.buddy_id or 0))
            tried.add(match.buddy_id or 0)
        return t("buddies.waiting", lang)

    async def announce(self, guild: discord.Guild, match: BuddyMatch, lang: str) -> bool:
        """Add the buddy to the thread and tell them why, there. False (the match ended)
        when the buddy left or Discord refused."""
        buddy_id = match.buddy_id or 0
        thread = await self._thread(guild, match.thread_id)
        if guild.get_member(buddy_id) is None or thread is None:
            await self.service.end(match.id, "buddy_left" if thread else "thread_gone")
            return False
        try:
            await thread.add_user(discord.Object(buddy_id))  # a PUT: asking twice is harmless
        except discord.NotFound:
            await self.service.end(match.id, "buddy_left")
            return False
        except discord.HTTPException as exc:
            log.warning("buddy not added (%s)", exc.status, extra={"guild_id": guild.id})
            await self.service.end(match.id, "refused")
            return False
        text = render.announce_text(buddy_id, match.newcomer_id, lang)
        nonce = f"foyer-bm{match.id}"
        if await self._send(
            guild, match.thread_id, nonce, text, allowed_mentions=render.pings(buddy_id)
        ):
            await self.service.announced(match.id)
        return True

    async def replace(self, guild_id: int) -> int:
        """Give a buddy to the newcomers waiting in the guild (those whose buddy just left
        or opted out among them: their match ended, so they wait); how many were matched."""
        guild = self._client.get_guild(guild_id)
        if guild is None:
            return 0
        lang = await self._settings.language(guild_id)
        made = await self.service.match_waiting(
            guild_id, await self.presence_of(guild), await self.topics_of(guild)
        )
        return sum([await self.announce(guild, match, lang) for match in made])

    async def remind(self, match: BuddyMatch) -> None:
        guild = self._client.get_guild(match.guild_id)
        if guild is None or match.buddy_id is None:
            return
        lang = await self._settings.language(guild.id)
        text = render.remind_text(match.buddy_id, match.newcomer_id, lang)
        nonce = f"foyer-br{match.id}"
        if await self._send(
            guild, match.thread_id, nonce, text, allowed_mentions=render.pings(match.buddy_id)
        ):
            await self.service.reminded(match.id)

    async def retry_unannounced(self) -> None:
        """Matches recorded but not announced (a crash between the two): announce now."""
        for match in await self.service.unannounced():
            guild = self._client.get_guild(match.guild_id)
            if guild is not None:
                await self.announce(guild, match, await self._settings.language(guild.id))

    # -- the call for volunteers ------------------------------------------------------------
    async def post_call(self, channel: discord.TextChannel, lang: str) -> discord.Message:
        view = discord.ui.View(timeout=None)
        view.add_item(VolunteerButton(t("buddies.post.button", lang)))
        try:
            return await channel.send(t("buddies.post", lang), view=view)
        except discord.Forbidden:
            raise FoyerError("buddies.cannot_post", channel=channel.mention) from None

    async def volunteer(
        self, interaction: discord.Interaction, capacity: int | None, topics: Collection[int]
    ) -> str:
        """`/buddy join` and the call's button."""
        guild = interaction.guild
        if guild is None or not isinstance(interaction.user, discord.Member):
            raise FoyerError("errors.guild_only")
        presence = (await self.presence_of(guild))(interaction.user.id)
        row = await self.service.join(
            guild.id, interaction.user.id, capacity=capacity, topics=topics, is_staff=presence.staff
        )
        await self.replace(guild.id)  # someone may have been waiting for a free buddy
        lang = await interaction_language(interaction)
        return t("buddies.joined", lang, capacity=row.capacity)


class VolunteerButton(discord.ui.DynamicItem[_Button], template=r"foyer:buddy:volunteer"):
    """On the call for volunteers: become a buddy (one newcomer at a time, or one's
    current capacity)."""

    def __init__(self, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary,
                custom_id="foyer:buddy:volunteer",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VolunteerButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            text = await _io(interaction).volunteer(interaction, None, ())
        except FoyerError as error:
            await report_error(interaction, error)
            return
        await reply_ephemeral(interaction, text)


class AcceptButton(discord.ui.DynamicItem[_Button], template=r"foyer:buddy:accept:(?P<user>\d+)"):
    """In a welcome thread: the newcomer asks for a buddy. Only that newcomer may."""

    def __init__(self, newcomer_id: int, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.success,
                custom_id=f"foyer:buddy:accept:{newcomer_id}",
            )
        )
        self.newcomer_id = newcomer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AcceptButton:
        return cls(int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.newcomer_id:
            error = FoyerError("buddies.not_your_button", member=render.mention(self.newcomer_id))
            await report_error(interaction, error)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            text = await _io(interaction).accept(interaction, self.newcomer_id)
        except FoyerError as error:
            await report_error(interaction, error)
            return
        await reply_ephemeral(interaction, text)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (VolunteerButton, AcceptButton)
