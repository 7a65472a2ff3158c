"""Reactions made while the bot was away, recovered where Discord can tell.

Gateway events are the only record of who reacted when; a reaction added or removed while
no session listened never arrives. After a gap, the recent messages of each readable
channel and active thread are read again (at most `MESSAGES` per place, none older than
`WINDOW` before the gap nor from before Foyer arrived): each carries its reaction counts
per emoji. Where a count differs from the reactions Foyer holds for that message (added
and not removed), the reactors are fetched (`GET .../reactions/{emoji}`, paged by
discord.py) and the difference recorded: an add for each reactor Foyer lacks, a removal
for each one Discord no longer lists.

What this cannot recover (docs/operations.md): a reaction added and removed during the
gap; reactions on messages past the window; the reactions of people Discord no longer
lists. When a recovered reaction was made is unknown: it is recorded at the moment of
recovery, the time a live reaction gets when it arrives, so figures count it that day.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

import discord
from sqlalchemy import select

from bot.clock import Clock
from bot.db import Database
from bot.db.models.activity import ActivityEvent, ActorRole, EventKind
from bot.recording.discord_events import EventBuilder, GuildRoles
from bot.recording.events import ReactionChanged, snowflake_at
from bot.recording.recorder import Recorder

log = logging.getLogger(__name__)

WINDOW = timedelta(days=7)  # how far before the gap messages are compared
MESSAGES = 100  # most recent messages compared per place: one history request

Held = dict[tuple[int, str], set[int]]  # (message, emoji) -> users whose reaction stands


async def held_reactions(db: Database, guild_id: int, message_ids: list[int]) -> Held:
    """Who Foyer holds as reacting, per message and emoji: an add not followed by a removal
    (rows are unique per message, user and emoji: a removal ends the one add)."""
    held: Held = defaultdict(set)
    if not message_ids:
        return held
    e = ActivityEvent
    query = (
        select(e.ref_id, e.emoji, e.actor_id, e.kind)
        .where(
            e.guild_id == guild_id,
            e.kind.in_([EventKind.REACTION_ADD, EventKind.REACTION_REMOVE]),
            e.ref_id.in_(message_ids),
        )
        .order_by(e.occurred_at, e.id)
    )
    async with db.session() as session:
        for ref, emoji, actor, kind in await session.execute(query):
            users = held[(ref, emoji)]
            if kind == EventKind.REACTION_ADD:
                users.add(actor)
            else:
                users.discard(actor)
    return held


class ReactionRecovery:
    """Compares recent messages' reaction counts with the record; never raises."""

    def __init__(
        self, db: Database, recorder: Recorder, events: EventBuilder, clock: Clock
    ) -> None:
        self._db = db
        self._recorder = recorder
        self._events = events
        self._clock = clock

    async def recover(self, guild: discord.Guild, since: datetime) -> int:
        """Record the reactions added or removed on the guild's recent messages while the
        bot was away; returns how many changes were recorded."""
        try:
            settings = await self._events.settings(guild.id)
            if settings is None or settings.joined_at is None:
                return 0  # a guild seen for the first time: nothing was missed
            floor = snowflake_at(max(settings.joined_at, since - WINDOW))
            await self._recorder.flush()  # compare with everything received so far
            changed = 0
            places: list[discord.TextChannel | discord.Thread] = [
                *guild.text_channels,
                *guild.threads,
            ]
            for place in places:
                perms = place.permissions_for(guild.me)
                if not (perms.view_channel and perms.read_message_history):
                    continue
                try:
                    changed += await self._recover_place(place, floor)
                except discord.HTTPException as error:
                    log.warning(
                        "reactions not recovered (%s)", error.status, extra={"guild_id": guild.id}
                    )
            if changed:
                log.info("recovered %d missed reactions", changed, extra={"guild_id": guild.id})
            return changed
        except Exception:
            log.exception("reaction recovery failed", extra={"guild_id": guild.id})
            return 0

    async def _recover_place(self, place: discord.TextChannel | discord.Thread, floor: int) -> int:
        messages = [
            m
            async for m in place.history(
                limit=MESSAGES, after=discord.Object(floor), oldest_first=False
            )
        ]
        held = await held_reactions(self._db, place.guild.id, [m.id for m in messages])
        roles = await self._events.roles(place.guild.id)
        changed = 0
        for message in messages:
            on_discord = {str(r.emoji): r for r in message.reactions}
            emojis = set(on_discord) | {e for (mid, e), users in held.items() if mid == message.id}
            for emoji in emojis:
                mine = held.get((message.id, emoji), set())
                reaction = on_discord.get(emoji)
                if reaction is not None and reaction.count == len(mine):
                    continue  # the same count: nothing missed (or a swap we cannot see)
                reactors = await self._reactors(reaction) if reaction else {}
                for user_id in mine - set(reactors):
                    await self._record(message, emoji, user_id, None, roles, added=False)
                for user_id, user in reactors.items():
                    if user_id not in mine:
                        await self._record(message, emoji, user_id, user, roles, added=True)
                changed += len(mine ^ set(reactors))
        return changed

    @staticmethod
    async def _reactors(reaction: discord.Reaction) -> dict[int, discord.Member | discord.User]:
        found = {u.id: u async for u in reaction.users(type=discord.ReactionType.normal)}
        if reaction.burst_count:
            found.update({u.id: u async for u in reaction.users(type=discord.ReactionType.burst)})
        return found

    async def _record(
        self,
        message: discord.Message,
        emoji: str,
        user_id: int,
        user: discord.Member | discord.User | None,
        roles: GuildRoles,
        *,
        added: bool,
    ) -> None:
        guild = message.guild
        assert guild is not None
        role = roles.by_id(guild, user_id)
        if role is None:  # no longer a member: their staff role is unknown
            role = ActorRole.BOT if user is not None and user.bot else ActorRole.MEMBER
        place = message.channel
        thread = place if isinstance(place, discord.Thread) else None
        await self._recorder.record(
            ReactionChanged(
                guild_id=guild.id,
                message_id=message.id,
                channel_id=(thread.parent_id if thread else place.id) or place.id,
                thread_id=thread.id if thread else None,
                user_id=user_id,
                user_role=role,
                emoji=emoji,
                added=added,
                occurred_at=self._clock.now(),
                author_id=message.author.id,
                author_role=roles.author(message, guild),
            )
        )
