"""Rituals end to end: the real discord.py client through the sandbox, time moved by a
ManualClock handed to FoyerBot (APScheduler is not started on a manual clock; the test
plays its part by calling `bot.scheduler.run_due()` after each step)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.db.models import ActivityEvent, Ritual, RunStatus, ScheduledRun
from bot.db.models.activity import ActorRole, EventKind, ThreadContext
from bot.i18n import t
from bot.rituals.role_changes import ping_role_opt_outs
from bot.scheduling import shard_of
from demo.harness import FoyerEnv, running_foyer
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e

PARIS = ZoneInfo("Europe/Paris")
# Thursday 1 October 2026, 10:00 UTC: ten Mondays follow, across the 25 October change.
START = datetime(2026, 10, 1, 10, tzinfo=UTC)
POST_ROUTE = "/channels/{channel_id}/messages"


@pytest.fixture
async def env(sandbox: Sandbox, database_url: str) -> AsyncIterator[tuple[FoyerEnv, ManualClock]]:
    """A French guild, with the bot on a manual clock and an admin channel configured."""
    clock = ManualClock(START)
    town = build_town(sandbox)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await bot.guild_settings.update(town.guild.id, admin_channel_id=town.admin_channel.id)
        yield FoyerEnv(sandbox, bot, town), clock


async def runs(env: FoyerEnv) -> list[ScheduledRun]:
    async with env.bot.db.session() as session:
        rows = await session.scalars(
            select(ScheduledRun)
            .where(ScheduledRun.job_key.like("ritual:%"))
            .order_by(ScheduledRun.scheduled_for)
        )
        return list(rows.all())


async def advance(env: FoyerEnv, clock: ManualClock, until: datetime, step: timedelta) -> None:
    while clock.now() < until:
        clock.advance(step)
        await env.bot.scheduler.run_due()
    await env.sb.wait_for_bot_idle()


async def add_monday_motivation(env: FoyerEnv) -> None:
    res = await env.sb.invoke(
        env.town.guild,
        env.town.admin,
        "ritual",
        subcommand="add",
        options={"preset": "monday_motivation", "channel": env.town.general},
    )
    assert res.ephemeral
    assert (res.content or "").startswith("Rituel **Lundi Motivation** ajouté.")
    assert "<t:1791183600:F>" in (res.content or "")  # Monday 5 October 2026, 07:00 UTC


async def test_monday_motivation_ten_weeks_across_dst(
    env: tuple[FoyerEnv, ManualClock],
) -> None:
    foyer, clock = env
    await add_monday_motivation(foyer)
    assert foyer.sb.messages_in(foyer.town.general) == []  # nothing until Monday
    await advance(foyer, clock, START + timedelta(weeks=10), timedelta(hours=1))

    posts = [m for m in foyer.sb.messages_in(foyer.town.general) if m.author.bot]
    threads = foyer.sb.threads_in(foyer.town.general)
    assert len(posts) == 10 and len(threads) == 10
    assert all(p.content.startswith("☀️ **Lundi Motivation**") for p in posts)
    rows = await runs(foyer)
    assert [r.status for r in rows] == [RunStatus.POSTED] * 10
    expected = [datetime(2026, 10, 5 + 7 * i, 7, tzinfo=UTC) for i in range(3)] + [
        datetime(2026, 10, 26, 8, tzinfo=UTC) + timedelta(weeks=i) for i in range(7)
    ]
    assert [r.scheduled_for for r in rows] == expected
    # The hourly ticks land on 07:00 and 08:00 UTC: each post went out at its exact time.
    assert [r.finished_at for r in rows] == expected
    assert {r.post_id for r in rows} == {p.id for p in posts}
    assert {r.thread_id for r in rows} == {th.id for th in threads}
    assert sorted(th.name for th in threads)[0].startswith("Lundi Motivation · ")
    # No post ever pinged anyone.
    assert all(not p.mentions and not p.mention_roles for p in posts)


async def test_ritual_list_shows_discord_timestamps_in_french(
    env: tuple[FoyerEnv, ManualClock],
) -> None:
    foyer, _clock = env
    await add_monday_motivation(foyer)
    res = await foyer.sb.invoke(foyer.town.guild, foyer.town.admin, "ritual", subcommand="list")
    assert res.ephemeral
    text = res.content or ""
    assert "**Lundi Motivation** dans <#" in text
    assert "Chaque lundi à 09:00 (Europe/Paris)" in text
    assert re.search(r"prochain : <t:1791183600:F> \(<t:1791183600:R>\)", text)


async def test_forbidden_marks_failed_tells_admins_once_and_never_retries(
    env: tuple[FoyerEnv, ManualClock],
) -> None:
    foyer, clock = env
    await add_monday_motivation(foyer)
    general = foyer.town.general.id
    foyer.sb.faults.next("POST", f"/channels/{general}/messages", status=403, count=50)
    await advance(foyer, clock, START + timedelta(weeks=3), timedelta(hours=1))

    tries = [
        c
        for c in foyer.sb.calls
        if c.method == "POST" and c.path.endswith(f"/channels/{general}/messages")
    ]
    assert len(tries) == 1
    rows = await runs(foyer)
    assert [(r.status, r.reason) for r in rows] == [(RunStatus.FAILED, "forbidden")]
    notice = t("rituals.notice.forbidden", "fr", name="Lundi Motivation", channel=f"<#{general}>")
    admin_posts = [m.content for m in foyer.sb.messages_in(foyer.town.admin_channel)]
    assert admin_posts.count(notice) == 1  # (the weekly digest posts there too)
    async with foyer.bot.db.session() as session:
        ritual = await session.scalar(select(Ritual))
    assert ritual is not None and ritual.paused


async def test_a_thread_refused_keeps_the_post_and_tells_admins(
    env: tuple[FoyerEnv, ManualClock],
) -> None:
    """Creating threads forbidden once: the occurrence is posted (and not posted again),
    the admins are told why its answers will not count; the next week has its thread."""
    foyer, clock = env
    await add_monday_motivation(foyer)
    general = foyer.town.general.id
    foyer.sb.faults.next("POST", f"/channels/{general}/messages/*/threads", status=403)
    await advance(foyer, clock, START + timedelta(weeks=2), timedelta(hours=1))

    rows = await runs(foyer)
    assert [r.status for r in rows[:2]] == [RunStatus.POSTED, RunStatus.POSTED]
    assert rows[0].thread_id is None and rows[1].thread_id is not None
    notice = t("rituals.notice.no_thread", "fr", name="Lundi Motivation", channel=f"<#{general}>")
    admin_posts = [m.content for m in foyer.sb.messages_in(foyer.town.admin_channel)]
    assert admin_posts.count(notice) == 1


async def test_bad_time_is_refused_in_french_and_stores_nothing(
    env: tuple[FoyerEnv, ManualClock],
) -> None:
    foyer, _clock = env
    res = await foyer.sb.invoke(
        foyer.town.guild,
        foyer.town.admin,
        "ritual",
        subcommand="add",
        options={
            "preset": "custom",
            "channel": foyer.town.general,
            "name": "Apéro",
            "days": "ven",
            "time": "9h61",
            "text": "Santé !",
        },
    )
    assert res.ephemeral
    assert res.content == t("rituals.bad_time", "fr", value="9h61")
    async with foyer.bot.db.session() as session:
        assert (await session.scalar(select(Ritual))) is None


async def test_restart_within_grace_posts_once_after_grace_skips(
    sandbox: Sandbox, database_url: str
) -> None:
    """A bot that was down at 09:00 posts late once within 6 h; down longer, it skips."""
    clock = ManualClock(START)
    town = build_town(sandbox)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await sandbox.invoke(
            town.guild,
            town.admin,
            "ritual",
            subcommand="add",
            options={"preset": "monday_motivation", "channel": town.general},
        )
    # Down over the first Monday; back 3 h after 09:00.
    clock.set(datetime(2026, 10, 5, 10, tzinfo=UTC))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await bot.scheduler.run_due()
        await sandbox.wait_for_bot_idle()
    # Down over the second Monday; back 7 h after 09:00.
    clock.set(datetime(2026, 10, 12, 14, tzinfo=UTC))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await bot.scheduler.run_due()
        await sandbox.wait_for_bot_idle()
        env = FoyerEnv(sandbox, bot, town)
        rows = await runs(env)
    posts = [m for m in sandbox.messages_in(town.general) if m.author.bot]
    assert len(posts) == 1
    assert [(r.scheduled_for, r.status) for r in rows] == [
        (datetime(2026, 10, 5, 7, tzinfo=UTC), RunStatus.POSTED),
        (datetime(2026, 10, 12, 7, tzinfo=UTC), RunStatus.SKIPPED),
    ]


@pytest.mark.parametrize(
    ("back_after", "posts", "status"),
    [(timedelta(hours=2), 1, RunStatus.POSTED), (timedelta(hours=7), 0, RunStatus.FAILED)],
)
async def test_crash_between_claim_and_post_then_restart(
    sandbox: Sandbox,
    database_url: str,
    back_after: timedelta,
    posts: int,
    status: RunStatus,
) -> None:
    """Within the 6 h grace the claimed occurrence is posted once; after it, never."""
    clock = ManualClock(START)
    town = build_town(sandbox)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await sandbox.invoke(
            town.guild,
            town.admin,
            "ritual",
            subcommand="add",
            options={"preset": "monday_motivation", "channel": town.general},
        )
        async with bot.db.session() as session:
            ritual = await session.scalar(select(Ritual))
        assert ritual is not None
        # The process claims Monday's occurrence, then dies before posting.
        monday = datetime(2026, 10, 5, 7, tzinfo=UTC)
        clock.set(monday)
        assert await bot.scheduler.ledger.insert(
            town.guild.id, f"ritual:{ritual.id}", monday, RunStatus.CLAIMED, clock.now()
        )
    assert [m for m in sandbox.messages_in(town.general) if m.author.bot] == []
    clock.set(monday + back_after)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await sandbox.wait_for_bot_idle()
        await bot.scheduler.run_due()
        clock.advance(timedelta(hours=1))
        await bot.scheduler.run_due()
        await sandbox.wait_for_bot_idle()
        rows = await runs(FoyerEnv(sandbox, bot, town))
    assert len([m for m in sandbox.messages_in(town.general) if m.author.bot]) == posts
    assert len(sandbox.threads_in(town.general)) == posts
    assert [r.status for r in rows] == [status]


async def test_two_processes_on_different_shards_post_once(
    sandbox: Sandbox, database_url: str
) -> None:
    sandbox.core.shard_count = 2
    clock = ManualClock(START)
    town = build_town(sandbox)
    mine = shard_of(town.guild.id, 2)
    async with (
        running_foyer(
            sandbox, database_url=database_url, clock=clock, shard_count=2, shard_ids=[mine]
        ) as owner,
        running_foyer(
            sandbox, database_url=database_url, clock=clock, shard_count=2, shard_ids=[1 - mine]
        ) as other,
    ):
        await sandbox.invoke(
            town.guild,
            town.admin,
            "ritual",
            subcommand="add",
            options={"preset": "monday_motivation", "channel": town.general},
        )
        assert owner.scheduler.owns(town.guild.id) and not other.scheduler.owns(town.guild.id)
        while clock.now() < START + timedelta(weeks=2):
            clock.advance(timedelta(hours=1))
            await other.scheduler.run_due()
            await owner.scheduler.run_due()
        await sandbox.wait_for_bot_idle()
        rows = await runs(FoyerEnv(sandbox, owner, town))
    assert len([m for m in sandbox.messages_in(town.general) if m.author.bot]) == 2
    assert [r.status for r in rows] == [RunStatus.POSTED] * 2


async def test_ping_role_is_opt_in_with_the_button(sandbox: Sandbox, database_url: str) -> None:
    sb, town = sandbox, build_town(sandbox)
    role = sb.create_role(town.guild, "Rituels")
    role.mentionable = True
    async with running_foyer(sb, database_url=database_url, clock=ManualClock(START)) as bot:
        await ping_role_flow(sb, town, role)
        await sb.wait_for_bot_idle()
        # The leave is counted (no user id) for the over-solicitation signal.
        day = START.date()
        assert await ping_role_opt_outs(bot.db, town.guild.id, day, day + timedelta(days=1)) == 1
        # so is a ping role taken away another way (by an admin, by another bot)
        await sb.add_role(town.guild, town.members[1], role)
        await sb.remove_role(town.guild, town.members[1], role)
        await sb.remove_role(town.guild, town.members[1], role)  # no change: not counted
        await sb.wait_for_bot_idle()
        assert await ping_role_opt_outs(bot.db, town.guild.id, day, day + timedelta(days=1)) == 2


async def ping_role_flow(sb: Sandbox, town: Any, role: Any) -> None:
    res = await sb.invoke(
        town.guild,
        town.admin,
        "ritual",
        subcommand="add",
        options={"preset": "friday_wins", "channel": town.general, "ping_role": role},
    )
    assert (res.content or "").startswith("Rituel **Vendredi Victoires** ajouté.")
    res = await sb.invoke(
        town.guild, town.admin, "ritual", subcommand="now", options={"ritual": "Vendredi Victoires"}
    )
    assert "ne sera pas republiée" in said(res)
    [post] = [m for m in sb.messages_in(town.general) if m.author.bot]
    assert post.content.startswith(f"<@&{role.id}> 🎉 **Vendredi Victoires**")
    body = next(
        c.json
        for c in sb.calls
        if c.method == "POST" and c.path.endswith(f"/channels/{town.general.id}/messages")
    )
    assert body["allowed_mentions"] == {"parse": [], "roles": [role.id]}
    member = town.members[0]
    joined = await sb.click(post, member, f"foyer:ritual-role:{post_ritual_id(post)}")
    assert joined.ephemeral and "vous recevrez les notifications" in (joined.content or "")
    assert role.id in town.guild.members[member.user.id].roles
    left = await sb.click(post, member, f"foyer:ritual-role:{post_ritual_id(post)}")
    assert "vous ne recevrez plus les notifications" in (left.content or "")
    assert role.id not in town.guild.members[member.user.id].roles


def said(res: Any) -> str:
    """Everything the member sees (a deferred answer comes as a follow-up)."""
    return "\n".join(m.content for m in res.messages)


def post_ritual_id(post: Any) -> int:
    return int(post.components[0]["components"][0]["custom_id"].rsplit(":", 1)[1])


async def test_remove_asks_for_confirmation(env: tuple[FoyerEnv, ManualClock]) -> None:
    foyer, _clock = env
    sb, town = foyer.sb, foyer.town
    await add_monday_motivation(foyer)
    res = await sb.invoke(
        town.guild,
        town.admin,
        "ritual",
        subcommand="remove",
        options={"ritual": "Lundi Motivation"},
    )
    assert res.ephemeral and "Supprimer le rituel **Lundi Motivation**" in (res.content or "")
    async with foyer.bot.db.session() as session:
        assert await session.scalar(select(Ritual)) is not None
    assert res.original is not None
    confirm = res.original.components[0]["components"][0]["custom_id"]
    done = await sb.click(res.original, town.admin, confirm)
    assert "supprimé" in (done.content or "")
    async with foyer.bot.db.session() as session:
        assert await session.scalar(select(Ritual)) is None


async def test_stats_sends_a_chart(env: tuple[FoyerEnv, ManualClock]) -> None:
    foyer, clock = env
    sb, town = foyer.sb, foyer.town
    await add_monday_motivation(foyer)
    await advance(foyer, clock, START + timedelta(weeks=2), timedelta(hours=6))
    first, second = await runs(foyer)
    a, b, c = (m.user.id for m in town.members)
    # Answers as the recorder stores them (ritual context, members only).
    async with foyer.bot.db.session() as session:
        for ref, (row, who) in enumerate([(first, a), (first, b), (second, a), (second, c)]):
            session.add(
                ActivityEvent(
                    guild_id=town.guild.id,
                    kind=EventKind.MESSAGE,
                    ref_id=ref + 1,
                    occurred_at=row.scheduled_for + timedelta(minutes=5),
                    channel_id=town.general.id,
                    thread_id=row.thread_id,
                    actor_id=who,
                    actor_role=ActorRole.MEMBER,
                    context=ThreadContext.RITUAL,
                )
            )
    res = await sb.invoke(
        town.guild, town.admin, "ritual", subcommand="stats", options={"ritual": "Lundi Motivation"}
    )
    assert res.ephemeral
    text = said(res)
    assert "**Lundi Motivation** : 2 dernières occurrences" in text
    assert "2 réponses, 2 participants (dont 2 pour la première fois)" in text
    assert "2 réponses, 2 participants (dont 1 pour la première fois)" in text
    [png] = res.files.values()
    assert png.startswith(b"\x89PNG")


async def test_channel_and_role_checks_before_any_write(
    sandbox: Sandbox, database_url: str
) -> None:
    town = build_town(sandbox, bot_in_admin=False)
    high = sandbox.create_role(town.guild, "Annonces", above_bot=True)
    high.mentionable = True
    async with running_foyer(sandbox, database_url=database_url, clock=ManualClock(START)) as bot:
        hidden = await sandbox.invoke(
            town.guild,
            town.admin,
            "ritual",
            subcommand="add",
            options={"preset": "friday_wins", "channel": town.admin_channel},
        )
        assert hidden.ephemeral
        assert hidden.content == t(
            "rituals.cannot_post", "fr", channel=f"<#{town.admin_channel.id}>"
        )
        above = await sandbox.invoke(
            town.guild,
            town.admin,
            "ritual",
            subcommand="add",
            options={"preset": "friday_wins", "channel": town.general, "ping_role": high},
        )
        assert above.content == t("rituals.role_unusable", "fr", role=f"<@&{high.id}>")
        async with bot.db.session() as session:
            assert await session.scalar(select(Ritual)) is None


async def test_members_cannot_manage_rituals(env: tuple[FoyerEnv, ManualClock]) -> None:
    foyer, _clock = env
    res = await foyer.sb.invoke(
        foyer.town.guild,
        foyer.town.members[0],
        "ritual",
        subcommand="list",
        check_permissions=False,  # as if a server owner had opened the command to everyone
    )
    assert res.ephemeral and res.content == t("errors.not_admin", "fr")


async def test_answers_in_the_thread_count_through_the_recorder(
    env: tuple[FoyerEnv, ManualClock],
) -> None:
    """The whole path: the bot marks its occurrence thread, members answer there, the
    recorder stores ritual-context events, /ritual stats counts them."""
    foyer, clock = env
    sb, town = foyer.sb, foyer.town
    await add_monday_motivation(foyer)
    await advance(foyer, clock, START + timedelta(weeks=1), timedelta(hours=6))
    [row] = await runs(foyer)
    thread = next(th for th in sb.threads_in(town.general) if th.id == row.thread_id)
    a, b = town.members[0], town.members[1]
    when = row.scheduled_for + timedelta(minutes=10)
    for who, n in ((a, 2), (b, 1)):
        for i in range(n):
            await sb.post(thread, who, f"objectif {i}", at=when + timedelta(minutes=i))
    await sb.post(thread, town.admin, "Bravo à tous !", at=when + timedelta(minutes=5))  # staff
    await sb.wait_for_bot_idle()
    await foyer.bot.recorder.flush()
    res = await sb.invoke(
        town.guild, town.admin, "ritual", subcommand="stats", options={"ritual": "Lundi Motivation"}
    )
    assert "3 réponses, 2 participants (dont 2 pour la première fois)" in said(res)


async def test_edit_pause_resume_show_in_the_list(env: tuple[FoyerEnv, ManualClock]) -> None:
    foyer, _clock = env
    sb, town = foyer.sb, foyer.town
    await add_monday_motivation(foyer)

    async def ritual(sub: str, **options: Any) -> str:
        res = await sb.invoke(town.guild, town.admin, "ritual", subcommand=sub, options=options)
        assert res.ephemeral
        return res.content or ""

    edited = await ritual("edit", ritual="lundi motivation", time="10h30", days="lun,jeu")
    assert "Chaque lundi et jeudi à 10:30 (Europe/Paris)." in edited
    # Thursday 1 October 2026, 10:30 Paris = 08:30 UTC, already past at 10:00 UTC: next Monday.
    assert "<t:1791189000:F>" in edited
    assert (
        await ritual("pause", ritual="Lundi Motivation")
        == "Rituel **Lundi Motivation** mis en pause."
    )
    assert "⏸️ en pause" in await ritual("list")
    resumed = await ritual("resume", ritual="Lundi Motivation")
    assert resumed.startswith("Rituel **Lundi Motivation** repris.")
    assert "prochain : <t:1791189000:F>" in await ritual("list")


async def test_weekly_question_list_through_commands(env: tuple[FoyerEnv, ManualClock]) -> None:
    foyer, clock = env
    sb, town = foyer.sb, foyer.town

    async def questions(sub: str, **options: Any) -> str:
        res = await sb.invoke(
            town.guild, town.admin, "ritual", subcommand=["questions", sub], options=options
        )
        assert res.ephemeral
        return res.content or ""

    added = await sb.invoke(
        town.guild,
        town.admin,
        "ritual",
        subcommand="add",
        options={"preset": "weekly_question", "channel": town.general},
    )
    (ritual_command,) = [c for c in foyer.sb.commands() if c.data["name"] == "ritual"]
    mention = f"</ritual questions add:{ritual_command.id}>"  # shown as /rituel questions ajouter
    assert f"Ajoutez ses questions avec {mention}" in (added.content or "")
    name = "Question de la semaine"
    assert await questions("add", ritual=name, question="Votre outil préféré ?") == (
        "Question 1 ajoutée à **Question de la semaine**."
    )
    await questions("add", ritual=name, question="Votre meilleure lecture ?")
    await questions("remove", ritual=name, number=1)
    assert await questions("list", ritual=name) == (
        "Questions de **Question de la semaine** (✅ posée dans ce tour) :\n"
        "1. Votre meilleure lecture ?"
    )
    await advance(foyer, clock, datetime(2026, 10, 7, 11, tzinfo=UTC), timedelta(hours=1))
    [post] = [m for m in sb.messages_in(town.general) if m.author.bot]
    assert post.content.startswith("💬 **Question de la semaine** : Votre meilleure lecture ?")
    assert "1. ✅ Votre meilleure lecture ?" in await questions("list", ritual=name)
