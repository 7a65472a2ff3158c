"""Every scheduled post exactly once, through the sandbox: the process dies after Discord
accepted the post but before its id was saved, restarts within Discord's nonce window or
after it, and the channel holds one post (and for a ritual, one thread); discord.py's own
retries after a 502 that hid a success make no second post or thread either.

"Dies" is simulated in-process: saving the post id raises a `BaseException` the scheduler
does not catch, so the ledger row stays claimed exactly as a SIGKILL there would leave it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.db.models import Ritual, RunStatus, ScheduledRun
from bot.db.models.activity import ThreadContext, TrackedThread
from demo.harness import running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e

START = datetime(2026, 10, 1, 10, tzinfo=UTC)  # Thursday; the ritual runs Monday 07:00 UTC
MONDAY = datetime(2026, 10, 5, 7, tzinfo=UTC)
DIGEST_MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Paris
POSTS = "/channels/{channel_id}/messages"


class Died(BaseException):
    """The process stopping dead (nothing after it runs, nothing catches it)."""


def dying(*_: Any, **__: Any) -> Awaitable[None]:
    async def die() -> None:
        raise Died

    return die()


async def rows(bot: Any, prefix: str) -> list[ScheduledRun]:
    async with bot.db.session() as session:
        found = await session.scalars(
            select(ScheduledRun).where(ScheduledRun.job_key.like(f"{prefix}:%"))
        )
        return list(found.all())


def bot_posts(sandbox: Sandbox, channel: Any) -> list[Any]:
    return [m for m in sandbox.messages_in(channel) if m.author.bot]


async def add_ritual(sandbox: Sandbox, town: Town, bot: Any, ping_role: Any = None) -> Ritual:
    options: dict[str, Any] = {"preset": "monday_motivation", "channel": town.general}
    if ping_role is not None:
        options["ping_role"] = ping_role
    await sandbox.invoke(town.guild, town.admin, "ritual", subcommand="add", options=options)
    async with bot.db.session() as session:
        ritual = await session.scalar(select(Ritual))
    assert ritual is not None
    return ritual


async def started(bot: Any) -> None:
    """Let on_ready's `Scheduler.start` finish its catch-up, so the test's own `run_due`
    after moving the clock is the one that runs the occurrence."""
    for _ in range(200):
        if bot.scheduler.started:
            break
        await asyncio.sleep(0.05)
    await bot.scheduler.run_due()  # waits behind start's catch-up; nothing is due yet


async def die_while_posting(bot: Any, sandbox: Sandbox, clock: ManualClock, when: datetime) -> None:
    """At `when`, run the due occurrence; the process dies once Discord accepted the post."""
    await started(bot)
    clock.set(when)
    bot.scheduler.ledger.record_post = dying
    with pytest.raises(Died):
        await bot.scheduler.run_due()
    await sandbox.wait_for_bot_idle()


async def catch_up(bot: Any, sandbox: Sandbox) -> None:
    """What the restarted process's `Scheduler.start` does (on_ready may still be on its
    way to it): finish the claimed rows, then run what is due."""
    await bot.scheduler.recover()
    await bot.scheduler.run_due()
    await sandbox.wait_for_bot_idle()


@pytest.mark.parametrize("nonce_window", ["within", "after"])
async def test_a_ritual_posted_before_a_crash_is_adopted_not_posted_again(
    sandbox: Sandbox, database_url: str, nonce_window: str
) -> None:
    clock = ManualClock(START)
    town = build_town(sandbox)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await add_ritual(sandbox, town, bot)
        await sandbox.post(town.general, town.members[0], "bonjour")  # history before it
        await die_while_posting(bot, sandbox, clock, MONDAY)
        (claimed,) = await rows(bot, "ritual")
    (first,) = bot_posts(sandbox, town.general)
    assert claimed.status == RunStatus.CLAIMED and claimed.post_id is None
    assert claimed.channel_id == town.general.id  # the intent was saved before the call
    assert sandbox.threads_in(town.general) == []
    if nonce_window == "after":
        sandbox.core.nonce_window = timedelta(0)  # Discord no longer deduplicates it
    sent_before = len(sandbox.calls_to("POST", POSTS))

    clock.set(MONDAY + timedelta(hours=1))  # within the scheduler's 6 h grace
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await catch_up(bot, sandbox)
        (row,) = await rows(bot, "ritual")

    assert [m.id for m in bot_posts(sandbox, town.general)] == [first.id]
    (thread,) = sandbox.threads_in(town.general)
    assert thread.id == first.id
    assert (row.status, row.post_id, row.thread_id) == (RunStatus.POSTED, first.id, thread.id)
    # Adopted from the history: no second create at all, not even a deduplicated one.
    creates = sandbox.calls_to("POST", POSTS)[sent_before:]
    assert [c for c in creates if c.path == f"/channels/{town.general.id}/messages"] == []


async def test_a_ritual_thread_already_opened_is_adopted_after_a_502(
    sandbox: Sandbox, database_url: str
) -> None:
    """Discord opened the thread but answered 502; discord.py retries and Discord refuses
    a second thread on the message (160004): the bot adopts the one that exists."""
    clock = ManualClock(START)
    town = build_town(sandbox)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await add_ritual(sandbox, town, bot)
        sandbox.faults.next(
            "POST", f"/channels/{town.general.id}/messages/*/threads", status=502, after=True
        )
        await started(bot)
        clock.set(MONDAY)
        await bot.scheduler.run_due()
        await sandbox.wait_for_bot_idle()
        (row,) = await rows(bot, "ritual")
        marked = await thread_context(bot, row.thread_id)
    (post,) = bot_posts(sandbox, town.general)
    (thread,) = sandbox.threads_in(town.general)
    assert (row.status, row.post_id, row.thread_id) == (RunStatus.POSTED, post.id, thread.id)
    assert marked == ThreadContext.RITUAL  # its answers count as ritual answers
    statuses = [c.status for c in sandbox.calls_to("POST", POSTS + "/{message_id}/threads")]
    assert statuses[:2] == [502, 400]


async def test_a_502_after_the_ritual_post_is_retried_into_the_same_message(
    sandbox: Sandbox, database_url: str
) -> None:
    clock = ManualClock(START)
    town = build_town(sandbox)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await add_ritual(sandbox, town, bot)
        sandbox.faults.next("POST", f"/channels/{town.general.id}/messages", status=502, after=True)
        await started(bot)
        clock.set(MONDAY)
        await bot.scheduler.run_due()
        await sandbox.wait_for_bot_idle()
        (row,) = await rows(bot, "ritual")
    (post,) = bot_posts(sandbox, town.general)
    assert len(sandbox.threads_in(town.general)) == 1
    assert (row.status, row.post_id) == (RunStatus.POSTED, post.id)


async def thread_context(bot: Any, thread_id: int | None) -> Any:
    await bot.recorder.flush()
    async with bot.db.session() as session:
        return await session.scalar(
            select(TrackedThread.context).where(TrackedThread.thread_id == thread_id)
        )


@pytest.mark.parametrize("nonce_window", ["within", "after"])
async def test_a_digest_posted_before_a_crash_is_adopted_not_posted_again(
    sandbox: Sandbox, database_url: str, nonce_window: str
) -> None:
    town = build_town(sandbox, "Atelier", locale="fr", members=3, bot_in_admin=True)
    clock = ManualClock(DIGEST_MONDAY - timedelta(hours=2))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await bot.guild_settings.update(town.guild.id, admin_channel_id=town.admin_channel.id)
        await die_while_posting(bot, sandbox, clock, DIGEST_MONDAY + timedelta(minutes=1))
    (first,) = bot_posts(sandbox, town.admin_channel)
    if nonce_window == "after":
        sandbox.core.nonce_window = timedelta(0)

    clock.set(DIGEST_MONDAY + timedelta(minutes=30))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await catch_up(bot, sandbox)
        (row,) = await rows(bot, "digest")
    assert [m.id for m in bot_posts(sandbox, town.admin_channel)] == [first.id]
    assert (row.status, row.post_id) == (RunStatus.POSTED, first.id)


async def test_a_ritual_with_its_ping_role_button_is_adopted_by_its_custom_id(
    sandbox: Sandbox, database_url: str
) -> None:
    clock = ManualClock(START)
    town = build_town(sandbox)
    role = sandbox.create_role(town.guild, "Rituels")
    role.mentionable = True
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        ritual = await add_ritual(sandbox, town, bot, ping_role=role)
        await die_while_posting(bot, sandbox, clock, MONDAY)
    (first,) = bot_posts(sandbox, town.general)
    assert first.components  # the bell, `foyer:ritual-role:<id>`
    sandbox.core.nonce_window = timedelta(0)
    clock.set(MONDAY + timedelta(hours=1))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await catch_up(bot, sandbox)
        (row,) = await rows(bot, "ritual")
    assert ritual.ping_role_id == role.id
    assert [m.id for m in bot_posts(sandbox, town.general)] == [first.id]
    assert (row.status, row.post_id) == (RunStatus.POSTED, first.id)
    assert len(sandbox.threads_in(town.general)) == 1


async def test_a_ritual_whose_channel_history_is_closed_is_not_posted_again(
    sandbox: Sandbox, database_url: str
) -> None:
    """Beyond Discord's window and unable to read the history, the bot cannot make sure:
    it records the occurrence failed (`unverifiable`) rather than risk a second post."""
    clock = ManualClock(START)
    town = build_town(sandbox)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await add_ritual(sandbox, town, bot)
        await die_while_posting(bot, sandbox, clock, MONDAY)
    sandbox.core.nonce_window = timedelta(0)
    history = 1 << 16  # READ_MESSAGE_HISTORY
    sandbox.set_overwrite(town.general, town.guild.everyone, deny=history)
    clock.set(MONDAY + timedelta(hours=1))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await catch_up(bot, sandbox)
        (row,) = await rows(bot, "ritual")
    assert len(bot_posts(sandbox, town.general)) == 1
    assert (row.status, row.reason) == (RunStatus.FAILED, "unverifiable")
