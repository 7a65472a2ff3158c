"""Welcomes through Discord's faults and the bot's absences, end to end.

Passing failures (5xx, a 429 discord.py gave up on) are tried again and never pause; a
5xx that hid a created thread never opens a second one; joins the bot did not see (it was
stopped, or its session was lost) are welcomed at the next start or new session, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.db.models import Welcome
from bot.db.models.welcome import DEFAULT_BURST_THRESHOLD
from bot.i18n import t
from bot.welcome.service import WelcomeService
from demo.harness import running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e

CREATE_THREAD = ("POST", "/channels/{channel_id}/threads")
POST_MESSAGE = ("POST", "/channels/{channel_id}/messages")


async def eventually(check: Callable[[], bool], timeout: float = 15.0) -> None:  # noqa: ASYNC109
    """Until `check()` holds (the new session's reconcile runs in its own task)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def service(bot: Any) -> WelcomeService:
    svc: WelcomeService = bot.get_cog("WelcomeCog").service
    svc.retry_delays = (0.05,)  # the rounds' spacing, shortened for the test
    return svc


async def settle(sb: Sandbox, bot: Any) -> None:
    await sb.wait_for_bot_idle()
    await service(bot).wait_idle()
    await sb.wait_for_bot_idle()


async def rows(bot: Any, town: Town) -> list[Welcome]:
    async with bot.db.session() as session:
        found = await session.scalars(
            select(Welcome).where(Welcome.guild_id == town.guild.id).order_by(Welcome.id)
        )
        return list(found.all())


async def setup(sb: Sandbox, town: Town) -> None:
    await sb.invoke(
        town.guild, town.admin, "setup", subcommand="set", options={"admin_channel": town.help}
    )
    res = await sb.invoke(
        town.guild, town.admin, "welcome", subcommand="setup", options={"channel": town.general}
    )
    assert t("welcome.saved", "fr") in (res.content or "")


def threads_of(sb: Sandbox, town: Town, user_id: int) -> list[Any]:
    """The welcome threads whose welcome message pings `user_id`."""
    found = []
    for thread in sb.threads_in(town.general):
        if any(f"<@{user_id}>" in (m.content or "") for m in sb.messages_in(thread)):
            found.append(thread)
    return found


@pytest.fixture
async def foyer(sandbox: Sandbox, database_url: str) -> AsyncIterator[tuple[Sandbox, Any, Town]]:
    town = build_town(sandbox)
    clock = ManualClock(datetime.now(UTC))  # after the town: its members were there before Foyer
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await setup(sandbox, town)
        yield sandbox, bot, town


@pytest.mark.parametrize(("status", "count", "calls"), [(503, 3, 5), (429, 5, 7)])
async def test_a_passing_failure_is_tried_again_and_pauses_nothing(
    foyer: tuple[Sandbox, Any, Town], status: int, count: int, calls: int
) -> None:
    """Three 503s (discord.py does not retry them: three rounds) or five 429s (discord.py
    tries five times, then raises: one round) reach the bot as errors: the join is tried
    again, nothing pauses, no "error 0"."""
    sb, bot, town = foyer
    sb.faults.next(*CREATE_THREAD, status=status, count=count)
    ana = await sb.join(town.guild, "ana")
    await settle(sb, bot)
    bob = await sb.join(town.guild, "bob")
    await settle(sb, bot)

    assert len(sb.calls_to(*CREATE_THREAD)) == calls  # the failed ones, ana's, bob's
    assert len(threads_of(sb, town, ana.user.id)) == 1
    assert len(threads_of(sb, town, bob.user.id)) == 1
    assert [(r.failure, r.thread_id is not None) for r in await rows(bot, town)] == [
        (None, True),
        (None, True),
    ]
    notices = [m.content or "" for m in sb.messages_in(town.help)]
    assert not any("0)" in n or t("welcome.notice.paused", "fr") in n for n in notices)
    show = await sb.invoke(town.guild, town.admin, "welcome", subcommand="show")
    assert "en pause" not in (show.content or "")


async def test_sixteen_seconds_of_502_do_not_pause_the_welcome(
    foyer: tuple[Sandbox, Any, Town],
) -> None:
    """Five 502s: discord.py retries for about 16 s and gives up; Foyer tries again."""
    sb, bot, town = foyer
    sb.faults.next(*CREATE_THREAD, status=502, count=5)
    ana = await sb.join(town.guild, "ana")
    await settle(sb, bot)
    assert len(threads_of(sb, town, ana.user.id)) == 1
    (row,) = await rows(bot, town)
    assert row.failure is None and row.thread_id is not None
    async with bot.db.session() as session:
        from bot.db.models.welcome import WelcomeConfig

        cfg = await session.get(WelcomeConfig, town.guild.id)
    assert cfg is not None and not cfg.paused


async def test_a_502_after_the_thread_was_made_opens_no_second_thread(
    foyer: tuple[Sandbox, Any, Town],
) -> None:
    sb, bot, town = foyer
    sb.faults.next(*CREATE_THREAD, status=502, count=1, after=True)
    ana = await sb.join(town.guild, "ana")
    await settle(sb, bot)
    assert len(sb.threads_in(town.general)) == 1
    assert len(threads_of(sb, town, ana.user.id)) == 1
    (row,) = await rows(bot, town)
    assert row.thread_id == sb.threads_in(town.general)[0].id and row.failure is None


async def test_after_five_hidden_successes_the_existing_thread_is_taken_up(
    foyer: tuple[Sandbox, Any, Town],
) -> None:
    """Every creation answered 503 although Discord made the thread: the next round finds
    the thread in the channel's active threads instead of opening another one."""
    sb, bot, town = foyer
    sb.faults.next(*CREATE_THREAD, status=503, count=1, after=True)
    ana = await sb.join(town.guild, "ana")
    await settle(sb, bot)
    (thread,) = sb.threads_in(town.general)
    assert len(threads_of(sb, town, ana.user.id)) == 1
    assert ana.user.id in thread.thread_members
    (row,) = await rows(bot, town)
    assert row.thread_id == thread.id


async def test_joins_while_the_bot_is_stopped_are_welcomed_once_at_start(
    sandbox: Sandbox, database_url: str
) -> None:
    sb = sandbox
    town = build_town(sb)
    clock = ManualClock(datetime.now(UTC))  # after the town: its members were there before Foyer
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:
        await setup(sb, town)
        early = await sb.join(town.guild, "early")
        await settle(sb, bot)
    # stopped: these joins reach nobody
    away = [await sb.join(town.guild, f"away{i}") for i in range(4)]
    old = await sb.join(town.guild, "old", at=datetime.now(UTC) - timedelta(days=2))
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:
        await eventually(lambda: len(sb.threads_in(town.general)) >= 5)
        await settle(sb, bot)
        for member in [early, *away]:
            assert len(threads_of(sb, town, member.user.id)) == 1, member.user.username
        assert threads_of(sb, town, old.user.id) == []  # before the welcome existed
        recorded = await rows(bot, town)
        assert sorted(r.user_id for r in recorded) == sorted(m.user.id for m in [early, *away])
        assert all(r.thread_id is not None and r.failure is None for r in recorded)
    # a third start finds nothing to do
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:
        await settle(sb, bot)
        assert len(await rows(bot, town)) == 5
    assert len(sb.threads_in(town.general)) == 5


async def test_joins_queued_at_shutdown_are_welcomed_at_the_next_start(
    sandbox: Sandbox, database_url: str
) -> None:
    sb = sandbox
    town = build_town(sb)
    clock = ManualClock(datetime.now(UTC))  # after the town: its members were there before Foyer
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:
        await setup(sb, town)
        svc = service(bot)
        svc.retry_delays = (30.0,)  # Discord down: the joins wait in the queue
        sb.faults.next(*CREATE_THREAD, status=503, count=1)
        queued = [await sb.join(town.guild, f"q{i}") for i in range(3)]
        await sb.wait_for_bot_idle()
        await sb.wait_for_call(*CREATE_THREAD)
    interrupted = await rows(bot, town)
    assert [r.failure for r in interrupted] == ["interrupted"] * 3
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:
        await eventually(lambda: len(sb.threads_in(town.general)) >= 3)
        await settle(sb, bot)
        for member in queued:
            assert len(threads_of(sb, town, member.user.id)) == 1
        assert [r.failure for r in await rows(bot, town)] == [None] * 3


async def test_joins_during_a_lost_session_are_welcomed_after_the_new_one(
    foyer: tuple[Sandbox, Any, Town],
) -> None:
    sb, bot, town = foyer
    seen = await sb.join(town.guild, "seen")
    await settle(sb, bot)
    # members join while the session is lost: Discord never sends their GUILD_MEMBER_ADD,
    # the next session (IDENTIFY, not RESUME) lists them in GUILD_CREATE
    missed = [sb.create_member(town.guild, f"m{i}", joined_at=datetime.now(UTC)) for i in range(3)]
    sb.core.hub.identified.clear()
    await sb.send_invalid_session(resumable=False)
    await asyncio.wait_for(sb.core.hub.identified.wait(), 10)
    await eventually(lambda: len(sb.threads_in(town.general)) == 4)
    await settle(sb, bot)
    for member in [seen, *missed]:
        assert len(threads_of(sb, town, member.user.id)) == 1
    assert len(await rows(bot, town)) == 4


async def test_a_thread_left_without_its_message_gets_it_at_the_next_start(
    sandbox: Sandbox, database_url: str
) -> None:
    """The bot stops after the thread was opened and recorded, before the welcome message
    went out: the next start posts it in that thread, once, and opens no other thread."""
    sb = sandbox
    town = build_town(sb)
    clock = ManualClock(datetime.now(UTC))  # after the town: its members were there before Foyer
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:
        await setup(sb, town)
        await settle(sb, bot)
        service(bot).retry_delays = (30.0,)  # the message's retry waits past the stop
        posts = len(sb.calls_to(*POST_MESSAGE))
        sb.faults.next(*POST_MESSAGE, status=503, count=1)
        ana = await sb.join(town.guild, "ana")
        await eventually(lambda: len(sb.calls_to(*POST_MESSAGE)) > posts)
        await sb.wait_for_bot_idle()
    (thread,) = sb.threads_in(town.general)
    assert threads_of(sb, town, ana.user.id) == []  # stopped before the welcome message
    (row,) = await rows(bot, town)
    assert row.thread_id == thread.id
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:
        await eventually(lambda: bool(threads_of(sb, town, ana.user.id)))
        await settle(sb, bot)
        assert threads_of(sb, town, ana.user.id) == [thread]
        welcomes = [m for m in sb.messages_in(thread) if f"<@{ana.user.id}>" in (m.content or "")]
        assert len(welcomes) == 1
        (row,) = await rows(bot, town)
        assert row.thread_id == thread.id and row.failure is None
    # a third start sends nothing more
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:
        await settle(sb, bot)
    assert len(sb.threads_in(town.general)) == 1
    assert len(sb.messages_in(thread)) == len(welcomes)


def start_burst(bot: Any, town: Town) -> None:
    """Put the guild in a burst, as if many had just joined: its joins go to the shared
    thread (the detector counts the joins' times, which the sandbox takes from the real
    clock)."""
    svc = service(bot)
    now = datetime.now(UTC)
    for _ in range(DEFAULT_BURST_THRESHOLD + 1):
        svc.detector.observe(town.guild.id, now, DEFAULT_BURST_THRESHOLD)
    assert svc.detector.active(town.guild.id)


def mentions_of(sb: Sandbox, thread: Any, user_id: int) -> int:
    return sum(1 for m in sb.messages_in(thread) if f"<@{user_id}>" in (m.content or ""))


async def test_a_newcomer_of_a_shared_thread_left_without_arrivals_gets_them_at_next_start(
    sandbox: Sandbox, database_url: str
) -> None:
    """In a burst, the bot stops after bob was placed in the shared thread and before the
    arrivals message naming him went out (a 503 on it, the retry waiting past the stop):
    the next start greets him in that thread, once, and greets nobody there twice."""
    sb = sandbox
    town = build_town(sb)
    clock = ManualClock(datetime.now(UTC))  # after the town: its members were there before Foyer
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:
        await setup(sb, town)
        await settle(sb, bot)
        start_burst(bot, town)
        ana = await sb.join(town.guild, "ana")
        await settle(sb, bot)
        (shared,) = sb.threads_in(town.general)
        assert threads_of(sb, town, ana.user.id) == [shared]
        service(bot).retry_delays = (30.0,)  # the arrivals' retry waits past the stop
        sb.faults.next("POST", f"/channels/{shared.id}/messages", status=503)
        posts = len(sb.calls_to(*POST_MESSAGE))
        bob = await sb.join(town.guild, "bob")
        await eventually(lambda: len(sb.calls_to(*POST_MESSAGE)) > posts)
        await sb.wait_for_bot_idle()
    assert threads_of(sb, town, bob.user.id) == []  # stopped before his arrivals message
    assert {r.user_id: r.thread_id for r in await rows(bot, town)} == {
        ana.user.id: shared.id,
        bob.user.id: shared.id,
    }
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:
        await eventually(lambda: bool(threads_of(sb, town, bob.user.id)))
        await settle(sb, bot)
        assert sb.threads_in(town.general) == [shared]
        assert (mentions_of(sb, shared, ana.user.id), mentions_of(sb, shared, bob.user.id)) == (
            1,
            1,
        )
        recorded = await rows(bot, town)
        assert [(r.thread_id, r.shared, r.failure) for r in recorded] == [
            (shared.id, True, None)
        ] * 2
    messages = len(sb.messages_in(shared))
    async with running_foyer(sb, database_url=database_url, clock=clock) as bot:  # nothing more
        await settle(sb, bot)
    assert sb.threads_in(town.general) == [shared]
    assert len(sb.messages_in(shared)) == messages


async def test_a_shared_thread_newcomer_retried_after_the_burst_is_greeted_there(
    foyer: tuple[Sandbox, Any, Town],
) -> None:
    """A 503 on bob's arrivals message and the burst over by the retry: bob is still
    greeted in the shared thread he was placed in (not taken for his own thread, which
    already held a message), and gets no thread of his own."""
    sb, bot, town = foyer
    svc = service(bot)
    start_burst(bot, town)
    ana = await sb.join(town.guild, "ana")
    await settle(sb, bot)
    (shared,) = sb.threads_in(town.general)
    svc.retry_delays = (1.0,)
    sb.faults.next("POST", f"/channels/{shared.id}/messages", status=503)
    posts = len(sb.calls_to(*POST_MESSAGE))
    bob = await sb.join(town.guild, "bob")
    await eventually(lambda: len(sb.calls_to(*POST_MESSAGE)) > posts)
    svc.detector.forget(town.guild.id)  # the burst is over before the retry
    await settle(sb, bot)
    assert sb.threads_in(town.general) == [shared]
    assert (mentions_of(sb, shared, ana.user.id), mentions_of(sb, shared, bob.user.id)) == (1, 1)
    assert [r.failure for r in await rows(bot, town)] == [None, None]
