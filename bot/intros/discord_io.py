"""Introductions on Discord: one private thread per pair (or group of three), the members
added, the prompt posted there; the call to opt in and its button. No DMs.

Exactly once, across restarts: the round and its pairs are stored before any call; each
pair's thread is intended (`thread_intent_at`) before it is asked for, and a retry adopts
the thread an earlier attempt opened (same parent, same name, opened by Foyer since the
intent, not another pair's) instead of opening a second; the prompt goes out with a nonce
derived from the occurrence and the pair's place in the round (`enforce_nonce`), and a
pair whose prompt is recorded as sent is left alone.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any, Literal, cast

import discord
from discord.ext import commands

from bot.errors import FoyerError
from bot.i18n import t
from bot.interaction_language import interaction_language
from bot.intros import render
from bot.intros.service import IntrosService, PlannedPair, Round
from bot.scheduling.jobs import occurrence_nonce
from bot.ui import reply_ephemeral, report_error

log = logging.getLogger(__name__)

COG_NAME = "IntrosCog"  # the cog holding the running `IntrosService` as `.service`
CLOCK_SKEW = timedelta(minutes=1)  # between our clock and a snowflake's, when adopting
ARCHIVE_MINUTES: Literal[10080] = 10080  # a week: the pair's time to talk

_Button = discord.ui.Button[Any]


def can_open_threads(channel: discord.TextChannel) -> bool:
    """May the bot open private threads in `channel` and write in them."""
    perms = channel.permissions_for(channel.guild.me)
    return bool(
        perms.view_channel
        and perms.send_messages
        and perms.create_private_threads
        and perms.send_messages_in_threads
    )


async def _prompted(thread: discord.Thread) -> bool:
    """Whether the bot already wrote in the thread. Not `last_message_id`: adding members
    to a private thread makes Discord post system messages, which would pass for the prompt."""
    me = thread.guild.me.id
    async for message in thread.history(limit=20):
        if message.author.id == me and message.type is discord.MessageType.default:
            return True
    return False


class IntrosDiscord:
    def __init__(self, service: IntrosService) -> None:
        self.service = service

    async def post_round(
        self, key: str, channel: discord.TextChannel, found: Round, prompt: str | None, lang: str
    ) -> int:
        """Open each pair's thread and post its prompt; the threads opened or adopted.
        A 403 raises `discord.Forbidden` to the job, which stops (never retried in a loop)."""
        guild = channel.guild
        known = {p.pair.thread_id for p in found.pairs if p.pair.thread_id}
        done = 0
        for planned in found.pairs:
            if planned.pair.prompt_sent_at is not None:
                continue
            people = [m for u in planned.members if (m := guild.get_member(u)) is not None]
            if len(people) < 2:
                continue  # someone left since the draw: nobody to meet
            again = planned.pair.thread_intent_at is not None
            thread = await self._thread(channel, planned, lang, known)
            known.add(thread.id)
            if again and await _prompted(thread):  # the prompt of an earlier attempt
                await self.service.prompt_sent(planned.pair.id)
                done += 1
                continue
            for person in people:
                await thread.add_user(person)  # a PUT: asking twice is harmless
            ids = [p.id for p in people]
            await thread.send(
                render.prompt_text(ids, prompt, lang),
                nonce=occurrence_nonce(f"{key}#{planned.pair.position}", found.scheduled_for),
                allowed_mentions=render.pings(ids),
            )
            await self.service.prompt_sent(planned.pair.id)
            done += 1
        return done

    async def _thread(
        self, channel: discord.TextChannel, planned: PlannedPair, lang: str, known: set[int]
    ) -> discord.Thread:
        guild, pair = channel.guild, planned.pair
        name = render.thread_name(lang, pair.position)
        if pair.thread_id is not None:
            thread = guild.get_thread(pair.thread_id)
            if thread is None:
                fetched = await guild.fetch_channel(pair.thread_id)
                assert isinstance(fetched, discord.Thread)
                thread = fetched
            return thread
        if pair.thread_intent_at is not None:  # an earlier attempt may have opened it
            floor = discord.utils.time_snowflake(pair.thread_intent_at - CLOCK_SKEW)
            for thread in await guild.active_threads():
                if (
                    thread.parent_id == channel.id
                    and thread.owner_id == guild.me.id
                    and thread.name == name
                    and thread.id >= floor
                    and thread.id not in known
                ):
                    await self.service.thread_opened(pair.id, thread.id)
                    return thread
        await self.service.thread_intended(pair.id)
        thread = await channel.create_thread(
            name=name,
            type=discord.ChannelType.private_thread,
            invitable=False,
            auto_archive_duration=ARCHIVE_MINUTES,
            reason="Foyer introductions",
        )
        await self.service.thread_opened(pair.id, thread.id)
        return thread

    async def post_call(self, channel: discord.TextChannel, lang: str) -> discord.Message:
        view = discord.ui.View(timeout=None)
        view.add_item(JoinButton(t("intros.call.button", lang)))
        try:
            return await channel.send(t("intros.call", lang), view=view)
        except discord.Forbidden:
            raise FoyerError("intros.cannot_post", channel=channel.mention) from None


class JoinButton(discord.ui.DynamicItem[_Button], template=r"foyer:intros:join"):
    """On the call: opt in to introductions."""

    def __init__(self, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], style=discord.ButtonStyle.primary, custom_id="foyer:intros:join"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JoinButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = cast(commands.Bot, interaction.client).get_cog(COG_NAME)
        service = getattr(cog, "service", None)
        assert isinstance(service, IntrosService), f"{COG_NAME} is not loaded"
        lang = await interaction_language(interaction)
        if interaction.guild_id is None:
            await report_error(interaction, FoyerError("errors.guild_only"))
            return
        try:
            added = await service.join(interaction.guild_id, interaction.user.id)
        except FoyerError as error:
            await report_error(interaction, error)
            return
        text = t("intros.joined" if added else "intros.already_in", lang)
        await reply_ephemeral(interaction, text)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (JoinButton,)
