"""Gap recovery end to end, with real restarts of the bot and gateway faults: thread
answers counted once however often the bot restarts or reconnects, a gap kept when a
RESUME lands right after a fresh IDENTIFY, and outages of any length backfilled exactly
once, continued from the database's cursor after a stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.db.models.activity import ActivityEvent, BackfillGap, DailyGuildActivity, EventKind
from bot.recording import backfill
from bot.recording.recovery import GapRecovery
from demo.harness import recovered, running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e

HISTORY = "/channels/{channel_id}/messages"


@pytest.fixture(autouse=True)
def quick_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backfill, "PAGE_DELAY", 0.02)


async def until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.02)


async def settle(sb: Sandbox, bot: Any) -> None:
    await sb.wait_for_bot_idle()
    await bot.recorder.flush()


async def messages_and_totals(db: Database, guild_id: int) -> tuple[list[int], dict[str, int]]:
    async with db.session() as s:
        ids = (
            await s.scalars(
                select(ActivityEvent.ref_id).where(
                    ActivityEvent.guild_id == guild_id, ActivityEvent.kind == EventKind.MESSAGE
                )
            )
        ).all()
        row = (
            await s.execute(
                select(
                    func.coalesce(func.sum(DailyGuildActivity.member_messages), 0),
                    func.coalesce(func.sum(DailyGuildActivity.peer_interactions), 0),
                ).where(DailyGuildActivity.guild_id == guild_id)
            )
        ).one()
    return list(ids), {"member_messages": int(row[0]), "peer_interactions": int(row[1])}


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The test's database, read from outside the bot (also between two runs)."""
    database = Database.from_url(database_url)
    yield database
    await database.close()


def restart(sb: Sandbox, database_url: str) -> Any:
    """A new process: the old session is gone, the next start IDENTIFYs."""
    sb.core.hub.sessions.clear()
    return running_foyer(sb, database_url=database_url, wait_for_sync=False)


def history_calls(sb: Sandbox, channel_id: int, since: int = 0, *, after: int = 0) -> list[Any]:
    """The history requests for a channel from the `since`-th on; with `after`, only those
    reading past that message (the backfill's: reaction recovery reads from the arrival)."""
    return [
        c
        for c in sb.calls_to("GET", HISTORY)[since:]
        if f"/{channel_id}/" in c.path and int(c.query.get("after", 0)) >= after
    ]


# -- thread answers ---------------------------------------------------------------------------
async def answered_thread(sb: Sandbox, town: Town) -> Any:
    owner, a, b = town.members
    thread = await sb.create_thread(town.help, owner, "help me")
    await sb.post(thread, a, "answer")  # thread answer a -> owner: peer
    await sb.post(thread, b, "answer")  # thread answer b -> owner: peer
    return thread


async def test_thread_answers_stay_counted_once_across_three_restarts(
    sandbox: Sandbox, database_url: str, db: Database
) -> None:
    town = build_town(sandbox)
    _, a, b = town.members
    async with running_foyer(sandbox, database_url=database_url) as bot:
        await recovered(bot, 1)
        thread = await answered_thread(sandbox, town)
        await settle(sandbox, bot)
    figures = [(await messages_and_totals(db, town.guild.id))[1]["peer_interactions"]]
    for _ in range(3):
        async with restart(sandbox, database_url) as bot:
            await recovered(bot, 1)  # it recorded the active thread's creation again
            await sandbox.post(thread, a, "one more")
            await sandbox.post(thread, b, "one more")
            await settle(sandbox, bot)
        figures.append((await messages_and_totals(db, town.guild.id))[1]["peer_interactions"])
    assert figures == [2, 2, 2, 2]
    ids, totals = await messages_and_totals(db, town.guild.id)
    assert len(ids) == 8 and totals["member_messages"] == 8


async def test_thread_answers_stay_counted_once_across_three_fresh_sessions(
    sandbox: Sandbox, database_url: str, db: Database
) -> None:
    town = build_town(sandbox)
    _, a, b = town.members
    async with running_foyer(sandbox, database_url=database_url) as bot:
        await recovered(bot, 1)
        thread = await answered_thread(sandbox, town)
        await settle(sandbox, bot)
        figures = [(await messages_and_totals(db, town.guild.id))[1]["peer_interactions"]]
        for session in (2, 3, 4):
            await sandbox.send_invalid_session(resumable=False)  # re-IDENTIFY, then recovery
            await recovered(bot, session)
            await sandbox.post(thread, a, "one more")
            await sandbox.post(thread, b, "one more")
            await settle(sandbox, bot)
            figures.append((await messages_and_totals(db, town.guild.id))[1]["peer_interactions"])
    assert figures == [2, 2, 2, 2]


# -- a RESUME right after a fresh IDENTIFY ----------------------------------------------------
@pytest.mark.parametrize("fault", ["op 7", "close 4000"])
async def test_a_resume_right_after_a_fresh_identify_keeps_the_gap(
    sandbox: Sandbox, database_url: str, db: Database, fault: str
) -> None:
    town = build_town(sandbox)
    m0, m1, _ = town.members
    hub = sandbox.core.hub
    async with running_foyer(sandbox, database_url=database_url) as bot:
        await recovered(bot, 1)
        seen = await sandbox.post(town.general, m0, "before")
        await settle(sandbox, bot)
        order: list[str] = []

        async def resumed(_shard: int) -> None:
            order.append("resumed")

        async def ready(_shard: int) -> None:
            order.append("ready")

        bot.add_listener(resumed, "on_shard_resumed")
        bot.add_listener(ready, "on_shard_ready")
        # discord.py waits this long after the last GUILD_CREATE before on_shard_ready:
        # wide enough for the RESUME below to land inside it every time.
        bot._connection.guild_ready_timeout = 1.0
        session = next(iter(hub.sessions.values()))
        hub.sessions.pop(session.id)  # Discord ends the session: nothing more reaches it
        gap = [await sandbox.post(town.general, m1, f"gap {i}") for i in range(60)]
        fetched = len(sandbox.calls_to("GET", HISTORY))
        hub.identified.clear()
        assert session.ws is not None
        await session.ws.close(code=4000)  # its RESUME gets op 9: a fresh IDENTIFY
        await asyncio.wait_for(hub.identified.wait(), 10)
        if fault == "op 7":  # right after it: the new session resumes
            await sandbox.send_reconnect()
        else:
            await sandbox.drop_socket(code=4000)
        await recovered(bot, 2)
        await settle(sandbox, bot)
    assert order == ["resumed", "ready"]
    ids, _ = await messages_and_totals(db, town.guild.id)
    assert sorted(ids) == sorted([seen.id, *(m.id for m in gap)])
    # Recovery read from the last message recorded before the disconnect, not from the
    # process start (with more than a page of messages since, it never reached the gap).
    reads = history_calls(sandbox, town.general.id, fetched)
    assert reads and reads[0].query.get("after") == str(seen.id)


# -- a run stopped before its recovery opened the gaps ---------------------------------------
async def test_a_run_stopped_before_its_gaps_opened_leaves_them_to_the_next_start(
    sandbox: Sandbox, database_url: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The soak's lost reply: a message sent while the bot was down, then a start that
    recorded a live message in the same channel and was killed before its recovery opened
    the gaps. The next start must not take that live message as where the gap begins."""
    town = build_town(sandbox)
    m0, m1, m2 = town.members
    async with running_foyer(sandbox, database_url=database_url) as bot:
        await recovered(bot, 1)
        seen = await sandbox.post(town.general, m0, "before")
        await settle(sandbox, bot)
    missed = await sandbox.post(town.general, m1, "while down", reply_to=seen)
    held = asyncio.Event()
    opening = GapRecovery._open_gaps

    async def never_opened(self: GapRecovery, *args: Any) -> Any:
        held.set()
        await asyncio.Event().wait()  # stopped before the gaps are opened
        return await opening(self, *args)

    monkeypatch.setattr(GapRecovery, "_open_gaps", never_opened)
    async with restart(sandbox, database_url) as bot:
        await asyncio.wait_for(held.wait(), 10)
        live = await sandbox.post(town.general, m2, "live")
        await settle(sandbox, bot)
        assert live.id in (await messages_and_totals(db, town.guild.id))[0]
    monkeypatch.setattr(GapRecovery, "_open_gaps", opening)
    async with restart(sandbox, database_url) as bot:
        await recovered(bot, 1)
        await settle(sandbox, bot)
    ids, totals = await messages_and_totals(db, town.guild.id)
    assert sorted(ids) == sorted([seen.id, missed.id, live.id])
    assert totals == {"member_messages": 3, "peer_interactions": 1}
    assert await open_gaps(db) == []
    assert await backfill.gap_marks(db, [0]) == {}  # recovered: no mark left to read from


# -- long outages -------------------------------------------------------------------------------
async def post_while_down(sb: Sandbox, town: Town, count: int) -> list[int]:
    return [
        (await sb.post(town.general, town.members[i % 3], f"down {i}")).id for i in range(count)
    ]


async def open_gaps(db: Database) -> list[BackfillGap]:
    async with db.session() as s:
        return list((await s.scalars(select(BackfillGap))).all())


async def test_an_outage_of_2500_messages_is_backfilled_exactly_once(
    sandbox: Sandbox, database_url: str, db: Database
) -> None:
    town = build_town(sandbox)
    async with running_foyer(sandbox, database_url=database_url) as bot:
        await recovered(bot, 1)
        seen = await sandbox.post(town.general, town.members[0], "before")
        await settle(sandbox, bot)
    gap = await post_while_down(sandbox, town, 2_500)
    fetched = len(sandbox.calls_to("GET", HISTORY))
    async with restart(sandbox, database_url) as bot:
        await recovered(bot, 1)
        await settle(sandbox, bot)
    ids, totals = await messages_and_totals(db, town.guild.id)
    assert len(ids) == len(set(ids)) == 2_501
    assert set(ids) == {seen.id, *gap}
    assert totals["member_messages"] == 2_501
    assert await open_gaps(db) == []
    # 25 full pages from `seen` on, then the page that finds the end.
    reads = history_calls(sandbox, town.general.id, fetched, after=seen.id)
    assert len(reads) == 26 and reads[0].query.get("after") == str(seen.id)


async def test_a_backfill_stopped_midway_continues_from_its_cursor(
    sandbox: Sandbox, database_url: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backfill, "PAGE_DELAY", 0.1)  # slow enough to stop it midway
    town = build_town(sandbox)
    async with running_foyer(sandbox, database_url=database_url) as bot:
        await recovered(bot, 1)
        seen = await sandbox.post(town.general, town.members[0], "before")
        await settle(sandbox, bot)
    gap = await post_while_down(sandbox, town, 2_500)
    fetched = len(sandbox.calls_to("GET", HISTORY))
    async with restart(sandbox, database_url):
        pages = lambda: len(history_calls(sandbox, town.general.id, fetched, after=seen.id))  # noqa: E731
        await until(lambda: pages() >= 8, "8 pages read")
    # Stopped 8 pages in: the cursor says where the gap still starts.
    midway, _ = await messages_and_totals(db, town.guild.id)
    [row] = [g for g in await open_gaps(db) if g.place_id == town.general.id]
    assert 1 + 7 * 100 <= len(midway) < 2_501
    assert row.after_id in midway and all(i in midway for i in gap if i <= row.after_id)
    resumed_at = len(sandbox.calls_to("GET", HISTORY))
    async with restart(sandbox, database_url) as bot:
        await recovered(bot, 1)
        await settle(sandbox, bot)
    ids, totals = await messages_and_totals(db, town.guild.id)
    assert len(ids) == len(set(ids)) == 2_501 and set(ids) == {seen.id, *gap}
    assert totals["member_messages"] == 2_501
    assert await open_gaps(db) == []
    reads = history_calls(sandbox, town.general.id, resumed_at)
    assert reads[0].query.get("after") == str(row.after_id)
    assert len(history_calls(sandbox, town.general.id, fetched, after=seen.id)) <= 26 + 1
