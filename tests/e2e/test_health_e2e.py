"""/health through the sandbox with the real discord.py client: after a scripted month (the
rows the recorder would have written), an admin gets the four families with the expected
numbers and a valid PNG chart, in the guild's language; a member is refused; two guilds
never see each other's figures; `explain` gives a definition."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import matplotlib.image as mpimg
import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import DailyGuildActivity, DailyMemberActivity, HealthSpan, Member
from bot.i18n import t
from demo.harness import running_foyer
from demo.scenario import Town, build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC).replace(microsecond=0)
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class Two:
    sb: Sandbox
    bot: Any
    fr: Town
    en: Town


def day(days_ago: int) -> Any:
    return (NOW - timedelta(days=days_ago)).date()


async def script_month(db: Database, town: Town, *, heavy: bool) -> None:
    """French guild: three members and a staff admin, a month of activity.
    English guild (`heavy`): one member who wrote 50 messages."""
    gid = town.guild.id
    m = [p.user.id for p in town.members]
    long_ago = NOW - timedelta(days=200)
    people: list[Any] = [
        Member(guild_id=gid, user_id=town.admin.user.id, joined_at=long_ago, is_staff=True)
    ]
    people += [Member(guild_id=gid, user_id=uid, joined_at=long_ago) for uid in m]
    rows: list[Any] = []
    if heavy:
        rows.append(DailyMemberActivity(guild_id=gid, user_id=m[0], day=day(2), messages=50))
    else:
        rows += [
            DailyMemberActivity(guild_id=gid, user_id=m[0], day=day(3), messages=4, peer_given=2),
            DailyMemberActivity(
                guild_id=gid, user_id=m[1], day=day(10), messages=1, reactions_given=1,
                staff_received=2,
            ),
            DailyMemberActivity(
                guild_id=gid, user_id=m[2], day=day(20), messages=2, ritual_messages=1
            ),
            DailyMemberActivity(guild_id=gid, user_id=m[0], day=day(40), messages=1),
        ]  # fmt: skip
    totals: dict[Any, int] = {}
    for row in rows:
        if isinstance(row, DailyMemberActivity):
            totals[row.day] = totals.get(row.day, 0) + row.messages
    rows += [DailyGuildActivity(guild_id=gid, day=d, member_messages=n) for d, n in totals.items()]
    async with db.session() as session:
        for person in people:  # the recorder may have written them already
            await session.merge(person)
        session.add_all(rows)


@pytest.fixture
async def two(sandbox: Sandbox, database_url: str) -> AsyncIterator[Two]:
    fr = build_town(sandbox, "Atelier", locale="fr", members=3)
    en = build_town(sandbox, "Workshop", locale="en-US", members=2)
    async with running_foyer(sandbox, database_url=database_url, clock=ManualClock(NOW)) as bot:
        await script_month(bot.db, fr, heavy=False)
        await script_month(bot.db, en, heavy=True)
        yield Two(sandbox, bot, fr, en)


def family(embeds: list[dict[str, Any]], title: str) -> str:
    return next(e["description"] for e in embeds if e.get("title") == title)


def check_png(data: bytes) -> None:
    assert data.startswith(PNG)
    height, width, _ = mpimg.imread(io.BytesIO(data), format="png").shape
    assert (width, height) == (1100, 700)


async def test_admin_sees_the_four_families_in_french(two: Two) -> None:
    res = await two.sb.invoke(two.fr.guild, two.fr.admin, "health")
    assert res.ephemeral
    embeds = res.embeds
    assert embeds[0]["title"] == "Santé de la communauté : 28 derniers jours"
    participation = family(embeds, "Participation")
    assert "Membres : **3**" in participation
    assert "Équipe : **" in participation  # camille, and the owner once the recorder saw them
    assert "Membres actifs : **3**" in participation
    assert "Taux d'actifs : **100\xa0%**" in participation
    assert "Messages par membre actif : **2,3**" in participation  # 7 / 3
    retention = family(embeds, "Rétention")
    assert "Rétention des actifs : **100\xa0%**" in retention  # m0 was active before too
    contribution = family(embeds, "Contribution")
    assert "Interactions entre membres : **2**" in contribution
    assert "Interactions de l'équipe : **2**" in contribution
    assert "Part horizontale : **50\xa0%**" in contribution
    assert "Participants aux rituels : **1**" in contribution
    advocacy = family(embeds, "Recommandation")
    assert "Reconnaissance : **1**" in advocacy
    assert "Effet des mises en avant : pas encore assez de données" in advocacy
    # action first: the first embed opens with the signals, here with what was checked
    head = embeds[0]["description"]
    assert head.startswith("Aucun signal faible sur cette période.\n")
    assert "Pas encore assez de données pour vérifier : " in head
    assert head.index("Pas encore assez de données") < head.index("Du ")  # before the period
    check_png(res.files["health.png"])
    assert "Arrivés : **0**" in next(
        e["description"] for e in embeds if e["title"] == "Parcours des nouveaux"
    )


async def test_english_guild_in_english_and_isolated(two: Two) -> None:
    res = await two.sb.invoke(two.en.guild, two.en.admin, "health", options={"period": "7d"})
    embeds = res.embeds
    assert embeds[0]["title"] == "Community health: last 7 days"
    participation = family(embeds, "Participation")
    assert "Members: **2**" in participation
    assert "Active members: **1**" in participation
    assert "Messages per active member: **50.0**" in participation
    assert "Peer interactions: **0**" in family(embeds, "Contribution")
    check_png(res.files["health.png"])
    # and the French guild never shows the English guild's 50 messages
    fr = await two.sb.invoke(two.fr.guild, two.fr.admin, "health", options={"period": "7d"})
    assert "**50" not in str(fr.embeds)
    assert "Membres actifs : **1**" in family(fr.embeds, "Participation")  # only m0, 3 d ago


async def test_member_is_refused(two: Two) -> None:
    member = two.fr.members[0]
    with pytest.raises(PermissionError):
        await two.sb.invoke(two.fr.guild, member, "health")
    res = await two.sb.invoke(two.fr.guild, member, "health", check_permissions=False)
    assert res.ephemeral
    assert res.content == t("errors.not_admin", "fr")
    assert not res.files and not res.embeds


async def test_explain_gives_the_definition(two: Two) -> None:
    res = await two.sb.invoke(
        two.fr.guild, two.fr.admin, "health", options={"explain": "contribution.horizontal_share"}
    )
    assert res.ephemeral
    (embed,) = res.embeds
    assert embed["title"] == "Part horizontale"
    assert embed["description"] == t("health.figure.contribution.horizontal_share.definition", "fr")


async def test_weekly_digest_posted_once_in_the_admin_channel(
    sandbox: Sandbox, database_url: str
) -> None:
    """Monday 09:00 in Paris: the 28-day summary and the chart in #admin, once."""
    town = build_town(sandbox, "Atelier", locale="fr", members=3, bot_in_admin=True)
    monday_9 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    clock = ManualClock(monday_9 - timedelta(hours=2))
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        await bot.guild_settings.update(town.guild.id, admin_channel_id=town.admin_channel.id)
        clock.set(monday_9 + timedelta(minutes=1))
        await bot.scheduler.run_due()
        await bot.scheduler.run_due()
        posts = sandbox.messages_in(town.admin_channel)
        assert len(posts) == 1
        (post,) = posts
        assert post.embeds[0]["title"] == "Bilan de santé hebdomadaire"
        assert post.embeds[0]["description"].startswith("Voici comment la communauté")
        check_png(post.files["health.png"])


async def test_a_scripted_month_through_the_real_recorder(
    sandbox: Sandbox, database_url: str
) -> None:
    """Messages, replies and a reaction posted through the sandbox over a month, recorded
    by the real recorder: /health counts them as worked out by hand."""
    # the members joined long before Foyer arrived (and before the messages replayed below)
    town = build_town(
        sandbox, "Atelier", locale="fr", members=3, created_at=NOW - timedelta(days=400)
    )
    m0, m1, m2 = town.members
    general = town.general
    clock = ManualClock(NOW - timedelta(days=21))  # Foyer arrives 21 days ago
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        clock.set(NOW)
        first = await sandbox.post(general, m0, "bonjour", at=NOW - timedelta(days=20))
        await sandbox.post(
            general, m1, "salut !", at=NOW - timedelta(days=20, hours=-1), reply_to=first
        )
        question = await sandbox.post(general, m2, "une question", at=NOW - timedelta(days=10))
        await sandbox.post(
            general, town.admin, "réponse", at=NOW - timedelta(days=10, hours=-2), reply_to=question
        )
        for i in range(3):
            await sandbox.post(general, m0, f"idée {i}", at=NOW - timedelta(days=3, minutes=-i))
        await sandbox.react(first, m1, "🎉")
        await sandbox.wait_for_bot_idle()
        await bot.recorder.flush()
        res = await sandbox.invoke(town.guild, town.admin, "health")
    embeds = res.embeds
    participation = family(embeds, "Participation")
    # the guild's owner and camille hold Manage Server: staff (no staff role configured);
    # Foyer arrived 21 days ago, so the 28-day sums are marked "*" (not enough data) and
    # nothing is compared with the 28 days before (headcounts are not sums: no "*")
    none = "(pas encore assez d'historique)"
    assert f"Membres : **3** {none}\n" in participation
    assert f"Équipe : **2** {none}\n" in participation
    assert f"Membres actifs : **3** {none} *" in participation  # m0, m1, m2; not the admin
    assert f"Membres à 3 messages ou plus : **1** {none} *" in participation  # m0: 4 messages
    assert f"Messages par membre actif : **2,0** {none} *" in participation  # 6 / 3
    # m0's first message got m1's reply, m2's question the admin's answer
    assert f"Conversations lancées par les membres : **2** {none} *" in participation
    assert "Depuis l'arrivée de Foyer il y a 21 jours" in embeds[0]["description"]
    families = str([e["description"] for e in embeds[1:5]])
    assert not any(a in families for a in "↗↘→") and "(avant :" not in families
    contribution = family(embeds, "Contribution")
    assert f"Interactions entre membres : **1** {none} *" in contribution  # m1 -> m0
    assert f"Interactions de l'équipe : **1** {none} *" in contribution  # admin -> m2
    assert f"Part horizontale : **50\xa0%** {none} *" in contribution
    recognition = family(embeds, "Recommandation")
    assert f"Reconnaissance : **1** {none} *" in recognition  # m1 on m0's post
    check_png(res.files["health.png"])


async def test_the_nightly_folding_leaves_each_guild_s_spans(two: Two) -> None:
    cog = two.bot.get_cog("HealthCog")
    await cog.nightly_folding()
    async with two.bot.db.session() as session:
        guilds = set(await session.scalars(select(HealthSpan.guild_id)))
    assert guilds == {two.fr.guild.id, two.en.guild.id}
    res = await two.sb.invoke(two.fr.guild, two.fr.admin, "health")
    assert "Membres actifs : **3**" in family(res.embeds, "Participation")
