"""Introductions end to end (issue 18): seven opted-in members, one round through the
scheduler, two pairs and one group of three, each in its own private thread; the round runs
exactly once across a restart, and a process that dies mid-round finishes it after the
restart without a second thread or prompt. The real discord.py client, the sandbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.db.models import IntrosRound, RunStatus, ScheduledRun
from bot.i18n import t
from demo.harness import running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Channel, Sandbox

pytestmark = pytest.mark.e2e

START = datetime(2026, 10, 1, 10, tzinfo=UTC)  # a Thursday
MONDAY = datetime(2026, 10, 5, 9, tzinfo=UTC)  # 11:00 in Paris: after the 10:00 round
CREATE_THREAD = ("POST", "/channels/{channel_id}/threads")


class Died(BaseException):
    """The process stopping dead (nothing catches it)."""


async def started(bot: Any) -> None:
    for _ in range(200):
        if bot.scheduler.started:
            break
        await asyncio.sleep(0.05)
    await bot.scheduler.run_due()


async def opt_in(sandbox: Sandbox, town: Town) -> None:
    answer = await sandbox.invoke(
        town.guild,
        town.admin,
        "intros",
        subcommand="setup",
        options={"channel": town.general, "every": 1},
    )
    assert "un tour chaque semaine" in (answer.content or "")
    (call,) = [m for m in sandbox.messages_in(town.general) if m.author.bot]
    clicked = await sandbox.click(call, town.members[0], "foyer:intros:join")
    assert clicked.content == t("intros.joined", "fr")
    for member in town.members[1:]:
        res = await sandbox.invoke(town.guild, member, "intros", subcommand="join")
        assert res.content == t("intros.joined", "fr")
    again = await sandbox.invoke(town.guild, town.members[1], "intros", subcommand="join")
    assert again.content == t("intros.already_in", "fr")


def groups(sandbox: Sandbox, town: Town) -> list[set[int]]:
    me = sandbox.bot_user.id
    return [{u for u in th.thread_members if u != me} for th in sandbox.threads_in(town.general)]


def prompts(sandbox: Sandbox, thread: Channel) -> list[Any]:
    return [m for m in sandbox.messages_in(thread) if m.author.bot]


async def round_runs(bot: Any) -> list[ScheduledRun]:
    async with bot.db.session() as session:
        rows = await session.scalars(
            select(ScheduledRun).where(ScheduledRun.job_key.like("intros:%"))
        )
        return list(rows.all())


async def test_a_round_pairs_seven_members_once_across_a_restart(
    sandbox: Sandbox, database_url: str
) -> None:
    clock = ManualClock(START)
    town = build_town(sandbox, members=7)
    everyone = {m.user.id for m in town.members}
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await opt_in(sandbox, town)
        await started(bot)
        clock.set(MONDAY)
        await bot.scheduler.run_due()
        await sandbox.wait_for_bot_idle()
        (run,) = await round_runs(bot)
        thread = sandbox.threads_in(town.general)[0]  # two of its members say hello
        pair = [
            town.guild.members[u] for u in sorted(thread.thread_members) if u != sandbox.bot_user.id
        ]
        await sandbox.post(thread, pair[0], "Salut !")
        await sandbox.post(thread, pair[1], "Bonjour !")
        await sandbox.wait_for_bot_idle()
        watched = bot.get_cog("IntrosCog").service.watched
        for _ in range(100):  # the listener writes to the database, no call to Discord
            if thread.id not in watched:
                break
            await asyncio.sleep(0.05)
    assert run.status == RunStatus.POSTED

    found = groups(sandbox, town)
    assert sorted(len(g) for g in found) == [2, 2, 3]  # one group of three, as 7 is odd
    assert set().union(*found) == everyone and sum(len(g) for g in found) == 7
    for thread in sandbox.threads_in(town.general):
        assert thread.type == 12  # private: only the pair (and Foyer) see it
        (prompt,) = prompts(sandbox, thread)
        pair = set(thread.thread_members) - {sandbox.bot_user.id}
        assert all(f"<@{u}>" in prompt.content for u in pair)
        assert t("intros.default_prompt", "fr") in prompt.content
    creates = len(sandbox.calls_to(*CREATE_THREAD))
    assert creates == 3

    clock.set(MONDAY + timedelta(hours=1))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await bot.scheduler.recover()
        await bot.scheduler.run_due()
        await sandbox.wait_for_bot_idle()
        (run,) = await round_runs(bot)
        async with bot.db.session() as session:
            (stored,) = (await session.scalars(select(IntrosRound))).all()
    assert len(sandbox.calls_to(*CREATE_THREAD)) == creates  # nothing again
    assert groups(sandbox, town) == found
    assert (stored.pairs, stored.talked) == (3, 1)


async def test_a_round_cut_short_by_a_crash_is_finished_once(
    sandbox: Sandbox, database_url: str
) -> None:
    clock = ManualClock(START)
    town = build_town(sandbox, members=7)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await opt_in(sandbox, town)
        await started(bot)
        service = bot.get_cog("IntrosCog").service
        real = service.prompt_sent
        calls = 0

        async def dies_on_the_second(pair_id: int) -> None:
            nonlocal calls
            calls += 1
            if calls == 2:
                raise Died  # the second prompt is out, its record never written
            await real(pair_id)

        service.prompt_sent = dies_on_the_second
        clock.set(MONDAY)
        with pytest.raises(Died):
            await bot.scheduler.run_due()
        await sandbox.wait_for_bot_idle()
    assert len(sandbox.threads_in(town.general)) == 2
    sandbox.core.nonce_window = timedelta(0)  # the restart comes after Discord forgot it

    clock.set(MONDAY + timedelta(hours=1))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await bot.scheduler.recover()
        await bot.scheduler.run_due()
        await sandbox.wait_for_bot_idle()
        (run,) = await round_runs(bot)
    assert run.status == RunStatus.POSTED
    threads = sandbox.threads_in(town.general)
    assert len(threads) == 3 and len(sandbox.calls_to(*CREATE_THREAD)) == 3
    assert [len(prompts(sandbox, th)) for th in threads] == [1, 1, 1]
    assert sorted(len(g) for g in groups(sandbox, town)) == [2, 2, 3]


async def test_bad_input_gets_a_clear_answer_and_saves_nothing(
    sandbox: Sandbox, database_url: str
) -> None:
    town = build_town(sandbox)
    no_private = sandbox.create_role(town.guild, "NoPrivate")
    sandbox.set_overwrite(town.general, no_private, deny=1 << 36)  # Create Private Threads
    async with running_foyer(sandbox, database_url=database_url) as bot:
        early = await sandbox.invoke(town.guild, town.members[0], "intros", subcommand="join")
        assert early.content == t("intros.disabled", "fr")
        first = await sandbox.invoke(town.guild, town.admin, "intros", subcommand="setup")
        assert first.content == t("intros.channel_needed", "fr")
        odd = await sandbox.invoke(
            town.guild,
            town.admin,
            "intros",
            subcommand="setup",
            options={"channel": town.general, "every": 3},
        )
        assert "3" in (odd.content or "") and "Rien n'a été modifié" in (odd.content or "")
        await sandbox.add_role(town.guild, town.guild.members[sandbox.bot_user.id], no_private)
        await sandbox.wait_for_bot_idle()
        shut = await sandbox.invoke(
            town.guild, town.admin, "intros", subcommand="setup", options={"channel": town.general}
        )
        assert shut.content == t(
            "intros.cannot_open_threads", "fr", channel=f"<#{town.general.id}>"
        )
        assert not [m for m in sandbox.messages_in(town.general) if m.author.bot]
        assert await bot.get_cog("IntrosCog").service.config(town.guild.id) is None
