"""The introductions' rules: who may opt in, how often rounds happen, what a round pairs
and what is kept of it. No discord.py: who is still on the server comes in as a callback.

A round is drawn once per occurrence and stored with its pairs before anything is posted,
so a retry after a crash finds the same pairs (and the same draw would come out anyway:
`pairing.round_seed`). After each round, who was in which pair is deleted for the rounds
the rule and the 7-day figure no longer need (`store.purge`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.db import Database
from bot.db.models import IntrosConfig, IntrosMember, IntrosPair
from bot.errors import FoyerError
from bot.intros import pairing, store
from bot.user_input import check_text

CADENCES = (1, 2, 4)  # weeks between rounds
MAX_PROMPT_LENGTH = 1000
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class PlannedPair:
    pair: IntrosPair
    members: list[int]


@dataclass(frozen=True)
class Round:
    round_id: int
    scheduled_for: datetime
    new: bool  # drawn now (False: an earlier attempt drew it)
    pairs: list[PlannedPair]


class IntrosService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self.watched: dict[int, int] = {}  # thread id -> pair id, while its 7 days run
        # messages of one guild arrive on one process: one at a time, each transaction sees
        # the writers the one before committed (two at once would each count one writer)
        self._writing = asyncio.Lock()

    async def start(self) -> None:
        async with self._db.session() as session:
            rows = await store.watched_pairs(session, self._clock.now() - store.TALK_WINDOW)
        self.watched = dict(rows)

    async def config(self, guild_id: int) -> IntrosConfig | None:
        async with self._db.session() as session:
            return await store.config(session, guild_id)

    async def enabled_configs(self) -> list[IntrosConfig]:
        async with self._db.session() as session:
            return await store.enabled_configs(session)

    async def configure(
        self,
        guild_id: int,
        *,
        actor_id: int,
        channel_id: int | None,
        cadence_weeks: int | None = None,
        prompt: str | None = None,
        enabled: bool | None = None,
    ) -> IntrosConfig:
        """Check everything, then save. A new cadence counts its weeks from now."""
        if cadence_weeks is not None and cadence_weeks not in CADENCES:
            raise FoyerError("intros.bad_cadence", value=cadence_weeks)
        if prompt is not None:
            check_text(prompt)
            if len(prompt) > MAX_PROMPT_LENGTH:
                raise FoyerError("intros.prompt_too_long", limit=MAX_PROMPT_LENGTH)
        now = self._clock.now()
        async with self._db.session() as session:
            row = await store.config(session, guild_id)
            if row is None:
                if channel_id is None:
                    raise FoyerError("intros.channel_needed")
                row = IntrosConfig(guild_id=guild_id, enabled=True, cadence_weeks=2, since=now)
                session.add(row)
            if channel_id is not None:
                row.channel_id = channel_id
            if cadence_weeks is not None and cadence_weeks != row.cadence_weeks:
                row.cadence_weeks, row.since = cadence_weeks, now
            if prompt is not None:
                row.prompt = prompt.strip() or None
            if enabled is not None:
                if enabled and not row.enabled:
                    row.since = now  # a round missed while off is not made up
                row.enabled = enabled
            row.updated_at, row.updated_by = now, actor_id
        return row

    async def join(self, guild_id: int, user_id: int) -> bool:
        """Opt in; False when already in."""
        async with self._db.session() as session:
            cfg = await store.config(session, guild_id)
            if cfg is None or not cfg.enabled:
                raise FoyerError("intros.disabled")
            if await store.member(session, guild_id, user_id) is not None:
                return False
            session.add(
                IntrosMember(guild_id=guild_id, user_id=user_id, joined_at=self._clock.now())
            )
        return True

    async def leave(self, guild_id: int, user_id: int) -> None:
        async with self._db.session() as session:
            if not await store.remove_member(session, guild_id, user_id):
                raise FoyerError("intros.not_member")

    async def member_left(self, guild_id: int, user_id: int) -> None:
        """A member who left the server is no longer opted in."""
        async with self._db.session() as session:
            await store.remove_member(session, guild_id, user_id)

    async def member_count(self, guild_id: int) -> int:
        async with self._db.session() as session:
            return len(await store.members(session, guild_id))

    @staticmethod
    def is_round_week(cfg: IntrosConfig, scheduled_for: datetime) -> bool:
        """Every `cadence_weeks` weeks, counted from the week after the cadence was set."""
        weeks = (scheduled_for - cfg.since) // WEEK
        return weeks % cfg.cadence_weeks == 0

    async def existing_round(self, guild_id: int, scheduled_for: datetime) -> bool:
        async with self._db.session() as session:
            return await store.round_at(session, guild_id, scheduled_for) is not None

    async def prepare_round(
        self, guild_id: int, scheduled_for: datetime, present: Callable[[int], bool]
    ) -> Round:
        """The occurrence's round: the one an earlier attempt drew, else a new draw of the
        opted-in members still on the server, stored before anything is posted."""
        async with self._db.session() as session:
            found = await store.round_at(session, guild_id, scheduled_for)
            new = found is None
            if found is None:
                people = [u for u in await store.members(session, guild_id) if present(u)]
                history = await store.recent_groups(
                    session, guild_id, scheduled_for, pairing.HISTORY_ROUNDS
                )
                recent = set().union(*(pairing.pairs_in(g) for g in history)) if history else set()
                groups = pairing.draw(people, recent, pairing.round_seed(guild_id, scheduled_for))
                found = await store.add_round(session, guild_id, scheduled_for, groups)
            planned = [PlannedPair(p, m) for p, m in await store.pairs_of(session, found.id)]
        return Round(found.id, scheduled_for, new, planned)

    async def thread_intended(self, pair_id: int) -> None:
        async with self._db.session() as session:
            pair = await session.get(IntrosPair, pair_id)
            if pair is not None and pair.thread_intent_at is None:
                pair.thread_intent_at = self._clock.now()

    async def thread_opened(self, pair_id: int, thread_id: int) -> None:
        async with self._db.session() as session:
            pair = await session.get(IntrosPair, pair_id)
            if pair is not None:
                pair.thread_id = thread_id
        self.watched[thread_id] = pair_id

    async def prompt_sent(self, pair_id: int) -> None:
        async with self._db.session() as session:
            pair = await session.get(IntrosPair, pair_id)
            if pair is not None:
                pair.prompt_sent_at = self._clock.now()

    async def finish_round(self, guild_id: int) -> None:
        """Forget who met whom beyond what the rules need."""
        async with self._db.session() as session:
            await store.purge(session, guild_id, pairing.HISTORY_ROUNDS, self._clock.now())

    async def on_message(self, thread_id: int, author_id: int, at: datetime) -> None:
        pair_id = self.watched.get(thread_id)
        if pair_id is None:
            return
        async with self._writing, self._db.session() as session:
            talked = await store.wrote(session, pair_id, author_id, at)
        if talked:
            self.watched.pop(thread_id, None)
