"""Tracking end to end: the real discord.py client, through the sandbox, into the database.

Counts are hand-computed from the script (see docs/metrics.md for the definitions).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.db.models.activity import ActivityEvent, DailyGuildActivity, EventKind, Member
from demo.harness import FoyerEnv, recovered, running_foyer
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e

GUILD_TOTALS = [
    "member_messages",
    "staff_messages",
    "peer_interactions",
    "staff_interactions",
    "conversations",
    "member_conversations",
    "member_threads",
    "reactions",
]


async def settle(env: FoyerEnv) -> None:
    """Every dispatch read by the bot, and everything it buffered written."""
    await env.sb.wait_for_bot_idle()
    await env.bot.recorder.flush()


async def guild_totals(env: FoyerEnv) -> dict[str, int]:
    table = DailyGuildActivity
    async with env.bot.db.session() as s:
        row = (
            await s.execute(
                select(
                    *(func.coalesce(func.sum(getattr(table, c)), 0) for c in GUILD_TOTALS)
                ).where(table.guild_id == env.town.guild.id)
            )
        ).one()
    return dict(zip(GUILD_TOTALS, (int(v) for v in row), strict=True))


async def message_ids(env: FoyerEnv) -> list[int]:
    async with env.bot.db.session() as s:
        return list(
            (
                await s.scalars(
                    select(ActivityEvent.ref_id).where(
                        ActivityEvent.guild_id == env.town.guild.id,
                        ActivityEvent.kind == EventKind.MESSAGE,
                    )
                )
            ).all()
        )


async def test_scripted_conversation_gives_the_hand_computed_counts(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    staff = town.admin  # holds Manage Server through the Staff role; no staff role configured
    m0, m1, m2 = town.members
    general, help_ = town.general, town.help

    a = await sb.post(general, m0, "question")  # conversation 1 (member-initiated)
    r1 = await sb.post(general, m1, "x", reply_to=a)  # peer m1 -> m0, starts conversation 1
    await sb.post(general, m2, "x", reply_to=a)  # peer m2 -> m0
    await sb.post(general, staff, "x", reply_to=a)  # staff -> m0
    await sb.post(general, m0, "x", reply_to=r1)  # peer m0 -> m1 (reply to a reply)
    await sb.post(general, m0, "x", reply_to=a)  # self-reply: nothing
    b = await sb.post(general, staff, "announcement")  # conversation 2 (staff-initiated)
    await sb.post(general, m1, "x", reply_to=b)  # towards staff: no peer/staff interaction
    thread = await sb.create_thread(help_, m1, "help me")  # conversation 3 (member thread)
    await sb.post(thread, m1, "x")  # the owner: nothing
    await sb.post(thread, m2, "x")  # thread answer m2 -> m1: peer
    await sb.post(thread, m2, "x")  # same author again: not counted twice
    await sb.post(thread, staff, "x")  # thread answer staff -> m1
    await sb.react(r1, m0, "👍")  # recognition m0 -> m1
    await sb.react(r1, m1, "👍")  # own message: not recognition
    await settle(foyer)

    assert await guild_totals(foyer) == {
        "member_messages": 9,
        "staff_messages": 3,
        "peer_interactions": 4,
        "staff_interactions": 2,
        "conversations": 3,
        "member_conversations": 2,
        "member_threads": 1,
        "reactions": 1,
    }


async def test_resume_replay_stores_nothing_twice(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    m0, m1, _ = town.members
    first = await sb.post(town.general, m0, "a")
    await sb.post(town.general, m1, "b", reply_to=first)
    await settle(foyer)
    before_ids, before_totals = sorted(await message_ids(foyer)), await guild_totals(foyer)

    delivered: list[int] = []

    async def count_delivery(message: Any) -> None:
        delivered.append(message.id)

    foyer.bot.add_listener(count_delivery, "on_message")
    # The bot's socket dies; Discord had queued the same two MESSAGE_CREATEs again: the
    # RESUME replays them (and a new message) to a client that already processed them.
    session = next(iter(sb.core.hub.sessions.values()))
    socket, session.ws = session.ws, None
    replay = [f for f in session.buffer if f["t"] == "MESSAGE_CREATE"][-2:]
    for frame in replay:
        await session.send(frame["t"], frame["d"])
    assert socket is not None
    await socket.close(code=4000)
    new = await sb.post(town.general, m1, "c")
    await settle(foyer)

    assert sorted(delivered) == sorted([*before_ids, new.id])  # the replay did arrive
    assert sorted(await message_ids(foyer)) == sorted([*before_ids, new.id])
    after = await guild_totals(foyer)
    assert after == {**before_totals, "member_messages": before_totals["member_messages"] + 1}


async def test_backfill_after_downtime_fills_the_gap_once(
    sandbox: Sandbox, database_url: str
) -> None:
    town = build_town(sandbox)
    m0, m1, m2 = town.members
    async with running_foyer(sandbox, database_url=database_url) as bot:
        env = FoyerEnv(sandbox, bot, town)
        seen = await sandbox.post(town.general, m0, "before")
        await settle(env)
    # Down: these never reach a gateway session the bot listens to.
    gap = [
        await sandbox.post(town.general, m1, "during", reply_to=seen),
        await sandbox.post(town.help, m2, "during"),
    ]
    sandbox.core.hub.sessions.clear()  # the old session is gone: the next start IDENTIFYs
    async with running_foyer(sandbox, database_url=database_url, wait_for_sync=False) as bot:
        env = FoyerEnv(sandbox, bot, town)
        await recovered(bot)
        await settle(env)
        ids = await message_ids(env)
        totals = await guild_totals(env)
    assert sorted(ids) == sorted([seen.id, *(m.id for m in gap)])
    assert sandbox.calls_to("GET", "/channels/{channel_id}/messages")  # through history
    assert totals["peer_interactions"] == 1 and totals["conversations"] == 1


async def test_secret_phrase_is_stored_and_logged_nowhere(
    foyer: FoyerEnv, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "PAPILLON-7731-secret"
    caplog.set_level(logging.DEBUG)
    # bot/logs.py keeps discord.py at INFO or above: its DEBUG dumps raw gateway frames.
    caplog.set_level(logging.INFO, logger="discord")
    sb, town = foyer.sb, foyer.town
    m0, m1, _ = town.members
    # Mentioning the bot makes Discord send the text even without MESSAGE_CONTENT.
    first = await sb.post(town.general, m0, f"{secret} one", mentions=[sb.bot_user])
    await sb.post(town.general, m1, f"{secret} two", reply_to=first, mentions=[sb.bot_user])
    thread = await sb.create_thread(town.help, m1, secret)
    await sb.post(thread, m0, f"{secret} three", mentions=[sb.bot_user])
    await settle(foyer)
    assert len(await message_ids(foyer)) == 3

    assert secret not in caplog.text
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("file scan is SQLite-only; the PostgreSQL run checks the logs above")
    files = [Path(url.database or "")]
    files += [Path(f"{files[0]}-wal")]
    data: list[Any] = [p.read_bytes() for p in files if p.exists()]
    assert data and all(secret.encode() not in blob for blob in data)


async def test_unreadable_channel_is_reported_to_admins_once(
    sandbox: Sandbox, database_url: str
) -> None:
    town = build_town(sandbox)
    hidden = discord.Permissions(view_channel=True).value
    sandbox.set_overwrite(town.help, sandbox.world.bot_role(town.guild), deny=hidden)
    history = "/channels/{channel_id}/messages"
    async with running_foyer(sandbox, database_url=database_url) as bot:
        # At start no admin channel was set: nobody to tell yet, so nothing is remembered.
        await bot.guild_settings.update(town.guild.id, admin_channel_id=town.admin_channel.id)
        for fresh_session in (1, 2):  # two reconnects that cannot resume: two recoveries
            await sandbox.send_invalid_session(resumable=False)
            await recovered(bot, 1 + fresh_session)  # the start's, then this reconnect's
            await sandbox.wait_for_bot_idle()
            posts = [
                c
                for c in sandbox.calls_to("POST", history)
                if c.path.endswith(f"/{town.admin_channel.id}/messages")
            ]
            assert len(posts) == 1, f"after recovery {fresh_session}: {posts}"
    assert f"<#{town.help.id}>" in posts[0].json["content"]
    assert not [c for c in sandbox.calls_to("GET", history) if str(town.help.id) in c.path]


async def test_role_change_that_makes_staff_is_recorded(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    newcomer = town.members[0]
    await sb.add_role(town.guild, newcomer, town.staff_role)  # Staff holds Manage Server
    await settle(foyer)
    async with foyer.bot.db.session() as s:
        member = await s.get(Member, (town.guild.id, newcomer.user.id))
    assert member is not None and member.is_staff
    # ... and from now on their replies are staff interactions, not peer ones.
    first = await sb.post(town.general, town.members[1], "question")
    await sb.post(town.general, newcomer, "answer", reply_to=first)
    await settle(foyer)
    totals = await guild_totals(foyer)
    assert (totals["staff_interactions"], totals["peer_interactions"]) == (1, 0)


async def test_deleted_message_is_recorded_and_stays_counted(foyer: FoyerEnv) -> None:
    sb, town = foyer.sb, foyer.town
    msg = await sb.post(town.general, town.members[0], "oops")
    await settle(foyer)
    await sb.delete_message(msg)
    await settle(foyer)
    async with foyer.bot.db.session() as s:
        deleted = (
            await s.scalars(
                select(ActivityEvent).where(ActivityEvent.kind == EventKind.MESSAGE_DELETE)
            )
        ).all()
    assert [(e.ref_id, e.actor_id) for e in deleted] == [(msg.id, town.members[0].user.id)]
    assert (await guild_totals(foyer))["member_messages"] == 1
