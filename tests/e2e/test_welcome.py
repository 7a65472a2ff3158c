"""Welcome threads end to end: the real discord.py client through the sandbox.

Each test reads what the bot actually sent (the REST calls and their bodies) and what it
stored. The guild is French unless a test says otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.clock import ManualClock
from bot.db.models import BotPost, TrackedThread, Welcome
from bot.db.models.activity import ThreadContext
from bot.i18n import t
from bot.recording.recorder import Recorder
from bot.welcome.job import run_nudges
from bot.welcome.service import WelcomeService
from demo.harness import running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Channel, Sandbox
from discord_sandbox.core import Call
from discord_sandbox.state import Member, Role

pytestmark = pytest.mark.e2e

CREATE_THREAD = ("POST", "/channels/{channel_id}/threads")
ADD_MEMBER = ("PUT", "/channels/{channel_id}/thread-members/{user_id}")
POST_MESSAGE = ("POST", "/channels/{channel_id}/messages")


@dataclass
class Env:
    sb: Sandbox
    bot: Any
    town: Town
    greeters: Role
    greeter: Member
    muted: Role  # denied Send Messages in Threads in #general; nobody holds it at first
    no_private: Role  # denied Create Private Threads in #general; nobody holds it at first
    clock: ManualClock

    @property
    def service(self) -> WelcomeService:
        return self.bot.get_cog("WelcomeCog").service  # type: ignore[no-any-return]

    async def settle(self) -> None:
        """Until the bot has read every event and finished every queued welcome."""
        await self.sb.wait_for_bot_idle()
        await self.service.wait_idle()
        await self.sb.wait_for_bot_idle()

    async def welcomes(self) -> list[Welcome]:
        async with self.bot.db.session() as session:
            rows = await session.scalars(
                select(Welcome).where(Welcome.guild_id == self.town.guild.id).order_by(Welcome.id)
            )
            return list(rows.all())

    async def setup(self, **options: Any) -> str:
        res = await self.sb.invoke(
            self.town.guild,
            self.town.admin,
            "welcome",
            subcommand="setup",
            options={"channel": self.town.general, **options},
        )
        assert res.ephemeral
        return res.content or ""

    async def admin_channel(self) -> Channel:
        """#help serves as the admin channel: the bot can post there."""
        await self.sb.invoke(
            self.town.guild,
            self.town.admin,
            "setup",
            subcommand="set",
            options={"admin_channel": self.town.help},
        )
        return self.town.help

    async def restrict_bot(self, role: Role) -> None:
        """Give the bot a role whose overwrite denies it something in #general."""
        await self.sb.add_role(self.town.guild, self.town.guild.members[self.sb.bot_user.id], role)
        await self.sb.wait_for_bot_idle()

    def calls(self, method: str, route: str) -> list[Call]:
        return self.sb.calls_to(method, route)


async def _env(sandbox: Sandbox, database_url: str, locale: str) -> AsyncIterator[Env]:
    town = build_town(sandbox, locale=locale)
    greeters = sandbox.create_role(town.guild, "Accueil")
    greeters.mentionable = True
    greeter = sandbox.create_member(town.guild, "greta", roles=[greeters])
    muted = sandbox.create_role(town.guild, "Muted")
    sandbox.set_overwrite(town.general, muted, deny=1 << 38)
    no_private = sandbox.create_role(town.guild, "NoPrivate")
    sandbox.set_overwrite(town.general, no_private, deny=1 << 36)
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        yield Env(sandbox, bot, town, greeters, greeter, muted, no_private, clock)


@pytest.fixture
async def env(sandbox: Sandbox, database_url: str) -> AsyncIterator[Env]:
    async for e in _env(sandbox, database_url, "fr"):
        yield e


@pytest.fixture
async def english(sandbox: Sandbox, database_url: str) -> AsyncIterator[Env]:
    async for e in _env(sandbox, database_url, "en-US"):
        yield e


def thread_of(env: Env) -> Channel:
    (thread,) = env.sb.threads_in(env.town.general)
    return thread


async def test_a_join_opens_one_private_thread_with_the_template(env: Env) -> None:
    sb, town = env.sb, env.town
    lonely = await env.setup()
    assert t("welcome.warn_private_without_greeters", "fr") in lonely
    answer = await env.setup(greeter_role=env.greeters)
    assert t("welcome.saved", "fr") in answer
    assert t("welcome.kind.private_ok", "fr") in answer
    assert t("welcome.warn_private_without_greeters", "fr") not in answer

    newbie = await sb.join(town.guild, "nouvelle")
    await env.settle()

    assert len(env.calls(*CREATE_THREAD)) == 1
    thread = thread_of(env)
    shown = newbie.nick or newbie.user.global_name or newbie.user.username
    assert thread.type == 12 and thread.name == f"Bienvenue {shown}"
    assert thread.parent_id == town.general.id
    # the newcomer, then the greeter (a private thread is invisible to whoever is not in it)
    added = [c.path for c in env.calls(*ADD_MEMBER)]
    assert added == [
        f"/channels/{thread.id}/thread-members/{newbie.user.id}",
        f"/channels/{thread.id}/thread-members/{env.greeter.user.id}",
    ]
    assert {newbie.user.id, env.greeter.user.id} <= set(thread.thread_members)
    (post,) = [c for c in env.calls(*POST_MESSAGE) if c.path == f"/channels/{thread.id}/messages"]
    content = post.json["content"]
    assert content.startswith(f"Bienvenue sur Atelier, <@{newbie.user.id}> !")
    assert "votre prénom ou pseudo" in content
    assert f"<@&{env.greeters.id}>" in content
    # exactly the newcomer and the greeter role may be pinged: nothing parsed, no @everyone
    mentions = post.json["allowed_mentions"]
    assert mentions["parse"] == []
    assert [int(u) for u in mentions["users"]] == [newbie.user.id]
    assert [int(r) for r in mentions["roles"]] == [env.greeters.id]
    assert not mentions.get("replied_user")

    (row,) = await env.welcomes()
    assert (row.user_id, row.thread_id, row.shared, row.failure) == (
        newbie.user.id,
        thread.id,
        False,
        None,
    )
    assert row.thread_created_at == env.clock.now()
    if getattr(env.bot, "recorder", None) is not None:
        async with env.bot.db.session() as session:
            tracked = await session.get(TrackedThread, thread.id)
        assert tracked is not None and tracked.context == ThreadContext.WELCOME


async def test_member_reply_is_timed_and_staff_reply_is_not_peer(env: Env) -> None:
    sb, town = env.sb, env.town
    await env.setup(greeter_role=env.greeters)
    newbie = await sb.join(town.guild, "nouvelle")
    await env.settle()
    thread = thread_of(env)
    intro_at = env.clock.now() + timedelta(minutes=1)

    await sb.post(thread, newbie, "Bonjour !", at=intro_at)
    await sb.post(thread, town.admin, "Bienvenue !", at=intro_at + timedelta(minutes=10))
    await env.settle()
    (row,) = await env.welcomes()
    assert row.introduced_at == intro_at
    assert row.staff_answered_at == intro_at + timedelta(minutes=10)
    assert row.first_peer_reply_at is None  # staff is not a peer

    await sb.post(thread, env.greeter, "Ravie !", at=intro_at + timedelta(minutes=90))
    await env.settle()
    (row,) = await env.welcomes()
    assert row.first_peer_reply_at == intro_at + timedelta(minutes=90)
    assert row.first_peer_reply_seconds == 90 * 60
    assert thread.id not in env.service.open_threads  # answered: no longer watched


async def test_a_403_gives_one_admin_notice_and_no_retry(env: Env) -> None:
    sb, town = env.sb, env.town
    notices = await env.admin_channel()
    await env.setup()
    sb.faults.next(*CREATE_THREAD, status=403, count=100)

    for name in ("ana", "bob", "chloe"):
        await sb.join(town.guild, name)
        await env.settle()

    assert len(env.calls(*CREATE_THREAD)) == 1  # refused once, never asked again
    assert sb.threads_in(town.general) == []
    (notice,) = sb.messages_in(notices)
    assert "Créer des fils privés" in notice.content
    assert t("welcome.notice.paused", "fr") in notice.content
    rows = await env.welcomes()
    assert len(rows) == 3  # every join is still recorded
    assert [r.failure for r in rows] == ["forbidden", "paused", "paused"]
    show = await sb.invoke(town.guild, town.admin, "welcome", subcommand="show")
    assert "en pause" in (show.content or "")

    # the admin fixes it and runs the setup again: welcomes resume
    sb.faults.clear()
    await env.setup()
    await sb.join(town.guild, "dora")
    await env.settle()
    assert len(sb.threads_in(town.general)) == 1


async def test_deleted_channel_is_reported_once(env: Env) -> None:
    sb, town = env.sb, env.town
    notices = await env.admin_channel()
    await env.setup()
    sb.faults.next(*CREATE_THREAD, status=404, count=100)
    for name in ("ana", "bob"):
        await sb.join(town.guild, name)
        await env.settle()
    assert len(env.calls(*CREATE_THREAD)) == 1
    (notice,) = sb.messages_in(notices)
    assert notice.content.startswith(t("welcome.notice.channel_missing", "fr"))
    assert [r.failure for r in await env.welcomes()] == ["channel_missing", "paused"]


async def test_missing_permission_is_checked_before_calling_discord(env: Env) -> None:
    sb, town = env.sb, env.town
    notices = await env.admin_channel()
    await env.setup()
    # the bot loses Send Messages in Threads in #general after the setup
    await env.restrict_bot(env.muted)
    await sb.join(town.guild, "ana")
    await sb.join(town.guild, "bob")
    await env.settle()
    assert env.calls(*CREATE_THREAD) == []
    (notice,) = sb.messages_in(notices)
    assert "Envoyer des messages dans les fils" in notice.content


async def test_two_hundred_joins_in_ten_seconds(env: Env) -> None:
    sb, town = env.sb, env.town
    notices = await env.admin_channel()
    await env.setup(greeter_role=env.greeters)
    before = len(sb.calls)
    start = env.clock.now()
    for i in range(200):
        await sb.join(town.guild, f"raid{i:03}", at=start + timedelta(milliseconds=50 * i))
    await env.settle()

    calls = sb.calls[before:]
    assert [c for c in calls if c.status == 429] == []
    assert all(c.status < 400 for c in calls)
    threads = sb.threads_in(town.general)
    individual = [th for th in threads if th.name != t("welcome.shared_thread_name", "fr")]
    shared = [th for th in threads if th.name == t("welcome.shared_thread_name", "fr")]
    assert len(shared) == 1
    assert len(individual) <= 10  # at most the burst threshold before the switch
    # a thread, a member and a message per individual welcome; the rest in a few posts
    assert len(calls) <= 3 * len(individual) + 2 + 200 // 50 + 8
    rows = await env.welcomes()
    assert len(rows) == 200
    assert all(r.thread_id is not None and r.failure is None for r in rows)
    assert sum(r.shared for r in rows) == 200 - len(individual)
    # the admins were told once
    (notice,) = sb.messages_in(notices)
    assert notice.content.startswith("Beaucoup de monde arrive")
    # every newcomer of the burst was greeted in the shared thread, pinging only them
    posts = [c for c in calls if c.path == f"/channels/{shared[0].id}/messages"]
    greeted = [int(u) for c in posts for u in c.json["allowed_mentions"].get("users", [])]
    assert len(greeted) == 200 - len(individual)
    assert all(c.json["allowed_mentions"]["parse"] == [] for c in posts)


async def test_nudge_once_to_greeters_only(env: Env) -> None:
    sb, town = env.sb, env.town
    await env.setup(greeter_role=env.greeters, nudge_delay_hours=24)
    newbie = await sb.join(town.guild, "nouvelle")
    await env.settle()
    thread = thread_of(env)
    await sb.post(thread, newbie, "Bonjour", at=env.clock.now())
    await env.settle()

    env.clock.advance(timedelta(hours=23))
    assert await run_nudges(env.service, env.clock.now()) == 0
    env.clock.advance(timedelta(hours=2))
    assert await run_nudges(env.service, env.clock.now()) == 1
    assert await run_nudges(env.service, env.clock.now()) == 0  # once
    env.clock.advance(timedelta(days=3))
    assert await run_nudges(env.service, env.clock.now()) == 0
    await env.settle()

    nudges = [m for m in sb.messages_in(thread) if m.content.startswith(f"<@&{env.greeters.id}>")]
    assert len(nudges) == 1
    (call,) = [
        c
        for c in env.calls(*POST_MESSAGE)
        if c.path == f"/channels/{thread.id}/messages" and "rappel" in c.json["content"]
    ]
    assert call.json["allowed_mentions"]["parse"] == []
    assert [int(r) for r in call.json["allowed_mentions"]["roles"]] == [env.greeters.id]
    assert "users" not in call.json["allowed_mentions"]  # nothing more for the newcomer
    assert all(c.path != "/users/@me/channels" for c in sb.calls)  # no DMs
    async with env.bot.db.session() as session:  # counted in the shared posting budget
        kinds = await session.scalars(select(BotPost.kind).where(BotPost.channel_id == thread.id))
        assert list(kinds.all()) == ["welcome_nudge"]


async def test_preview_show_disable(english: Env) -> None:
    sb, town = english.sb, english.town
    show = await sb.invoke(town.guild, town.admin, "welcome", subcommand="show")
    assert show.content == t("welcome.not_configured", "en")
    await english.setup(thread_type="public")
    preview = await sb.invoke(town.guild, town.admin, "welcome", subcommand="preview")
    assert preview.ephemeral
    assert f"Welcome to Atelier, <@{town.admin.user.id}>!" in (preview.content or "")
    bad = await sb.invoke(
        town.guild, town.admin, "welcome", subcommand="preview", options={"template": "{0.x}"}
    )
    assert bad.ephemeral and "Nothing was saved" in (bad.content or "")

    await sb.join(town.guild, "newbie")
    await english.settle()
    (thread,) = sb.threads_in(town.general)
    assert thread.type == 11 and thread.name.startswith("Welcome ")

    off = await sb.invoke(town.guild, town.admin, "welcome", subcommand="disable")
    assert off.content == t("welcome.disabled", "en")
    await sb.join(town.guild, "later")
    await english.settle()
    assert len(sb.threads_in(town.general)) == 1
    assert len(await english.welcomes()) == 1


async def test_discord_thread_cap_falls_back_to_the_shared_thread(env: Env) -> None:
    sb, town = env.sb, env.town
    await env.setup()
    cap = {"code": 160006, "message": "Maximum number of active threads reached"}
    sb.faults.next(*CREATE_THREAD, status=400, count=1, body=cap)
    for name in ("ana", "bob"):
        await sb.join(town.guild, name)
        await env.settle()
    # one refused individual thread, then one shared thread for both; no third attempt
    assert [c.status for c in env.calls(*CREATE_THREAD)] == [400, 201]
    (shared,) = sb.threads_in(town.general)
    assert shared.name == t("welcome.shared_thread_name", "fr")
    rows = await env.welcomes()
    assert [(r.thread_id, r.shared, r.failure) for r in rows] == [(shared.id, True, None)] * 2


async def test_newcomer_leaving_before_introducing_is_recorded(env: Env) -> None:
    sb, town = env.sb, env.town
    await env.setup()
    newbie = await sb.join(town.guild, "furtive")
    await env.settle()
    thread = thread_of(env)
    await sb.leave(town.guild, newbie)
    await env.settle()
    (row,) = await env.welcomes()
    assert row.introduced_at is None and row.newcomer_left_at == env.clock.now()
    await sb.post(thread, env.greeter, "Bienvenue ?", at=env.clock.now())
    await env.settle()
    (row,) = await env.welcomes()
    assert row.first_peer_reply_at is None  # nothing was introduced, nothing answered


async def test_joins_below_the_burst_threshold_each_get_their_own_thread(env: Env) -> None:
    sb, town = env.sb, env.town
    await env.setup()
    start = env.clock.now()
    names = [f"calme{i}" for i in range(7)]  # 7 joins in a minute: under 10, no burst
    for i, name in enumerate(names):
        await sb.join(town.guild, name, at=start + timedelta(seconds=8 * i))
    await env.settle()
    threads = sb.threads_in(town.general)
    assert len(threads) == 7 and len(env.calls(*CREATE_THREAD)) == 7
    assert all(th.type == 12 for th in threads)
    rows = await env.welcomes()
    assert sorted(r.thread_id for r in rows) == sorted(th.id for th in threads)
    assert not any(r.shared for r in rows)


async def test_public_thread_when_private_is_not_allowed_and_why(env: Env) -> None:
    sb, town = env.sb, env.town
    await env.restrict_bot(env.no_private)
    answer = await env.setup()
    assert t("welcome.kind.private_unavailable", "fr") in answer
    await sb.join(town.guild, "nouvelle")
    await env.settle()
    assert thread_of(env).type == 11


async def test_setup_refused_without_permissions_and_for_unsafe_templates(env: Env) -> None:
    sb, town = env.sb, env.town
    attack = await env.setup(template="Salut {member.guild.owner}")
    assert attack == t("templates.plain_names_only", "fr", field="{member.guild.owner}")
    await env.restrict_bot(env.muted)
    refused = await env.setup()
    assert refused == t(
        "welcome.setup_missing_permissions", "fr", perms="Envoyer des messages dans les fils"
    )
    show = await sb.invoke(town.guild, town.admin, "welcome", subcommand="show")
    assert show.content == t("welcome.not_configured", "fr")  # nothing was stored


async def test_without_admin_channel_the_owner_gets_one_dm(env: Env) -> None:
    sb, town = env.sb, env.town
    await env.setup()
    sb.faults.next(*CREATE_THREAD, status=403, count=100)
    for name in ("ana", "bob"):
        await sb.join(town.guild, name)
        await env.settle()
    (dm,) = sb.core.dm_messages
    owner_id, body = dm
    assert owner_id == town.guild.owner_id
    assert "Créer des fils privés" in body["content"]
    assert body["allowed_mentions"] == {"parse": []}
    assert len(env.calls(*CREATE_THREAD)) == 1


async def test_the_recorder_gets_the_welcome_thread_and_opt_outs_are_not_recorded(
    env: Env,
) -> None:
    """Until the tracking cog provides `bot.recorder`, the test installs the real one."""
    sb, town = env.sb, env.town
    if getattr(env.bot, "recorder", None) is None:
        env.bot.recorder = Recorder(env.bot.db)
    recorder = env.bot.recorder
    await env.setup()
    newbie = await sb.join(town.guild, "nouvelle")
    await env.settle()
    thread = thread_of(env)
    async with env.bot.db.session() as session:
        tracked = await session.get(TrackedThread, thread.id)
    assert tracked is not None
    assert (tracked.context, tracked.owner_id, tracked.parent_id) == (
        ThreadContext.WELCOME,
        newbie.user.id,
        town.general.id,
    )
    # a member who opted out and comes back is welcomed, but nothing is recorded about them
    shy = await sb.join(town.guild, "discrete")
    await env.settle()
    await sb.leave(town.guild, shy)
    await recorder.set_opted_out(town.guild.id, shy.user.id, True)
    async with env.bot.db.session() as session:
        await session.execute(delete(Welcome).where(Welcome.user_id == shy.user.id))
    await sb.join(town.guild, shy.user)
    await env.settle()
    assert len(sb.threads_in(town.general)) == 3
    assert [r.user_id for r in await env.welcomes()] == [newbie.user.id]
