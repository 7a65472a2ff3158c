"""Buddies end to end (issue 18): the real discord.py client through the sandbox.

Volunteers join (the call's button and the command), three newcomers arrive and are
offered a buddy in their welcome thread, two accept and get different buddies, a silent
buddy gets one reminder and then the newcomer is offered another, a buddy who leaves the
server is replaced; bad input gets a clear answer and saves nothing. The guild is French.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.buddies.job import buddy_round
from bot.clock import ManualClock
from bot.db.models import BuddyMatch, BuddyTopicRole, BuddyVolunteer, BuddyVolunteerTopic
from bot.i18n import t
from demo.harness import running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Channel, Sandbox
from discord_sandbox.interactions import InteractionResult
from discord_sandbox.state import Member, Message

pytestmark = pytest.mark.e2e

ADD_MEMBER = ("PUT", "/channels/{channel_id}/thread-members/{user_id}")


@dataclass
class Env:
    sb: Sandbox
    bot: Any
    town: Town
    clock: ManualClock

    async def settle(self) -> None:
        await self.sb.wait_for_bot_idle()
        await self.bot.get_cog("WelcomeCog").service.wait_idle()
        await self.sb.wait_for_bot_idle()

    async def buddy(self, who: Member, sub: str, **options: Any) -> str:
        res = await self.sb.invoke(self.town.guild, who, "buddy", subcommand=sub, options=options)
        return said(res)

    async def round(self) -> None:
        await buddy_round(self.bot.get_cog("BuddyCog").io)
        await self.sb.wait_for_bot_idle()

    async def rows(self, model: Any) -> list[Any]:
        async with self.bot.db.session() as session:
            found = await session.scalars(select(model).where(model.guild_id == self.town.guild.id))
            return list(found.all())

    def thread_of(self, newcomer: Member) -> Channel:
        (thread,) = [
            th
            for th in self.sb.threads_in(self.town.general)
            if newcomer.user.id in th.thread_members
        ]
        return thread

    def posts(self, thread: Channel) -> list[Message]:
        me = self.sb.bot_user.id
        return [m for m in self.sb.messages_in(thread) if m.author.id == me]


def said(res: InteractionResult) -> str:
    return "\n".join(m.content for m in res.messages if m.content)


def offer_in(env: Env, thread: Channel, newcomer: Member) -> Message:
    custom_id = f"foyer:buddy:accept:{newcomer.user.id}"
    return [m for m in env.posts(thread) if custom_id in str(m.components)][-1]


@pytest.fixture
async def env(sandbox: Sandbox, database_url: str) -> AsyncIterator[Env]:
    town = build_town(sandbox, members=5)
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        e = Env(sandbox, bot, town, clock)
        await sandbox.invoke(
            town.guild, town.admin, "welcome", subcommand="setup", options={"channel": town.general}
        )
        yield e


async def test_volunteers_newcomers_reminder_and_replacement(env: Env) -> None:
    sb, town = env.sb, env.town
    ana, bea, cyril, dora, _ = town.members
    answer = await env.buddy(town.admin, "setup", enabled=True, channel=town.help)
    assert "Binômes : activés" in answer
    (call,) = [m for m in sb.messages_in(town.help) if m.author.id == sb.bot_user.id]
    assert "foyer:buddy:volunteer" in str(call.components)

    # bad input first: nothing saved
    for wrong in (0, 99):
        refused = await env.buddy(ana, "join", capacity=wrong)
        assert f"entre 1 et 5 ; vous avez donné {wrong}. Rien n'a été modifié." in refused
    sewing = sb.create_role(town.guild, "Couture")  # a role the admins did not offer
    refused = await env.buddy(ana, "join", capacity=1, topic=sewing)
    assert refused == t("buddies.unknown_topic", "fr", role=f"<@&{sewing.id}>")
    assert await env.rows(BuddyVolunteer) == []

    joined = said(await sb.click(call, ana, "foyer:buddy:volunteer"))
    assert joined == t("buddies.joined", "fr", capacity=1)
    assert "Nouveaux à la fois : 2" in await env.buddy(bea, "join", capacity=2)
    assert {(v.user_id, v.capacity) for v in await env.rows(BuddyVolunteer)} == {
        (ana.user.id, 1),
        (bea.user.id, 2),
    }

    newcomers = [await sb.join(town.guild, name) for name in ("nina", "omar", "paula")]
    await env.settle()
    for newcomer in newcomers:
        offer = offer_in(env, env.thread_of(newcomer), newcomer)
        assert f"<@{newcomer.user.id}>, voulez-vous un binôme ?" in (offer.content or "")
    nina, omar, _paula = newcomers

    # a member clicking another's button: refused, nothing matched
    thread_n = env.thread_of(nina)
    other = said(
        await sb.click(offer_in(env, thread_n, nina), omar, f"foyer:buddy:accept:{nina.user.id}")
    )
    assert other == t("buddies.not_your_button", "fr", member=f"<@{nina.user.id}>")
    assert await env.rows(BuddyMatch) == []

    first = said(
        await sb.click(offer_in(env, thread_n, nina), nina, f"foyer:buddy:accept:{nina.user.id}")
    )
    thread_o = env.thread_of(omar)
    second = said(
        await sb.click(offer_in(env, thread_o, omar), omar, f"foyer:buddy:accept:{omar.user.id}")
    )
    await sb.wait_for_bot_idle()
    matches = sorted(await env.rows(BuddyMatch), key=lambda m: m.id)
    # load spread: both have none, so the longest-standing volunteer first, then the other
    assert [m.buddy_id for m in matches] == [ana.user.id, bea.user.id]
    assert first == t("buddies.accepted", "fr", buddy=f"<@{ana.user.id}>")
    assert second == t("buddies.accepted", "fr", buddy=f"<@{bea.user.id}>")
    assert ana.user.id in thread_n.thread_members and bea.user.id in thread_o.thread_members
    told = [
        m
        for m in env.posts(thread_n)
        if (m.content or "").startswith(f"<@{ana.user.id}>, vous voici")
    ]
    assert len(told) == 1
    (sent,) = [c for c in sb.calls_to("POST", "/channels/{channel_id}/messages")
               if c.json and c.json.get("content") == told[0].content]  # fmt: skip
    mentions = sent.json["allowed_mentions"]  # the buddy only: no @everyone, no role
    assert mentions["parse"] == [] and [int(u) for u in mentions["users"]] == [ana.user.id]

    # Béa answers Omar; Ana stays silent
    await sb.post(thread_o, bea, "Salut !")
    await sb.wait_for_bot_idle()
    env.clock.advance(timedelta(hours=25))
    await env.round()
    await env.round()
    reminders = [m for m in env.posts(thread_n) if "petit rappel" in (m.content or "")]
    assert len(reminders) == 1 and reminders[0].content.startswith(f"<@{ana.user.id}>")
    assert not [m for m in env.posts(thread_o) if "petit rappel" in (m.content or "")]

    env.clock.advance(timedelta(hours=24))
    await env.round()
    await env.round()
    reoffers = [m for m in env.posts(thread_n) if "semble occupé" in (m.content or "")]
    assert len(reoffers) == 1
    await env.buddy(cyril, "join")
    again = said(await sb.click(reoffers[0], nina, f"foyer:buddy:accept:{nina.user.id}"))
    assert again == t("buddies.accepted", "fr", buddy=f"<@{cyril.user.id}>")  # never Ana again

    # Béa leaves the server: Omar gets another buddy; Ana (free again, volunteered
    # before Dora) is the first of the free ones with no newcomer
    await env.buddy(dora, "join")
    added = len(sb.calls_to(*ADD_MEMBER))
    await sb.leave(town.guild, bea)
    await sb.wait_for_call(*ADD_MEMBER, count=added + 1)  # the replacement joins the thread
    await sb.wait_for_bot_idle()
    current = {m.newcomer_id: m.buddy_id for m in await env.rows(BuddyMatch) if m.ended_at is None}
    assert current == {nina.user.id: cyril.user.id, omar.user.id: ana.user.id}
    ended = {(m.buddy_id, m.ended_reason) for m in await env.rows(BuddyMatch) if m.ended_at}
    assert ended == {(ana.user.id, "silent"), (bea.user.id, "buddy_left")}

    status = await env.buddy(town.admin, "status")
    assert (
        "Nouveaux en attente : 0" in status and "Binômes formés ces 28 derniers jours : 4" in status
    )


async def test_a_buddy_gone_while_being_added_is_skipped_for_the_next(env: Env) -> None:
    """Discord says the chosen buddy is no longer a member (they left mid-pairing, before
    Foyer heard of it): that match ends and the next volunteer is given, in one click."""
    sb, town = env.sb, env.town
    ana, bea = town.members[:2]
    await env.buddy(town.admin, "setup", enabled=True)
    await env.buddy(ana, "join")
    await env.buddy(bea, "join")
    nina = await sb.join(town.guild, "nina")
    await env.settle()
    thread = env.thread_of(nina)
    gone = {"message": "Unknown Member", "code": 10007}
    sb.faults.next("PUT", "/channels/{channel_id}/thread-members/{user_id}", status=404, body=gone)
    answer = said(
        await sb.click(offer_in(env, thread, nina), nina, f"foyer:buddy:accept:{nina.user.id}")
    )
    assert answer == t("buddies.accepted", "fr", buddy=f"<@{bea.user.id}>")
    rows = sorted(await env.rows(BuddyMatch), key=lambda m: m.id)
    assert [(m.buddy_id, m.ended_reason) for m in rows] == [
        (ana.user.id, "buddy_left"),
        (bea.user.id, None),
    ]
    assert ana.user.id not in thread.thread_members and bea.user.id in thread.thread_members


async def test_a_reminder_discord_refuses_is_not_asked_again(env: Env) -> None:
    """A 403 on the reminder (the bot lost Send Messages in Threads): logged once, and the
    rounds every ten minutes do not ask Discord again (no 403 loop)."""
    sb, town = env.sb, env.town
    ana = town.members[0]
    await env.buddy(town.admin, "setup", enabled=True)
    await env.buddy(ana, "join")
    nina = await sb.join(town.guild, "nina")
    await env.settle()
    thread = env.thread_of(nina)
    await sb.click(offer_in(env, thread, nina), nina, f"foyer:buddy:accept:{nina.user.id}")
    await sb.wait_for_bot_idle()
    env.clock.advance(timedelta(hours=25))
    denied = {"message": "Missing Permissions", "code": 50013}
    sb.faults.next("POST", "/channels/{channel_id}/messages", status=403, body=denied)
    posts = f"/channels/{thread.id}/messages"
    await env.round()
    tried = [
        c for c in sb.calls_to("POST", "/channels/{channel_id}/messages") if c.path.endswith(posts)
    ]
    for _ in range(3):
        env.clock.advance(timedelta(minutes=10))
        await env.round()
    again = [
        c for c in sb.calls_to("POST", "/channels/{channel_id}/messages") if c.path.endswith(posts)
    ]
    assert tried and len(again) == len(tried)  # the refused reminder was the last call there
    assert not [m for m in env.posts(thread) if "petit rappel" in (m.content or "")]


async def test_an_english_server_reads_it_all_in_english(
    sandbox: Sandbox, database_url: str
) -> None:
    town = build_town(sandbox, locale="en-US")
    ana = town.members[0]
    async with running_foyer(sandbox, database_url=database_url) as bot:
        env = Env(sandbox, bot, town, ManualClock(datetime.now(UTC)))
        await sandbox.invoke(
            town.guild, town.admin, "welcome", subcommand="setup", options={"channel": town.general}
        )
        assert "Buddies: on" in await env.buddy(town.admin, "setup", enabled=True)
        refused = await env.buddy(ana, "join", capacity=99)
        assert "between 1 and 5; you gave 99. Nothing was changed." in refused
        assert await env.buddy(ana, "join", capacity=2) == t("buddies.joined", "en", capacity=2)
        nora = await sandbox.join(town.guild, "nora")
        await env.settle()
        offer = offer_in(env, env.thread_of(nora), nora)
        assert offer.content == t("buddies.offer", "en", newcomer=f"<@{nora.user.id}>")
        button = offer.components[0]["components"][0]
        assert button["label"] == t("buddies.offer.button", "en")


@pytest.mark.parametrize(("locale", "lang"), [("fr", "fr"), ("en-US", "en")])
async def test_a_topic_role_deleted_on_discord_is_no_longer_a_topic(
    sandbox: Sandbox, database_url: str, locale: str, lang: str
) -> None:
    """An admin deletes an offered topic role in the server settings (GUILD_ROLE_DELETE):
    Foyer drops it at once for the guild and its volunteers; choosing it again, as a member
    or an admin whose Discord still shows it, is refused and saves nothing."""
    town = build_town(sandbox, locale=locale)
    ana = town.members[0]
    python = sandbox.create_role(town.guild, "Python")
    rust = sandbox.create_role(town.guild, "Rust")
    owner = sandbox.world.users[town.guild.owner_id]
    async with running_foyer(sandbox, database_url=database_url) as bot:
        env = Env(sandbox, bot, town, ManualClock(datetime.now(UTC)))
        await env.buddy(town.admin, "setup", enabled=True, topic_1=python, topic_2=rust)
        await env.buddy(ana, "join", capacity=2, topic=python, topic_2=rust)
        both = f"<@&{python.id}>, <@&{rust.id}>"
        assert t("buddies.me.topics", lang, topics=both) in await env.buddy(ana, "me")

        await sandbox.delete_role(town.guild, owner, python)
        await sandbox.wait_for_bot_idle()
        for _ in range(100):  # the listener's write may land just after the dispatch is read
            if {r.role_id for r in await env.rows(BuddyTopicRole)} == {rust.id}:
                break
            await asyncio.sleep(0.05)
        assert {r.role_id for r in await env.rows(BuddyTopicRole)} == {rust.id}
        assert {(v.user_id, v.role_id) for v in await env.rows(BuddyVolunteerTopic)} == {
            (ana.user.id, rust.id)
        }
        mine = await env.buddy(ana, "me")
        assert t("buddies.me.topics", lang, topics=f"<@&{rust.id}>") in mine
        summary = await env.buddy(town.admin, "setup")
        assert f"<@&{rust.id}>" in summary and f"<@&{python.id}>" not in summary

        # the deleted role chosen again: a clear answer, nothing saved
        refused = await env.buddy(ana, "join", capacity=3, topic=python)
        assert refused == t("buddies.unknown_topic", lang, role=f"<@&{python.id}>")
        refused = await env.buddy(town.admin, "setup", topic_1=python)
        assert refused == t("errors.bad_option", lang, value=f"<@&{python.id}>")
        assert [v.capacity for v in await env.rows(BuddyVolunteer)] == [2]
        assert {r.role_id for r in await env.rows(BuddyTopicRole)} == {rust.id}
        assert {v.role_id for v in await env.rows(BuddyVolunteerTopic)} == {rust.id}
