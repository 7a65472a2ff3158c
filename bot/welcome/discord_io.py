"""The calls to Discord a welcome makes: opening threads (one per newcomer, or a shared one
in a burst), adding greeters, posting the welcome, the greeters' nudge, the admins' notice.

`WelcomeService` decides who is welcomed and how; this module does it on Discord. Every
thread action is paced (`Pacer`) and checked before the call (channel, permissions); a
refusal becomes `Stop` with the `Problem` to report, which stops the batch and is never
retried; a passing failure (5xx, unretried 429, connection error, timeout) becomes `Retry`
and the service tries the joins again later.

A thread is never opened twice for one newcomer: while the creation call runs, the
THREAD_CREATE Discord sends for it is watched, and once it has come the call is given
`ANSWER_GRACE` to answer before it is cancelled (so discord.py does not re-send a POST whose
5xx hid a success: it waits at least 1 s before that); and before trying again after a
failure, the channel's active threads (the cache, then `GET /guilds/{id}/threads/active`)
are searched for the one a lost answer created: same parent, same name, owned by Foyer,
created since the first attempt, not used by another welcome. A welcome tried again (a
retry, a restart) into a thread it was already given first reads the thread's recent
messages: whoever a message of the bot names there is not greeted again. The Discord objects
stay here; the service works with ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord

from bot.checks import bot_can_post
from bot.clock import Clock
from bot.db.models.welcome import ThreadKind, WelcomeConfig
from bot.welcome import render
from bot.welcome.config import missing_permissions, required_permissions
from bot.welcome.pacing import Pacer, near_thread_limit
from bot.welcome.problems import Problem, Retry, Stop
from bot.welcome.service import OnOpened, PendingJoin

log = logging.getLogger(__name__)

ARRIVALS_PER_MESSAGE = 50  # newcomers greeted per message in a shared thread (~1,100 chars)
CAP_BACKOFF = timedelta(minutes=10)  # after Discord's "too many active threads", share
THREAD_CAP_CODE = 160006  # Discord: maximum number of active threads reached
GREETERS_ADDED = 3  # greeters added to each private thread, taking turns
ANSWER_GRACE = 0.5  # s to wait for the creation's answer once its THREAD_CREATE came
CLOCK_SKEW = timedelta(minutes=1)  # between our clock and a snowflake's, when searching
# Messages read back, newest first, to see whom an earlier attempt greeted: it posted minutes
# (at most the reconcile window) ago, at once after placing them, so among the recent ones.
GREETED_LOOKUP = 100
PASSING = (aiohttp.ClientError, asyncio.TimeoutError, OSError)  # network: try again later


class _CapReached(Exception):
    """Discord's cap on active threads: share instead."""


def _nonce(welcome_id: int, kind: str = "w") -> str | int:
    """The welcome's nonce, the same on every attempt, so Discord keeps one message
    (`enforce_nonce`) when an answer was lost; a random one, as discord.py draws, for an
    unrecorded (opted-out) join."""
    return f"foyer-{kind}{welcome_id}" if welcome_id else secrets.randbits(64)


@dataclass(frozen=True)
class Place:
    """Where a batch is welcomed: the guild and its checked welcome channel."""

    guild: discord.Guild
    channel: discord.TextChannel


def refusal(exc: discord.HTTPException, place: Place, required: Sequence[str]) -> Stop | Retry:
    """What Discord's error means: `Retry` when it passes (5xx, a 429 discord.py gave up
    on), else `Stop` with the failure for the rows and the problem for the admins; only
    permission problems (403) and a missing channel (404) pause."""
    log.warning(
        "Discord refused a welcome action (%s %s)",
        exc.status,
        exc.code,
        extra={"guild_id": place.guild.id},
    )
    if isinstance(exc, discord.DiscordServerError) or exc.status >= 500 or exc.status == 429:
        return Retry(f"http {exc.status}")
    if isinstance(exc, discord.Forbidden):
        problem = Problem("forbidden", pause=True, channel_id=place.channel.id, perms=required)
        return Stop("forbidden", problem)
    if isinstance(exc, discord.NotFound):
        return Stop("channel_missing", Problem("channel_missing", pause=True))
    key = f"refused:{exc.code or exc.status}"
    return Stop("refused", Problem(key, pause=False, code=exc.code or None, status=exc.status))


@contextlib.contextmanager
def calling(place: Place, required: Sequence[str]) -> Iterator[None]:
    """Turn what a call to Discord raises into `Stop` or `Retry`."""
    try:
        yield
    except discord.HTTPException as exc:
        raise refusal(exc, place, required) from None
    except discord.RateLimited as exc:  # only with a max_ratelimit_timeout
        raise Retry(f"rate limited {exc.retry_after:.0f} s") from None
    except PASSING as exc:
        log.warning("welcome call failed: %r", exc, extra={"guild_id": place.guild.id})
        raise Retry(type(exc).__name__) from None


class DiscordWelcome:
    """The welcome's Discord side over the running client (`WelcomeDiscord`)."""

    def __init__(self, client: discord.Client, clock: Clock, pacer: Pacer | None = None) -> None:
        self._client = client
        self._clock = clock
        self._pacer = pacer or Pacer()
        self._shared: dict[int, tuple[int, discord.Thread]] = {}
        self._capped_until: dict[int, datetime] = {}
        self._greeter_turn: dict[int, int] = {}
        self._used: set[int] = set()  # threads this process opened or adopted for welcomes

    # -- what the cache says -----------------------------------------------------------------
    def guild_ids(self) -> list[int]:
        return [g.id for g in self._client.guilds]

    def has_guild(self, guild_id: int) -> bool:
        return self._client.get_guild(guild_id) is not None

    def is_member(self, guild_id: int, user_id: int) -> bool:
        guild = self._client.get_guild(guild_id)
        return guild is not None and guild.get_member(user_id) is not None

    def forget(self, guild_id: int) -> None:
        """A new setup: the next burst opens a new shared thread in the new channel."""
        self._shared.pop(guild_id, None)
        self._capped_until.pop(guild_id, None)

    def must_share(self, guild_id: int) -> bool:
        """Near the active-thread cap, or shortly after Discord said it was hit."""
        guild = self._client.get_guild(guild_id)
        capped = self._capped_until.get(guild_id)
        active = sum(1 for thread in guild.threads if not thread.archived) if guild else 0
        return near_thread_limit(active) or (capped is not None and self._clock.now() < capped)

    async def usable_channel(self, guild_id: int, cfg: WelcomeConfig) -> Place:
        """The welcome channel if it exists and the bot may work there; else Stop.
        A missing permission costs no REST call and does not pause: it heals by itself."""
        guild = self._client.get_guild(guild_id)
        channel = guild.get_channel(cfg.channel_id) if guild else None
        if guild is None or not isinstance(channel, discord.TextChannel):
            raise Stop("channel_missing", Problem("channel_missing", pause=True))
        missing = missing_permissions(
            channel.permissions_for(guild.me), ThreadKind(cfg.thread_kind_used)
        )
        if missing:
            problem = Problem(
                "missing:" + ",".join(missing), pause=False, channel_id=channel.id, perms=missing
            )
            raise Stop("missing_permissions", problem)
        return Place(guild, channel)

    # -- welcomes ----------------------------------------------------------------------------
    async def welcome_one(
        self,
        place: Place,
        cfg: WelcomeConfig,
        lang: str,
        pending: PendingJoin,
        on_opened: OnOpened,
    ) -> bool:
        """Open the newcomer's own thread (or take up the one an earlier attempt opened);
        False when Discord's thread cap says share."""
        guild, channel = place.guild, place.channel
        member = guild.get_member(pending.user_id)
        if member is None:  # the service checked just before, without awaiting
            return True
        greeter = guild.get_role(cfg.greeter_role_id) if cfg.greeter_role_id else None
        kind = ThreadKind(cfg.thread_kind_used)
        required = list(required_permissions(kind))
        name = render.thread_name(lang, member.display_name)
        again = pending.thread_id is not None or pending.attempted_at is not None
        thread = await self._thread_of(place, pending, name, required)
        if thread is None:
            pending.attempted_at = pending.attempted_at or discord.utils.utcnow()
            await self._pace(guild.id)
            try:
                thread = await self._create_thread(
                    channel, name, kind, cfg, "Foyer welcome thread", required, place
                )
            except _CapReached:
                self._capped_until[guild.id] = self._clock.now() + CAP_BACKOFF
                return False
        if pending.thread_id != thread.id:
            await on_opened(
                guild.id, channel.id, thread.id, [pending], owner_id=member.id, shared=False
            )
        values = render.template_values(member, guild, greeter)
        try:
            with calling(place, required):
                await thread.add_user(member)  # a PUT: asking twice is harmless
        except Stop as stop:
            if stop.failure == "channel_missing":  # 404 here: the newcomer left
                log.info("newcomer left before being added", extra={"guild_id": guild.id})
                return True
            raise
        if kind == ThreadKind.PRIVATE and greeter is not None:
            await self._add_greeters(place, thread, greeter, exclude=member.id)
        if again and member.id in await self._greeted(place, thread, {member.id}):
            return True  # the welcome of an earlier attempt is there already
        with calling(place, ["send_messages_in_threads"]):
            await thread.send(
                render.welcome_text(cfg, lang, values, greeter),
                allowed_mentions=render.mentions([member], greeter),
                nonce=_nonce(pending.welcome_id),
            )
        return True

    async def _thread_of(
        self, place: Place, pending: PendingJoin, name: str, required: Sequence[str]
    ) -> discord.Thread | None:
        """The thread an earlier attempt for `pending` opened, if any."""
        guild = place.guild
        if pending.thread_id is not None:
            return await self._known_thread(place, pending.thread_id, required)
        if pending.attempted_at is None:
            return None
        floor = discord.utils.time_snowflake(pending.attempted_at - CLOCK_SKEW)
        me = guild.me.id

        def ours(thread: discord.Thread) -> bool:
            return (
                thread.parent_id == place.channel.id
                and thread.owner_id == me
                and thread.name == name
                and thread.id >= floor
                and thread.id not in self._used
            )

        found = [th for th in guild.threads if ours(th)]
        if not found:
            with calling(place, required):
                found = [th for th in await guild.active_threads() if ours(th)]
        if not found:
            return None
        thread = min(found, key=lambda th: th.id)
        self._used.add(thread.id)
        log.info("welcome thread from an earlier attempt taken up", extra={"guild_id": guild.id})
        return thread

    async def _known_thread(
        self, place: Place, thread_id: int, required: Sequence[str]
    ) -> discord.Thread | None:
        """The thread `thread_id` (cache, then Discord); None when it was deleted since."""
        known = place.guild.get_thread(thread_id)
        if known is not None:
            return known
        try:
            with calling(place, required):
                fetched = await place.guild.fetch_channel(thread_id)
        except Stop as stop:
            if stop.failure == "channel_missing":  # deleted meanwhile: open another
                return None
            raise
        return fetched if isinstance(fetched, discord.Thread) else None

    async def _greeted(self, place: Place, thread: discord.Thread, user_ids: set[int]) -> set[int]:
        """Which of `user_ids` a recent message of the bot in `thread` mentions (an earlier
        attempt's welcome or arrivals). Only the mentions are read, nothing is kept. When
        the history is closed to the bot, none: greeting again beats greeting nobody."""
        me = place.guild.me.id
        found: set[int] = set()
        try:
            with calling(place, ["read_message_history"]):
                async for message in thread.history(limit=GREETED_LOOKUP):
                    if message.author.id == me:
                        found.update(user_ids.intersection(message.raw_mentions))
        except Stop:
            log.info("welcome thread history unreadable", extra={"guild_id": place.guild.id})
        return found

    async def _create_thread(
        self,
        channel: discord.TextChannel,
        name: str,
        kind: ThreadKind,
        cfg: WelcomeConfig,
        reason: str,
        required: Sequence[str],
        place: Place,
    ) -> discord.Thread:
        """Create a thread once: if Discord's THREAD_CREATE for it comes but the answer does
        not within `ANSWER_GRACE` (a 5xx that hid the success makes discord.py wait, then
        send it again), the call is cancelled and the thread taken as it is. Raises
        `_CapReached` on Discord's active-thread cap, else `Stop`/`Retry`."""
        me = channel.guild.me.id

        def ours(thread: discord.Thread) -> bool:
            return (
                thread.parent_id == channel.id
                and thread.owner_id == me
                and thread.name == name
                and thread.id not in self._used
            )

        seen: asyncio.Future[Any] = asyncio.ensure_future(
            self._client.wait_for("thread_create", check=ours)
        )
        call = asyncio.ensure_future(
            channel.create_thread(
                name=name,
                type=discord.ChannelType(int(kind)),
                auto_archive_duration=cfg.auto_archive_minutes,  # type: ignore[arg-type]
                invitable=True,
                reason=reason,
            )
        )
        try:
            await asyncio.wait({call, seen}, return_when=asyncio.FIRST_COMPLETED)
            if not call.done():
                await asyncio.wait({call}, timeout=ANSWER_GRACE)
            if call.done() and call.exception() is None:
                thread: discord.Thread = call.result()
            elif seen.done() and not seen.cancelled():
                thread = seen.result()
                log.info(
                    "welcome thread created though Discord's answer was lost: taken as is",
                    extra={"guild_id": channel.guild.id},
                )
            else:
                exc = call.exception()
                if isinstance(exc, discord.HTTPException) and exc.code == THREAD_CAP_CODE:
                    raise _CapReached
                with calling(place, required):
                    raise exc  # type: ignore[misc]
        finally:
            for task in (call, seen):
                if not task.done():
                    task.cancel()
            await asyncio.gather(call, seen, return_exceptions=True)
        self._used.add(thread.id)
        return thread

    async def welcome_shared(
        self,
        place: Place,
        cfg: WelcomeConfig,
        lang: str,
        joins: Sequence[PendingJoin],
        on_opened: OnOpened,
        *,
        key: int,
        thread_id: int | None = None,
    ) -> None:
        """Greet a group in the shared thread `key` (opened on first need), or in the
        shared thread `thread_id` they were placed in before (when it still exists), one
        message per `ARRIVALS_PER_MESSAGE` newcomers, each pinging only them; those a
        message of the bot there names already are not named again."""
        guild, channel = place.guild, place.channel
        thread = None
        if thread_id is not None:
            required = list(required_permissions(ThreadKind(cfg.thread_kind_used)))
            thread = await self._known_thread(place, thread_id, required)
        if thread is None:
            thread = await self._shared_thread(place, cfg, lang, key)
        placed = {p.user_id for p in joins if p.thread_id == thread.id}
        fresh = [p for p in joins if p.thread_id != thread.id]
        if fresh:
            await on_opened(guild.id, channel.id, thread.id, fresh, owner_id=None, shared=True)
        done = await self._greeted(place, thread, placed) if placed else set()
        present = [
            (p, m)
            for p in joins
            if p.user_id not in done and (m := guild.get_member(p.user_id)) is not None
        ]
        for i in range(0, len(present), ARRIVALS_PER_MESSAGE):
            group = [m for _, m in present[i : i + ARRIVALS_PER_MESSAGE]]
            await self._pace(guild.id)
            with calling(place, ["send_messages_in_threads"]):
                await thread.send(
                    render.arrivals(lang, group),
                    allowed_mentions=render.mentions(group),
                    nonce=_nonce(present[i][0].welcome_id, "a"),
                )

    async def _add_greeters(
        self, place: Place, thread: discord.Thread, greeter: discord.Role, *, exclude: int
    ) -> None:
        """A private thread is invisible to whoever is not in it: add a few greeters
        (taking turns across welcomes); the role mention calls the others."""
        people = sorted(
            (m for m in greeter.members if not m.bot and m.id != exclude), key=lambda m: m.id
        )
        if not people:
            return
        guild_id = place.guild.id
        turn = self._greeter_turn.get(guild_id, 0)
        self._greeter_turn[guild_id] = turn + 1
        count = min(GREETERS_ADDED, len(people))
        start = turn * count % len(people)
        for person in (people * 2)[start : start + count]:
            try:
                with calling(place, ["send_messages_in_threads"]):
                    await thread.add_user(person)
            except Stop as stop:
                if stop.failure == "channel_missing":
                    continue  # left meanwhile
                raise

    async def _shared_thread(
        self, place: Place, cfg: WelcomeConfig, lang: str, key: int
    ) -> discord.Thread:
        """The shared thread for `key` (a new key, or a deleted thread, opens a new one)."""
        guild, channel = place.guild, place.channel
        current = self._shared.get(guild.id)
        if current is not None and current[0] == key and guild.get_thread(current[1].id):
            return current[1]
        greeter = guild.get_role(cfg.greeter_role_id) if cfg.greeter_role_id else None
        kind = ThreadKind(cfg.thread_kind_used)
        required = list(required_permissions(kind))
        await self._pace(guild.id)
        try:
            thread = await self._create_thread(
                channel,
                render.shared_thread_name(lang),
                kind,
                cfg,
                "Foyer shared welcome thread (many joins at once)",
                required,
                place,
            )
        except _CapReached:
            raise Stop("refused", Problem("refused:160006", pause=False, code=160006)) from None
        self._shared[guild.id] = (key, thread)  # a retry after a lost answer reuses it
        with calling(place, required):
            await thread.send(
                render.shared_intro(lang, guild.name, greeter),
                allowed_mentions=render.mentions(role=greeter),
            )
        if kind == ThreadKind.PRIVATE and greeter is not None:
            await self._add_greeters(place, thread, greeter, exclude=0)
        return thread

    async def _pace(self, guild_id: int) -> None:
        delay = self._pacer.reserve(guild_id, asyncio.get_running_loop().time())
        if delay > 0:
            await asyncio.sleep(delay)  # spacing real REST calls: real time on purpose

    # -- the nudge and the admins' notice ----------------------------------------------------
    async def send_nudge(
        self, guild_id: int, thread_id: int, role_id: int, text: str
    ) -> int | None:
        """Post the nudge in the thread, pinging only the role; its message id, or None
        when Discord refused (logged, not retried)."""
        target = self._client.get_partial_messageable(thread_id, guild_id=guild_id)
        try:
            message = await target.send(
                text, allowed_mentions=render.mentions(role=discord.Object(role_id))
            )
        except discord.HTTPException as exc:
            log.warning("welcome nudge refused (%s)", exc.status, extra={"guild_id": guild_id})
            return None
        return message.id

    async def tell_admins(self, guild_id: int, admin_channel_id: int | None, text: str) -> str:
        """Send `text` to the admins: once, in the admin channel, else by a direct message
        to the owner, else only in the log. One attempt each: a refused notice is logged,
        never retried. Return where it went: "channel", "owner" or "log"."""
        guild = self._client.get_guild(guild_id)
        if guild is None:
            log.warning("welcome notice for admins not delivered", extra={"guild_id": guild_id})
            return "log"
        channel = guild.get_channel(admin_channel_id) if admin_channel_id else None
        if isinstance(channel, discord.TextChannel) and bot_can_post(channel):
            try:
                await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
                return "channel"
            except discord.HTTPException as exc:
                log.warning(
                    "admin channel refused a welcome notice (%s)",
                    exc.status,
                    extra={"guild_id": guild.id},
                )
        owner = guild.owner
        try:
            if owner is None and guild.owner_id:
                owner = await self._client.fetch_user(guild.owner_id)  # type: ignore[assignment]
            if owner is not None:
                await owner.send(text, allowed_mentions=discord.AllowedMentions.none())
                return "owner"
        except discord.HTTPException as exc:
            log.warning(
                "could not reach the guild owner by DM (%s)",
                exc.status,
                extra={"guild_id": guild.id},
            )
        log.warning("welcome notice for admins not delivered", extra={"guild_id": guild.id})
        return "log"
