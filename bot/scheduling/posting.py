"""Posting one occurrence exactly once on Discord, for every job kind (rituals, the weekly
digest, spotlight suggestions). See docs/rituals.md, "Posting exactly once".

`send_once` is `channel.send` for a scheduled run:

1. it records the intent in the ledger first (the channel and its newest message), so a
   process that dies after Discord accepted the post leaves a trace;
2. when an earlier attempt of the same occurrence left such an intent, it looks in that
   channel's history, after that message, for the bot's own post with the same shape
   (components' custom ids, number of embeds, attachment names; never the text) that no
   other run or post recorded, and adopts it instead of posting again;
3. otherwise it sends with the occurrence's nonce and `enforce_nonce` (discord.py sets it
   whenever a nonce is given): within Discord's few minutes, a second send of the same
   occurrence returns the first message instead of creating one.

`open_thread_once` opens the thread from such a post, or adopts the one already opened
(Discord refuses a second thread on a message: 400, code 160004).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.scheduling.jobs import NotPostedAgain, RunContext

log = logging.getLogger(__name__)

THREAD_ALREADY_CREATED = 160004  # "A thread has already been created for this message"
UNKNOWN_MESSAGE = 10008
# How many of the channel's messages after the intent are read to find an earlier post:
# the post was sent right after the intent was written, so it is among the first.
HISTORY_LOOKUP = 50

Marker = Callable[[discord.Message], bool]
__all__ = ["NotPostedAgain", "Shape", "find_earlier_post", "open_thread_once", "send_once"]


@dataclass(frozen=True)
class Shape:
    """What Discord keeps of a post that tells it apart without its text."""

    custom_ids: tuple[str, ...]
    embeds: int
    files: frozenset[str]

    @classmethod
    def outgoing(
        cls,
        view: discord.ui.View | None = None,
        embeds: Sequence[discord.Embed] = (),
        files: Sequence[discord.File] = (),
    ) -> Shape:
        ids = [getattr(item, "custom_id", None) for item in (view.children if view else [])]
        return cls(
            tuple(sorted(i for i in ids if i)),
            len(embeds),
            frozenset(f.filename for f in files if f.filename),
        )

    def matches(self, message: discord.Message) -> bool:
        ids = [
            getattr(child, "custom_id", None)
            for row in message.components
            for child in getattr(row, "children", [])
        ]
        names = {a.filename for a in message.attachments}
        return (
            tuple(sorted(i for i in ids if i)) == self.custom_ids
            and len(message.embeds) == self.embeds
            and names <= self.files  # an image an embed shows may not be listed apart
        )


def _bot_id(channel: discord.abc.GuildChannel) -> int:
    return channel.guild.me.id


async def find_earlier_post(
    ctx: RunContext, channel: discord.TextChannel, after_id: int, marker: Marker
) -> discord.Message | None:
    """The bot's post of this shape in `channel` after message `after_id` that nothing
    recorded yet. Raises `NotPostedAgain("unverifiable")` when the history is closed."""
    known = await ctx.ledger.known_posts(channel.id, after_id)
    me = _bot_id(channel)
    try:
        async for message in channel.history(
            limit=HISTORY_LOOKUP, after=discord.Object(after_id), oldest_first=True
        ):
            if (
                message.author.id == me
                and message.id not in known
                and message.type == discord.MessageType.default
                and marker(message)
            ):
                return message
    except discord.Forbidden as exc:
        raise NotPostedAgain("unverifiable") from exc
    return None


async def send_once(
    ctx: RunContext,
    channel: discord.TextChannel,
    *,
    marker: Marker | None = None,
    **kwargs: Any,
) -> discord.Message:
    """`channel.send(**kwargs)` for the occurrence `ctx`, at most once (module docstring).

    `marker` says whether a message found in the history is this occurrence's post; by
    default, one with the `Shape` of what is sent. Raises what `send` raises, and
    `NotPostedAgain` when it must not post."""
    if marker is None:
        files = list(kwargs.get("files") or ([kwargs["file"]] if kwargs.get("file") else []))
        embeds = list(kwargs.get("embeds") or ([kwargs["embed"]] if kwargs.get("embed") else []))
        marker = Shape.outgoing(kwargs.get("view"), embeds, files).matches
    earlier = await ctx.intend(channel.id, channel.last_message_id or 0)
    if earlier is not None:
        where = channel.guild.get_channel(earlier.channel_id)
        if isinstance(where, discord.TextChannel):
            found = await find_earlier_post(ctx, where, earlier.after_id, marker)
            if found is not None:
                log.info(
                    "adopted the post an earlier attempt made",
                    extra={"guild_id": ctx.guild_id, "job": ctx.key},
                )
                return found
    try:
        return await channel.send(nonce=ctx.nonce, **kwargs)
    except discord.NotFound as exc:
        if exc.code == UNKNOWN_MESSAGE:  # made by an earlier attempt, deleted since
            raise NotPostedAgain("post_deleted") from exc
        raise


async def open_thread_once(message: discord.Message, **kwargs: Any) -> discord.Thread:
    """`message.create_thread(**kwargs)`, or the thread already opened from it."""
    if message.thread is not None:
        return message.thread
    try:
        return await message.create_thread(**kwargs)
    except discord.HTTPException as exc:
        if exc.code != THREAD_ALREADY_CREATED or message.guild is None:
            raise
    thread = message.guild.get_thread(message.id)  # a thread from a message has its id
    if thread is not None:
        return thread
    fetched = await message.guild.fetch_channel(message.id)
    if not isinstance(fetched, discord.Thread):
        raise TypeError(f"channel {message.id} is not a thread")
    return fetched
