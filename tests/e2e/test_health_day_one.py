"""Health you can trust from day one (issue 13), through the sandbox with the real client and
recorder: a server whose members joined years ago, Foyer arriving on a Tuesday, two staff
roles set with `/setup staff` after the start, four days of activity. `/health` and `foyer
report --format json` give the figures worked out by hand below; nothing is compared with a
period Foyer never saw, and no stage that nobody could reach shows a 0.

The community (Foyer arrives 2026-11-24 10:00 UTC; the report is made 2026-11-27 18:00):
- already there: the owner (joined with the server, 2022), camille (role Staff, Manage
  Server), mod1 and mod2 (role Modération, no permission), m1..m7 (2023), m8 (joined
  2026-11-10: inside the 28-day period, but before Foyer arrived).
- `/setup staff` Staff, then Modération, just after the start: staff are camille, mod1 and
  mod2 (3); the owner holds no staff role, so counts as a member.
- n1 joins on 2026-11-25 12:00 (the only join Foyer saw); m7 leaves on 2026-11-26 (after
  three years: a leaver of 30+ days, from the join date Foyer found).
- messages: 24 Nov m1 "bonjour" 12:00 and m2's reply 12:30 (peer, m1's conversation);
  25 Nov m3 three messages 09:00-09:02 and mod1's reply to the first 10:00 (staff
  interaction, m3's conversation); 26 Nov n1 one message; 27 Nov m1 two messages.

By hand, over the 28 days ending 2026-11-28 00:00:
- members at the end: owner, m1-m6, m8, n1 = 9; staff 3.
- active members m1, m2, m3, n1 = 4; active rate 4/9 = 44 %; communicators m1 (3) and
  m3 (3) = 2; member messages 3 + 1 + 3 + 1 = 8, per active 8/4 = 2.0; member-initiated
  conversations 2 (m1's, m3's).
- peer interactions 1 (m2 -> m1), staff interactions 1 (mod1 -> m3), horizontal share 50 %.
- newcomers 1 (n1; m8 joined before Foyer arrived); week-1 retention and activation have
  no base (n1's 7 days are not over; m8 is nobody's newcomer): no value.
- leavers 1, over 30 days 1.
- the funnel: nobody was welcomed (no welcome set up): joined 0, every other stage "—".
- data since the arrival; 3 days of data; no previous value, trend or arrow anywhere;
  the weekly series holds only the week of the arrival (W48, still in progress).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli import build_parser
from bot.clock import ManualClock
from bot.db.models import GuildSettings, Member
from bot.metrics import report as report_cli
from demo.harness import running_foyer
from demo.scenario import build_town
from discord_sandbox import Sandbox

pytestmark = pytest.mark.e2e

ARRIVAL = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday
NOW = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
YEARS_AGO = datetime(2023, 3, 1, tzinfo=UTC)
NONE = "(pas encore assez d'historique)"


async def settle(sandbox: Sandbox, bot: Any) -> None:
    """Every dispatch read by the bot, and everything it buffered written."""
    await sandbox.wait_for_bot_idle()
    await bot.recorder.flush()


def family(embeds: list[dict[str, Any]], title: str) -> str:
    return next(e["description"] for e in embeds if e.get("title") == title)


async def test_a_community_foyer_has_just_joined(
    sandbox: Sandbox, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    town = build_town(
        sandbox,
        "Atelier",
        locale="fr",
        members=0,
        created_at=datetime(2022, 1, 10, tzinfo=UTC),
        bot_joined_at=ARRIVAL,
    )
    guild = town.guild
    moderation = sandbox.create_role(guild, "Modération")
    mod1, _mod2 = (
        sandbox.create_member(guild, name, roles=[moderation], joined_at=YEARS_AGO)
        for name in ("mod1", "mod2")
    )
    m = [sandbox.create_member(guild, f"m{i}", joined_at=YEARS_AGO) for i in range(1, 8)]
    sandbox.create_member(guild, "m8", joined_at=datetime(2026, 11, 10, tzinfo=UTC))
    m1, m2, m3, *_, m7 = m
    general = town.general
    clock = ManualClock(ARRIVAL)
    async with running_foyer(sandbox, database_url=database_url, clock=clock) as bot:
        # before the staff roles: the Manage Server holders (owner, camille) are staff
        await settle(sandbox, bot)
        async with bot.db.session() as session:
            staff_before = set(
                await session.scalars(
                    select(Member.user_id).where(
                        Member.guild_id == guild.id, Member.is_staff.is_(True)
                    )
                )
            )
        assert staff_before == {guild.owner_id, town.admin.user.id}
        clock.set(ARRIVAL + timedelta(minutes=5))
        for role in (town.staff_role, moderation):
            res = await sandbox.invoke(
                guild, town.admin, "setup", subcommand="staff", options={"role": role}
            )
            assert f"<@&{role.id}>" in (res.content or "")

        at = ARRIVAL.replace(hour=12)
        hello = await sandbox.post(general, m1, "bonjour", at=at)
        await sandbox.post(general, m2, "salut", at=at + timedelta(minutes=30), reply_to=hello)
        day2 = at + timedelta(days=1, hours=-3)  # 25 Nov 09:00
        question = await sandbox.post(general, m3, "question", at=day2)
        for i in (1, 2):
            await sandbox.post(general, m3, f"détail {i}", at=day2 + timedelta(minutes=i))
        await sandbox.post(
            general, mod1, "réponse", at=day2 + timedelta(hours=1), reply_to=question
        )
        clock.set(datetime(2026, 11, 25, 12, tzinfo=UTC))
        n1 = await sandbox.join(guild, "n1", at=clock.now())
        await settle(sandbox, bot)
        clock.set(datetime(2026, 11, 26, 9, tzinfo=UTC))
        await sandbox.leave(guild, m7)  # noticed at the clock's time
        await settle(sandbox, bot)
        await sandbox.post(general, n1, "coucou", at=datetime(2026, 11, 26, 15, tzinfo=UTC))
        for minute in (0, 5):
            await sandbox.post(
                general, m1, "suite", at=datetime(2026, 11, 27, 8, minute, tzinfo=UTC)
            )
        await settle(sandbox, bot)
        clock.set(NOW)
        res = await sandbox.invoke(guild, town.admin, "health")
        async with bot.db.session() as session:
            settings = await session.get(GuildSettings, guild.id)
        assert settings is not None and settings.joined_at == ARRIVAL

        class Fixed:
            def now(self) -> datetime:
                return NOW

        monkeypatch.setattr(report_cli, "SystemClock", Fixed)
        args = ["report", "--database-url", database_url, "--guild", str(guild.id)]
        assert await report_cli.run(build_parser().parse_args([*args, "--format", "json"])) == 0
    data = json.loads(capsys.readouterr().out)

    # -- /health -----------------------------------------------------------------------
    embeds = res.embeds
    head = embeds[0]["description"]
    assert "Depuis l'arrivée de Foyer il y a 3 jours (le 24 novembre 2026)" in head
    participation = family(embeds, "Participation")
    assert f"Membres : **9** {NONE}\n" in participation
    assert f"Équipe : **3** {NONE}\n" in participation
    assert f"Membres actifs : **4** {NONE} *" in participation
    assert f"Taux d'actifs : **44\xa0%** {NONE} * · n = 9" in participation
    assert f"Membres à 3 messages ou plus : **2** {NONE} *" in participation
    assert f"Messages par membre actif : **2,0** {NONE} *" in participation
    assert f"Conversations lancées par les membres : **2** {NONE} *" in participation
    retention = family(embeds, "Rétention")
    assert f"Nouveaux membres : **1** {NONE} *" in retention
    assert "Rétention à 7 jours : pas encore assez de données" in retention
    assert f"Départs : **1** {NONE} *" in retention
    contribution = family(embeds, "Contribution")
    assert f"Interactions entre membres : **1** {NONE} *" in contribution
    assert f"Interactions de l'équipe : **1** {NONE} *" in contribution
    assert f"Part horizontale : **50\xa0%** {NONE} *" in contribution
    figures_text = "\n".join(e["description"] for e in embeds[1:5])
    assert not any(arrow in figures_text for arrow in "↗↘→")
    assert "(avant :" not in figures_text
    funnel = family(embeds, "Parcours des nouveaux")
    assert "Arrivés : **0**" in funnel
    for stage in ("Se sont présentés", "Ont reçu une réponse", "Encore là après 7 jours"):
        assert f"{stage} : — (" in funnel
    assert "Actifs en semaine 4 : — (" in funnel and "**0** /" not in funnel

    # -- foyer report --format json -----------------------------------------------------
    assert data["data_since"] == ARRIVAL.isoformat()
    assert data["days_of_data"] == 3 and data["period_covered"] is False
    figures = {f["key"]: f for f in data["figures"]}
    assert all(f["previous"] is None and f["trend"] is None for f in figures.values())
    assert not any(f["comparable"] for f in figures.values())
    expected = {
        "participation.members": 9,
        "participation.staff": 3,
        "participation.active_members": 4,
        "participation.communicators": 2,
        "participation.member_conversations": 2,
        "retention.newcomers": 1,
        "retention.leavers": 1,
        "retention.leavers_over_30d": 1,
        "contribution.peer_interactions": 1,
        "contribution.peer_helpers": 1,
        "contribution.staff_interactions": 1,
    }
    assert {k: figures[k]["value"] for k in expected} == expected
    assert figures["participation.active_rate"]["value"] == pytest.approx(4 / 9)
    assert figures["participation.active_rate"]["base"] == 9
    assert figures["participation.messages_per_active"]["value"] == pytest.approx(2.0)
    assert figures["contribution.horizontal_share"]["value"] == pytest.approx(0.5)
    for key in ("retention.week1_retention", "retention.activation"):
        assert (figures[key]["value"], figures[key]["base"]) == (None, 0)
    assert figures["participation.members"]["meaningful"] is True  # a headcount: no "*"
    assert figures["participation.active_members"]["meaningful"] is False
    stages = {s["stage"]: s for s in data["funnel"]["stages"]}
    assert stages["joined"] == {"stage": "joined", "count": 0, "eligible": None}
    for stage in ("introduced", "answered", "stayed", "week4"):
        assert stages[stage] == {"stage": stage, "count": None, "eligible": 0}
    assert [row["week"] for row in data["weekly"]["rows"]] == ["2026-W48"]
    assert data["weekly"]["rows"][0]["active_members"] == 4
    assert all(row["size"] == 0 for row in data["cohorts"]["rows"])
