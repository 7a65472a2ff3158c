"""Reactions through restarts, end to end: what the bot received survives a process that
dies before its flush (the journal), and what was made while it was down is read back from
Discord at the next start (reaction recovery)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models.activity import ActivityEvent, DailyGuildActivity, EventKind
from bot.recording import reaction_recovery
from demo.harness import FoyerEnv, running_foyer
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e

REACTORS = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}"
ADD, REMOVE = int(EventKind.REACTION_ADD), int(EventKind.REACTION_REMOVE)

Reactions = set[tuple[int, int, int, str]]  # (kind, message, user, emoji)


async def reactions(env: FoyerEnv) -> tuple[list[tuple[int, int, int, str]], int]:
    """Every reaction row (duplicates would show), and the guild's recognition total."""
    async with env.bot.db.session() as s:
        e = ActivityEvent
        rows = (
            await s.execute(
                select(e.kind, e.ref_id, e.actor_id, e.emoji).where(
                    e.guild_id == env.town.guild.id, e.kind.in_([ADD, REMOVE])
                )
            )
        ).all()
        total = await s.scalar(
            select(func.coalesce(func.sum(DailyGuildActivity.reactions), 0)).where(
                DailyGuildActivity.guild_id == env.town.guild.id
            )
        )
    return sorted((int(k), r, a, em) for k, r, a, em in rows), int(total or 0)


async def eventually(
    env: FoyerEnv, expected: Reactions, *, messages: int = 0
) -> list[tuple[int, int, int, str]]:
    """The reaction rows once they are `expected` (and at least `messages` messages are
    stored): handlers and recovery run after the dispatch is read; after 10 s, whatever
    is there."""
    rows: list[tuple[int, int, int, str]] = []
    for _ in range(100):
        await env.sb.wait_for_bot_idle()
        await env.bot.recorder.flush()
        rows, _total = await reactions(env)
        async with env.bot.db.session() as s:
            stored = await s.scalar(
                select(func.count()).where(ActivityEvent.kind == int(EventKind.MESSAGE))
            )
        if set(rows) == expected and (stored or 0) >= messages:
            break
        await asyncio.sleep(0.1)
    return rows


async def test_reactions_received_before_a_kill_are_recorded_once_after_restart(
    sandbox: Sandbox, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies with its reactions still buffered: the next start writes them
    from the journal (reaction recovery is off here, so only the journal can)."""

    async def not_from_discord(*_args: object) -> int:
        return 0

    monkeypatch.setattr(reaction_recovery.ReactionRecovery, "recover", not_from_discord)
    town = build_town(sandbox)
    m0, m1, m2 = town.members
    journal = tmp_path / "foyer.journal"
    expected: Reactions = set()
    async with running_foyer(sandbox, database_url=database_url, journal_file=journal) as bot:
        env = FoyerEnv(sandbox, bot, town)
        posts = [await sandbox.post(town.general, m0, f"post {i}") for i in range(4)]
        await eventually(env, set(), messages=len(posts))  # the posts are written

        async def never(*_args: object) -> None:
            return None

        monkeypatch.setattr(bot.recorder, "flush", never)  # the flush never comes
        for post in posts:
            for who, emoji in [(m1, "👍"), (m2, "👍"), (m1, "🔥")]:
                await sandbox.react(post, who, emoji)
                expected.add((ADD, post.id, who.user.id, emoji))
        await sandbox.unreact(posts[0], m2, "👍")
        expected.add((REMOVE, posts[0].id, m2.user.id, "👍"))
        await sandbox.wait_for_bot_idle()
        assert bot.recorder.pending == len(expected) == 13
        killed_at = bot.clock.now()
        bot.recorder._buffer.clear()  # what a SIGKILL takes from the process
    sandbox.core.hub.sessions.clear()
    async with running_foyer(
        sandbox, database_url=database_url, journal_file=journal, wait_for_sync=False
    ) as bot:
        env = FoyerEnv(sandbox, bot, town)
        rows = await eventually(env, expected)
        _rows, total = await reactions(env)
        async with bot.db.session() as s:
            latest = await s.scalar(
                select(func.max(ActivityEvent.occurred_at)).where(
                    ActivityEvent.kind.in_([ADD, REMOVE])
                )
            )
    assert rows == sorted(expected)  # each once
    assert total == 12  # members on a member's post; the removed one stays counted
    assert isinstance(latest, datetime) and latest <= killed_at  # their received times


async def test_reactions_made_while_the_bot_was_stopped_are_recorded_after_restart(
    sandbox: Sandbox, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recovered: asyncio.Queue[int] = asyncio.Queue()  # what each recovery recorded
    original = reaction_recovery.ReactionRecovery.recover

    async def spy(self: reaction_recovery.ReactionRecovery, *args: Any) -> int:
        changed = await original(self, *args)
        recovered.put_nowait(changed)
        return changed

    monkeypatch.setattr(reaction_recovery.ReactionRecovery, "recover", spy)
    town = build_town(sandbox)
    m0, m1, m2 = town.members
    journal = tmp_path / "foyer.journal"
    async with running_foyer(sandbox, database_url=database_url, journal_file=journal) as bot:
        assert await asyncio.wait_for(recovered.get(), 10) == 0  # Foyer just arrived
        env = FoyerEnv(sandbox, bot, town)
        a = await sandbox.post(town.general, m0, "a")
        b = await sandbox.post(town.help, m1, "b")
        c = await sandbox.post(town.general, m0, "c")
        await sandbox.react(a, m2, "👍")
        await sandbox.react(b, m0, "🎉")
        await sandbox.react(c, m1, "👍")
        await eventually(
            env,
            {
                (ADD, a.id, m2.user.id, "👍"),
                (ADD, b.id, m0.user.id, "🎉"),
                (ADD, c.id, m1.user.id, "👍"),
            },
            messages=3,
        )
    # Down: none of these reach a session the bot listens to.
    await sandbox.react(a, m1, "👍")
    await sandbox.react(a, m1, "🔥")
    await sandbox.unreact(b, m0, "🎉")
    await sandbox.react(b, m2, "🎉")
    await sandbox.react(b, m1, "🎉")  # on their own message: recorded, not recognition
    await sandbox.react(b, m2, "👀")
    await sandbox.unreact(b, m2, "👀")  # added and removed while down: invisible
    await sandbox.unreact(c, m1, "👍")
    await sandbox.react(c, m2, "👍")  # a swap keeps the count: invisible too (documented)
    sandbox.core.hub.sessions.clear()  # the next start IDENTIFYs: nothing replayed
    expected = {
        (ADD, a.id, m2.user.id, "👍"),
        (ADD, b.id, m0.user.id, "🎉"),
        (ADD, c.id, m1.user.id, "👍"),
        (ADD, a.id, m1.user.id, "👍"),
        (ADD, a.id, m1.user.id, "🔥"),
        (REMOVE, b.id, m0.user.id, "🎉"),
        (ADD, b.id, m2.user.id, "🎉"),
        (ADD, b.id, m1.user.id, "🎉"),
    }
    async with running_foyer(
        sandbox, database_url=database_url, journal_file=journal, wait_for_sync=False
    ) as bot:
        env = FoyerEnv(sandbox, bot, town)
        assert await asyncio.wait_for(recovered.get(), 10) == 5
        rows = await eventually(env, expected)
        _rows, total = await reactions(env)
    assert rows == sorted(expected)
    assert total == 6  # a: 3, b: m0's (removed, still counted) and m2's, c: m1's
    fetched = {c.path for c in sandbox.calls_to("GET", REACTORS)}
    assert len(fetched) == 3  # only the counts that differed: 👍 and 🔥 on a, 🎉 on b
    sandbox.core.hub.sessions.clear()
    calls = len(sandbox.calls_to("GET", REACTORS))
    async with running_foyer(
        sandbox, database_url=database_url, journal_file=journal, wait_for_sync=False
    ) as bot:
        env = FoyerEnv(sandbox, bot, town)
        assert await asyncio.wait_for(recovered.get(), 10) == 0
        await bot.recorder.flush()
        again = await reactions(env)
    assert again == (sorted(expected), 6)  # a later restart finds nothing to add
    assert len(sandbox.calls_to("GET", REACTORS)) == calls  # every count matches now
