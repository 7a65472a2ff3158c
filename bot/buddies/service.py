"""The buddies' rules: who may volunteer and for how many, when a newcomer is offered a
buddy, who gets which buddy, what happens when a buddy stays silent, leaves or opts out.

No discord.py here: what the rules need from Discord (is this member still on the server,
are they staff) comes in as a `Presence` callback. Every check runs before anything is
written, so bad input saves nothing (`FoyerError`, answered translated by the cog).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.buddies import store
from bot.buddies.matching import Candidate, pick_buddy
from bot.clock import Clock
from bot.db import Database
from bot.db.models import BuddyConfig, BuddyMatch, BuddyRequest, BuddyVolunteer
from bot.db.models.peers import MAX_CAPACITY, MIN_CAPACITY
from bot.errors import FoyerError

BUDDY_PERIOD = timedelta(days=28)  # a pairing ends by itself after four weeks
STATUS_PERIOD = timedelta(days=28)  # "pairs this period" in /buddy status
MAX_TOPICS = 10
OFFER_RETRY = timedelta(days=1)


@dataclass(frozen=True)
class Presence:
    """What Discord says of a member now."""

    present: bool
    staff: bool


PresenceOf = Callable[[int], Presence]


@dataclass(frozen=True)
class MyBuddy:
    """`/buddy me`: the member's own records, nobody else's pairs."""

    volunteer: BuddyVolunteer | None
    topics: frozenset[int]
    load: int
    my_buddy_id: int | None  # the buddy they have as a newcomer, if any


@dataclass(frozen=True)
class Status:
    """`/buddy status`: counts only."""

    enabled: bool
    volunteers: int
    paused: int
    capacity: int  # newcomers the active volunteers can take at once
    load: int  # newcomers they have now
    waiting: int
    pairs_this_period: int


class BuddyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        # welcome thread id -> (match id, buddy id): the matches whose buddy has not written
        self.watched: dict[int, tuple[int, int]] = {}
        # one pick at a time: two clicks at once would both read the same loads and could
        # give one buddy more newcomers than they accepted (a guild is on one process)
        self._matching = asyncio.Lock()

    async def start(self) -> None:
        async with self._db.session() as session:
            rows = await store.unanswered_everywhere(session)
        self.watched = {m.thread_id: (m.id, m.buddy_id) for m in rows if m.buddy_id}

    # -- admin --------------------------------------------------------------------------------
    async def config(self, guild_id: int) -> BuddyConfig | None:
        async with self._db.session() as session:
            return await store.config(session, guild_id)

    async def topic_roles(self, guild_id: int) -> set[int]:
        async with self._db.session() as session:
            return await store.topic_roles(session, guild_id)

    async def configure(
        self,
        guild_id: int,
        *,
        actor_id: int,
        enabled: bool | None = None,
        channel_id: int | None = None,
        topic_role_ids: Collection[int] | None = None,
        allow_staff: bool | None = None,
    ) -> BuddyConfig:
        """Save what was given; the rest stays. Buddies are on once set up."""
        if topic_role_ids is not None and len(set(topic_role_ids)) > MAX_TOPICS:
            raise FoyerError("buddies.too_many_topics", limit=MAX_TOPICS)
        async with self._db.session() as session:
            row = await store.config(session, guild_id)
            if row is None:
                row = BuddyConfig(guild_id=guild_id, enabled=True, allow_staff=False)
                session.add(row)
            row.updated_at = self._clock.now()
            row.updated_by = actor_id
            if enabled is not None:
                row.enabled = enabled
            if channel_id is not None:
                row.channel_id = channel_id
            if allow_staff is not None:
                row.allow_staff = allow_staff
            if topic_role_ids is not None:
                await store.set_topic_roles(session, guild_id, set(topic_role_ids))
        return row

    async def role_deleted(self, guild_id: int, role_id: int) -> None:
        """A topic role deleted on Discord is no longer a topic, for anyone."""
        async with self._db.session() as session:
            offered = await store.topic_roles(session, guild_id)
            if role_id in offered:
                await store.set_topic_roles(session, guild_id, offered - {role_id})

    async def set_post(self, guild_id: int, message_id: int) -> None:
        async with self._db.session() as session:
            row = await store.config(session, guild_id)
            if row is not None:
                row.post_message_id = message_id

    async def status(self, guild_id: int) -> Status:
        now = self._clock.now()
        async with self._db.session() as session:
            cfg = await store.config(session, guild_id)
            people = await store.volunteers(session, guild_id)
            loads = store.loads(await store.active_matches(session, guild_id))
            waiting = await store.waiting_requests(session, guild_id)
            pairs = await store.count_pairs_since(session, guild_id, now - STATUS_PERIOD)
        active = [v for v in people if not v.paused]
        return Status(
            enabled=bool(cfg and cfg.enabled),
            volunteers=len(active),
            paused=len(people) - len(active),
            capacity=sum(v.capacity for v in active),
            load=sum(loads.values()),
            waiting=len(waiting),
            pairs_this_period=pairs,
        )

    # -- volunteers ---------------------------------------------------------------------------
    async def join(
        self,
        guild_id: int,
        user_id: int,
        *,
        capacity: int | None,
        topics: Collection[int] = (),
        is_staff: bool,
    ) -> BuddyVolunteer:
        """Volunteer (or change one's capacity and topics); a paused volunteer is back."""
        if capacity is not None and not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
            raise FoyerError(
                "buddies.bad_capacity", low=MIN_CAPACITY, high=MAX_CAPACITY, value=capacity
            )
        async with self._db.session() as session:
            cfg = await store.config(session, guild_id)
            if cfg is None or not cfg.enabled:
                raise FoyerError("buddies.disabled")
            if is_staff and not cfg.allow_staff:
                raise FoyerError("buddies.staff_not_allowed")
            offered = await store.topic_roles(session, guild_id)
            unknown = set(topics) - offered
            if unknown:
                raise FoyerError("buddies.unknown_topic", role=f"<@&{min(unknown)}>")
            row = await store.volunteer(session, guild_id, user_id)
            if row is None:
                row = BuddyVolunteer(
                    guild_id=guild_id,
                    user_id=user_id,
                    capacity=capacity or MIN_CAPACITY,
                    paused=False,
                    joined_at=self._clock.now(),
                )
                session.add(row)
            else:
                row.capacity = capacity or row.capacity
                row.paused = False
            if topics:
                await session.flush()
                await store.set_volunteer_topics(session, guild_id, user_id, set(topics))
        return row

    async def pause(self, guild_id: int, user_id: int) -> None:
        """No new newcomers for now; the current ones keep their buddy."""
        async with self._db.session() as session:
            row = await store.volunteer(session, guild_id, user_id)
            if row is None:
                raise FoyerError("buddies.not_volunteer")
            row.paused = True

    async def leave(self, guild_id: int, user_id: int) -> list[BuddyMatch]:
        """Stop being a buddy: the volunteer's rows go, their newcomers get another buddy
        (the matches ended here are returned to be replaced)."""
        async with self._db.session() as session:
            if not await store.remove_volunteer(session, guild_id, user_id):
                raise FoyerError("buddies.not_volunteer")
            return await self._end_as_buddy(session, guild_id, user_id, "opted_out")

    async def member_left(self, guild_id: int, user_id: int) -> list[BuddyMatch]:
        """A member left the server: as a buddy, their newcomers are to be given another;
        as a newcomer, their pairing ends."""
        async with self._db.session() as session:
            await store.remove_volunteer(session, guild_id, user_id)
            ended = await self._end_as_buddy(session, guild_id, user_id, "buddy_left")
            for match in await store.matches_involving(session, guild_id, user_id):
                match.ended_at, match.ended_reason = self._clock.now(), "newcomer_left"
                self.watched.pop(match.thread_id, None)
        return ended

    async def _end_as_buddy(
        self, session: store.Session, guild_id: int, user_id: int, reason: str
    ) -> list[BuddyMatch]:
        now = self._clock.now()
        ended = []
        for match in await store.matches_involving(session, guild_id, user_id):
            if match.buddy_id == user_id:
                match.ended_at, match.ended_reason = now, reason
                self.watched.pop(match.thread_id, None)
                ended.append(match)
        return ended

    async def me(self, guild_id: int, user_id: int) -> MyBuddy:
        async with self._db.session() as session:
            row = await store.volunteer(session, guild_id, user_id)
            topics = (await store.volunteer_topics(session, guild_id)).get(user_id, set())
            mine = await store.matches_involving(session, guild_id, user_id)
        return MyBuddy(
            volunteer=row,
            topics=frozenset(topics),
            load=sum(1 for m in mine if m.buddy_id == user_id),
            my_buddy_id=next((m.buddy_id for m in mine if m.newcomer_id == user_id), None),
        )

    # -- newcomers ----------------------------------------------------------------------------
    async def offer_intent(
        self, guild_id: int, newcomer_id: int, thread_id: int
    ) -> BuddyRequest | None:
        """The offer to post in a newcomer's welcome thread, recorded before the post; None
        when the guild has no buddies or this offer was sent already (a retried welcome)."""
        async with self._db.session() as session:
            cfg = await store.config(session, guild_id)
            if cfg is None or not cfg.enabled:
                return None
            row = await store.request_for(session, guild_id, newcomer_id, thread_id)
            if row is not None:
                return None if row.offer_sent_at is not None else row
            row = BuddyRequest(
                guild_id=guild_id,
                newcomer_id=newcomer_id,
                thread_id=thread_id,
                offered_at=self._clock.now(),
            )
            session.add(row)
        return row

    async def offer_sent(self, request_id: int) -> None:
        async with self._db.session() as session:
            row = await session.get(BuddyRequest, request_id)
            if row is not None and row.offer_sent_at is None:
                row.offer_sent_at = self._clock.now()

    async def unsent_offers(self) -> list[BuddyRequest]:
        """Offers recorded but not confirmed sent in the last day (then given up: the
        welcome thread is likely gone)."""
        async with self._db.session() as session:
            return await store.unsent_offers(session, self._clock.now() - OFFER_RETRY)

    async def accept(
        self,
        guild_id: int,
        newcomer_id: int,
        newcomer_topics: Collection[int],
        presence: PresenceOf,
        *,
        exclude: Collection[int] = (),
    ) -> BuddyMatch | None:
        """The newcomer asked: pick a buddy and record the match (to be announced). None
        when nobody is free: the newcomer waits and is matched when someone is."""
        now = self._clock.now()
        async with self._matching, self._db.session() as session:
            cfg = await store.config(session, guild_id)
            if cfg is None or not cfg.enabled:
                raise FoyerError("buddies.disabled")
            request = await store.request_for(session, guild_id, newcomer_id)
            if request is None:
                raise FoyerError("buddies.no_offer")
            earlier = await store.matches_of_request(session, request.id)
            if any(m.ended_at is None for m in earlier):
                raise FoyerError("buddies.already_matched")
            # asking again after a silent buddy counts from now (bot.buddies.store.waiting)
            if earlier or request.accepted_at is None:
                request.accepted_at = now
            match = await self._match(
                session, cfg, request, newcomer_topics, presence,
                exclude={*exclude, *(m.buddy_id for m in earlier if m.buddy_id)},
            )  # fmt: skip
        if match is not None:
            self.watched[match.thread_id] = (match.id, match.buddy_id or 0)
        return match

    async def _match(
        self,
        session: store.Session,
        cfg: BuddyConfig,
        request: BuddyRequest,
        newcomer_topics: Collection[int],
        presence: PresenceOf,
        *,
        exclude: Collection[int],
    ) -> BuddyMatch | None:
        guild_id = request.guild_id
        people = [v for v in await store.volunteers(session, guild_id) if not v.paused]
        topics = await store.volunteer_topics(session, guild_id)
        loads = store.loads(await store.active_matches(session, guild_id))
        candidates = []
        for v in people:
            seen = presence(v.user_id)
            known = frozenset(topics.get(v.user_id, ()))
            load = loads.get(v.user_id, 0)
            candidates.append(
                Candidate(v.user_id, v.capacity, load, known, v.joined_at, seen.present, seen.staff)
            )
        chosen = pick_buddy(
            candidates,
            newcomer_topics,
            last_buddy_id=await store.last_buddy(session, guild_id),
            exclude={*exclude, request.newcomer_id},
            allow_staff=cfg.allow_staff,
        )
        if chosen is None:
            return None
        match = BuddyMatch(
            guild_id=guild_id,
            request_id=request.id,
            newcomer_id=request.newcomer_id,
            buddy_id=chosen.user_id,
            thread_id=request.thread_id,
            matched_at=self._clock.now(),
        )
        session.add(match)
        await session.flush()
        return match

    async def match_waiting(
        self, guild_id: int, presence: PresenceOf, topics_of: Callable[[int], Collection[int]]
    ) -> list[BuddyMatch]:
        """Give a buddy to the newcomers waiting for one, oldest ask first, while someone is
        free (a replaced buddy is never given back to the same newcomer)."""
        made = []
        async with self._matching, self._db.session() as session:
            cfg = await store.config(session, guild_id)
            if cfg is None or not cfg.enabled:
                return []
            for request in await store.waiting_requests(session, guild_id):
                if not presence(request.newcomer_id).present:
                    continue
                earlier = await store.matches_of_request(session, request.id)
                match = await self._match(
                    session, cfg, request, topics_of(request.newcomer_id), presence,
                    exclude={m.buddy_id for m in earlier if m.buddy_id},
                )  # fmt: skip
                if match is None:
                    break
                made.append(match)
        for match in made:
            self.watched[match.thread_id] = (match.id, match.buddy_id or 0)
        return made

    async def announced(self, match_id: int) -> None:
        async with self._db.session() as session:
            row = await session.get(BuddyMatch, match_id)
            if row is not None:
                row.announced_at = row.announced_at or self._clock.now()

    async def end(self, match_id: int, reason: str) -> None:
        """End a match that could not go on (the buddy left while being added)."""
        async with self._db.session() as session:
            row = await session.get(BuddyMatch, match_id)
            if row is not None and row.ended_at is None:
                row.ended_at, row.ended_reason = self._clock.now(), reason
                self.watched.pop(row.thread_id, None)

    async def unannounced(self) -> list[BuddyMatch]:
        async with self._db.session() as session:
            return await store.unannounced(session)

    async def on_message(self, thread_id: int, author_id: int, at: datetime) -> bool:
        """The buddy's first message in the newcomer's thread: answered. True if it was."""
        watched = self.watched.get(thread_id)
        if watched is None or watched[1] != author_id:
            return False
        async with self._db.session() as session:
            row = await session.get(BuddyMatch, watched[0])
            if row is not None and row.answered_at is None and row.ended_at is None:
                row.answered_at = at
        self.watched.pop(thread_id, None)
        return True

    # -- scheduled work (bot.buddies.job) -----------------------------------------------------
    async def reminders_due(self) -> list[BuddyMatch]:
        """Matches to remind, each marked as intended before the post (so a retry uses the
        same nonce and a crash never reminds twice)."""
        now = self._clock.now()
        async with self._db.session() as session:
            due = await store.due_reminders(session, now)
            for match in due:
                match.reminder_intent_at = match.reminder_intent_at or now
        return due

    async def reminded(self, match_id: int) -> None:
        async with self._db.session() as session:
            row = await session.get(BuddyMatch, match_id)
            if row is not None:
                row.reminded_at = self._clock.now()

    async def end_unlinked(self) -> int:
        """End the matches whose buddy was erased (`/privacy forget` or opt-out unlink the
        buddy's id): their newcomers wait for another buddy, given in the same round."""
        now = self._clock.now()
        async with self._db.session() as session:
            rows = await store.unlinked_matches(session)
            for match in rows:
                match.ended_at, match.ended_reason = now, "opted_out"
                self.watched.pop(match.thread_id, None)
        return len(rows)

    async def end_silent(self) -> list[BuddyRequest]:
        """Buddies silent for 48 h: the match ends, and the newcomers not offered another
        yet are returned (their re-offer is intended here, before it is posted)."""
        now = self._clock.now()
        reoffer = []
        async with self._db.session() as session:
            for match in await store.silent_matches(session, now):
                match.ended_at, match.ended_reason = now, "silent"
                self.watched.pop(match.thread_id, None)
                request = await session.get(BuddyRequest, match.request_id)
                if request is not None and request.reoffered_at is None:
                    request.reoffered_at = now
                    reoffer.append(request)
            for match in await store.finished(session, now - BUDDY_PERIOD):
                match.ended_at, match.ended_reason = now, "finished"
                self.watched.pop(match.thread_id, None)
        return reoffer

    async def guilds_waiting(self) -> list[int]:
        async with self._db.session() as session:
            return await store.guilds_with_waiting(session)
