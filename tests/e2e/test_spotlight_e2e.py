"""Spotlights through the sandbox with the real discord.py client: suggestion order and
exclusions, picking with a note, the REST body of the post (only that member may be
pinged), the refuse button, admin gating, French for a French guild."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import ActivityEvent, DailyMemberActivity, Member, Spotlight
from bot.db.models.activity import ActorRole, EventKind, Interaction
from bot.db.models.scheduling import RunStatus
from bot.i18n import t
from demo.harness import running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC).replace(microsecond=0)
POST_ROUTE = "/channels/{channel_id}/messages"
_refs = itertools.count(1)


@dataclass
class Community:
    sb: Sandbox
    bot: Any
    town: Town

    def uid(self, i: int) -> int:
        return self.town.members[i].user.id


async def seed(db: Database, guild_id: int, user_id: int, *, peer: int, helped: int,
               conversations: int = 0, reactions: int = 0) -> None:  # fmt: skip
    """What the recorder would have written for a member over the last days."""
    at = NOW - timedelta(days=3)
    async with db.session() as session:
        session.add(
            DailyMemberActivity(
                guild_id=guild_id,
                day=at.date(),
                user_id=user_id,
                messages=peer + conversations,
                peer_given=peer,
                conversations_started=conversations,
                reactions_received=reactions,
            )
        )
        for i in range(peer):
            session.add(
                ActivityEvent(
                    guild_id=guild_id,
                    kind=EventKind.MESSAGE,
                    ref_id=next(_refs),
                    occurred_at=at,
                    actor_id=user_id,
                    actor_role=ActorRole.MEMBER,
                    target_id=10_000 + i % helped,
                    target_role=ActorRole.MEMBER,
                    interaction=Interaction.PEER,
                )
            )


@pytest.fixture
async def community(sandbox: Sandbox, database_url: str) -> AsyncIterator[Community]:
    """A French guild of six members; the recorder's rows are written directly:
    member0: 3*4 + 8 + 2*2 = 24 (the top contributor)
    member1: 3*3 + 5 = 14
    member2: 3*1 + min(30, 3) + 0.5*10 = 11 (volume to one person)
    member3: opted out, member4: spotlighted last week, admin: staff (all would rank first)
    member5: no peer interaction."""
    town = build_town(sandbox, "Atelier", locale="fr", members=6)
    spotlights = sandbox.create_channel(town.guild, "bravo")
    async with running_foyer(sandbox, database_url=database_url, clock=ManualClock(NOW)) as bot:
        gid = town.guild.id
        c = Community(sandbox, bot, town)
        await seed(bot.db, gid, c.uid(0), peer=8, helped=4, conversations=2)
        await seed(bot.db, gid, c.uid(1), peer=5, helped=3)
        await seed(bot.db, gid, c.uid(2), peer=30, helped=1, reactions=10)
        for uid in (c.uid(3), c.uid(4), town.admin.user.id):
            await seed(bot.db, gid, uid, peer=50, helped=20)
        async with bot.db.session() as session:
            # merge: the bot's start-up reconciliation may have stored these members already
            await session.merge(Member(guild_id=gid, user_id=c.uid(3), opted_out=True))
            await session.merge(Member(guild_id=gid, user_id=town.admin.user.id, is_staff=True))
            session.add(
                Spotlight(guild_id=gid, member_id=c.uid(4), posted_at=NOW - timedelta(weeks=1),
                          posted_by=town.admin.user.id, source=1, channel_id=spotlights.id)
            )  # fmt: skip
        done = await sandbox.invoke(
            town.guild, town.admin, "spotlight", subcommand="setup",
            options={"channel": spotlights, "cooldown_weeks": 8},
        )  # fmt: skip
        assert done.ephemeral and f"<#{spotlights.id}>" in (done.content or "")
        yield c


def _mentioned(field: dict[str, Any]) -> str:
    return field["value"].split("\n", 1)[0]


async def test_suggestion_ranks_by_hand_and_excludes(community: Community) -> None:
    sb, town = community.sb, community.town
    shown = await sb.invoke(town.guild, town.admin, "spotlight", subcommand="suggest")
    assert shown.ephemeral
    (embed,) = shown.embeds
    assert embed["title"] == t("spotlight.suggest.title", "fr", days=28)
    ranked = [_mentioned(f) for f in embed["fields"]]
    assert ranked == [f"<@{community.uid(i)}>" for i in (0, 1, 2)]
    everything = str(shown.embeds) + str(shown.components)
    for excluded in (community.uid(3), community.uid(4), community.uid(5), town.admin.user.id):
        assert str(excluded) not in everything
    # plain reasons, in French, with counts only
    assert "a répondu à 4 membres (8 réponses)" in embed["fields"][0]["value"]
    assert "a lancé 2 conversations" in embed["fields"][0]["value"]
    ids = [c["custom_id"] for row in shown.components for c in row["components"]]
    assert ids == [f"foyer:spotlight:pick:{community.uid(i)}" for i in (0, 1, 2)]


async def test_pick_with_note_posts_pinging_only_that_member(community: Community) -> None:
    sb, town = community.sb, community.town
    top = community.uid(0)
    shown = await sb.invoke(town.guild, town.admin, "spotlight", subcommand="suggest")
    assert shown.original is not None
    modal = await sb.click(shown.original, town.admin, f"foyer:spotlight:pick:{top}")
    assert modal.modal is not None
    before = len(sb.calls_to("POST", POST_ROUTE))
    done = await sb.submit_modal(modal, town.admin, {"note": "Merci pour ton aide @everyone <@&1>"})
    assert done.ephemeral
    assert "Mise en avant publiée" in (done.content or "")
    (call,) = sb.calls_to("POST", POST_ROUTE)[before:]
    body = call.json
    assert body["allowed_mentions"]["parse"] == []
    assert [int(u) for u in body["allowed_mentions"]["users"]] == [top]
    assert not body["allowed_mentions"].get("roles")
    assert f"<@{top}>" in body["content"]
    embed = body["embeds"][0]
    assert embed["title"] == "Mise en avant"
    values = [f["value"] for f in embed["fields"]]
    assert "• a répondu à 4 membres (8 réponses)" in values[0]
    assert values[1] == "Merci pour ton aide @everyone <@&1>"
    async with community.bot.db.session() as session:
        row = await session.get(Spotlight, 2)
    assert row is not None and (row.member_id, row.source, row.peer_given) == (top, 2, 8)
    # now within the cooldown: no longer suggested
    again = await sb.invoke(town.guild, town.admin, "spotlight", subcommand="suggest")
    assert str(top) not in str(again.embeds)


async def test_refuse_button_only_works_for_the_spotlighted_member(community: Community) -> None:
    sb, town = community.sb, community.town
    target = community.uid(1)
    await sb.invoke(
        town.guild, town.admin, "spotlight", subcommand="post",
        options={"member": town.members[1]},
    )  # fmt: skip
    channel = next(ch for ch in town.guild.channels.values() if ch.name == "bravo")
    post = sb.messages_in(channel)[-1]
    custom_id = f"foyer:spotlight:refuse:{target}"
    other = await sb.click(post, town.members[0], custom_id)
    assert other.ephemeral and other.content == t("spotlight.refuse.not_you", "fr")
    mine = await sb.click(post, town.members[1], custom_id)
    assert mine.content == t("spotlight.refuse.removed", "fr")
    assert post.id not in [m.id for m in sb.messages_in(channel)]  # taken down
    refused = await sb.invoke(
        town.guild, town.admin, "spotlight", subcommand="post",
        options={"member": town.members[1]},
    )  # fmt: skip
    assert refused.content == t("spotlight.member_refused", "fr", member=f"<@{target}>")


async def test_member_optout_command_removes_them_from_suggestions(community: Community) -> None:
    sb, town = community.sb, community.town
    done = await sb.invoke(town.guild, town.members[0], "spotlight-optout")
    assert done.ephemeral and done.content == t("spotlight.refuse.done", "fr")
    shown = await sb.invoke(town.guild, town.admin, "spotlight", subcommand="suggest")
    assert str(community.uid(0)) not in str(shown.embeds)
    assert _mentioned(shown.embeds[0]["fields"][0]) == f"<@{community.uid(1)}>"


async def test_admin_commands_are_gated(community: Community) -> None:
    sb, town = community.sb, community.town
    with pytest.raises(PermissionError):
        await sb.invoke(town.guild, town.members[0], "spotlight", subcommand="suggest")
    for sub in ("suggest", "history"):
        refused = await sb.invoke(
            town.guild, town.members[0], "spotlight", subcommand=sub, check_permissions=False
        )
        assert refused.ephemeral
        assert refused.content == t("errors.not_admin", "fr")
    shown = await sb.invoke(town.guild, town.admin, "spotlight", subcommand="suggest")
    assert shown.original is not None
    pick = f"foyer:spotlight:pick:{community.uid(0)}"
    post = await sb.click(shown.original, town.members[0], pick)
    assert post.modal is None and post.content == t("errors.not_admin", "fr")


async def test_history_lists_spotlights(community: Community) -> None:
    sb, town = community.sb, community.town
    shown = await sb.invoke(town.guild, town.admin, "spotlight", subcommand="history")
    assert shown.ephemeral
    (embed,) = shown.embeds
    assert embed["title"] == "Dernières mises en avant"
    assert f"<@{community.uid(4)}>" in embed["description"]


async def test_weekly_suggestion_reaches_the_admin_channel_once(community: Community) -> None:
    sb, town, bot = community.sb, community.town, community.bot
    await sb.invoke(
        town.guild, town.admin, "setup", subcommand="set",
        options={"admin_channel": town.admin_channel, "timezone": "Europe/Paris"},
    )  # fmt: skip
    paris = ZoneInfo("Europe/Paris")
    day = (NOW + timedelta(days=2)).astimezone(paris).date()
    done = await sb.invoke(
        town.guild, town.admin, "spotlight", subcommand="setup",
        options={"suggestion_day": day.weekday()},
    )  # fmt: skip
    assert t(f"spotlight.day.{day.weekday()}", "fr") in (done.content or "")
    due = datetime.combine(day, time(9, 0), tzinfo=paris)
    bot.clock.set(due - timedelta(minutes=1))
    assert await bot.scheduler.run_due() == []
    bot.clock.set(due + timedelta(minutes=1))
    (run,) = await bot.scheduler.run_due()
    assert run.status == RunStatus.POSTED
    assert await bot.scheduler.run_due() == []
    (posted,) = sb.messages_in(town.admin_channel)
    assert posted.embeds[0]["title"] == t("spotlight.suggest.weekly_title", "fr")
    assert _mentioned(posted.embeds[0]["fields"][0]) == f"<@{community.uid(0)}>"
    assert custom_id_of(posted, 0) == f"foyer:spotlight:pick:{community.uid(0)}"


def custom_id_of(message: Any, index: int) -> str:
    return [c["custom_id"] for row in message.components for c in row["components"]][index]


async def test_english_when_the_guild_chose_english(community: Community) -> None:
    sb, town = community.sb, community.town
    await sb.invoke(town.guild, town.admin, "setup", subcommand="set", options={"language": "en"})
    shown = await sb.invoke(town.guild, town.admin, "spotlight", subcommand="suggest")
    (embed,) = shown.embeds
    assert embed["title"] == "Spotlight suggestions: the last 28 days"
    assert "answered 4 members (8 answers)" in embed["fields"][0]["value"]


async def test_weekly_suggestion_posted_before_a_crash_is_adopted(community: Community) -> None:
    """Discord accepted the suggestion, the process died before saving its id, and the
    nonce window is over: the restarted run finds it in #admin and does not post again
    (a restart is played in-process: `recover` is what `start` runs first)."""
    sb, town, bot = community.sb, community.town, community.bot
    await sb.invoke(
        town.guild, town.admin, "setup", subcommand="set",
        options={"admin_channel": town.admin_channel, "timezone": "Europe/Paris"},
    )  # fmt: skip
    paris = ZoneInfo("Europe/Paris")
    day = (NOW + timedelta(days=2)).astimezone(paris).date()
    await sb.invoke(
        town.guild, town.admin, "spotlight", subcommand="setup",
        options={"suggestion_day": day.weekday()},
    )  # fmt: skip
    bot.clock.set(datetime.combine(day, time(9, 1), tzinfo=paris))

    class Died(BaseException):
        pass

    async def die(*_: Any) -> None:
        raise Died

    ledger = bot.scheduler.ledger
    ledger.record_post, record_post = die, ledger.record_post
    with pytest.raises(Died):
        await bot.scheduler.run_due()
    ledger.record_post = record_post
    (first,) = sb.messages_in(town.admin_channel)
    sb.core.nonce_window = timedelta(0)
    (recovered,) = await bot.scheduler.recover()
    await sb.wait_for_bot_idle()
    assert recovered.status == RunStatus.POSTED
    assert [m.id for m in sb.messages_in(town.admin_channel)] == [first.id]
