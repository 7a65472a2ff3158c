"""The health queries on a real database (SQLite, or PostgreSQL in CI): rows inserted by
hand, figures equal to counts made by hand, and one guild never sees another's rows."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import (
    ActivityEvent,
    DailyGuildActivity,
    DailyMemberActivity,
    GuildSettings,
    HealthMemberSpan,
    HealthSpan,
    HealthWeek,
    Member,
    Ritual,
    RitualRoleChanges,
    ScheduledRun,
    Spotlight,
    Survey,
    SurveyAnswer,
    Welcome,
)
from bot.db.models.activity import ActorRole, EventKind, ThreadContext
from bot.db.models.scheduling import RunStatus
from bot.metrics.reading import UnknownGuild
from bot.metrics.render import figure_line
from bot.metrics.summary import HealthReport, build_report, fold_ahead

GUILD_A, GUILD_B = 1001, 2002
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)  # 28 d period: [30 Oct, 27 Nov)
LONG_AGO = datetime(2026, 6, 1, tzinfo=UTC)


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def dma(guild: int, user: int, day: date, **counts: int) -> DailyMemberActivity:
    return DailyMemberActivity(guild_id=guild, user_id=user, day=day, **counts)


def member(
    guild: int, user: int, joined: datetime | None, left: datetime | None = None, **kw: bool
) -> Member:
    return Member(guild_id=guild, user_id=user, joined_at=joined, left_at=left, **kw)


async def seed_month(db: Database) -> None:
    """Guild A (French) with a month of hand-countable activity; guild B (English) with
    different numbers, sharing user id 1 to catch a join that forgets the guild."""
    async with db.session() as s:
        s.add_all(
            [
                GuildSettings(
                    guild_id=GUILD_A,
                    language="fr",
                    timezone="Europe/Paris",
                    joined_at=datetime(2026, 8, 1, tzinfo=UTC),
                ),
                GuildSettings(
                    guild_id=GUILD_B,
                    language="en",
                    timezone="UTC",
                    joined_at=datetime(2026, 8, 1, tzinfo=UTC),
                ),
                *[member(GUILD_A, u, LONG_AGO) for u in (1, 2, 3, 4)],
                member(GUILD_A, 5, LONG_AGO, is_staff=True),
                member(GUILD_A, 6, LONG_AGO, opted_out=True),
                member(GUILD_A, 7, at(11, 5, 10)),
                member(GUILD_A, 8, at(11, 10), at(11, 12)),
                member(GUILD_A, 9, LONG_AGO, at(11, 15)),
                member(GUILD_A, 100, LONG_AGO, is_bot=True),
                member(GUILD_B, 1, LONG_AGO),
                # current period
                dma(GUILD_A, 1, date(2026, 11, 2), messages=3, peer_given=2, reactions_given=1),
                dma(
                    GUILD_A,
                    1,
                    date(2026, 11, 20),
                    messages=2,
                    ritual_messages=1,
                    conversations_started=1,
                ),
                dma(GUILD_A, 2, date(2026, 11, 3), messages=1, staff_received=2),
                dma(GUILD_A, 7, date(2026, 11, 6), messages=2, peer_given=1),
                dma(GUILD_A, 6, date(2026, 11, 4), messages=10, peer_given=5),  # opted out
                dma(GUILD_A, 5, date(2026, 11, 4), messages=7),  # staff
                dma(GUILD_A, 99, date(2026, 11, 8), messages=1),  # no members row: counted
                # previous period
                dma(GUILD_A, 1, date(2026, 10, 10), messages=4, peer_given=1),
                dma(GUILD_A, 2, date(2026, 10, 11), messages=1),
                dma(GUILD_A, 3, date(2026, 10, 12), messages=2, staff_received=1),
                # the period before
                dma(GUILD_A, 1, date(2026, 9, 10), messages=1),
                dma(GUILD_A, 4, date(2026, 9, 11), messages=1),
                # guild B
                dma(GUILD_B, 1, date(2026, 11, 2), messages=50, peer_given=9),
                Welcome(
                    guild_id=GUILD_A,
                    user_id=7,
                    thread_id=500,
                    joined_at=at(11, 5, 10),
                    introduced_at=at(11, 5, 11),
                    first_peer_reply_at=at(11, 5, 15),
                ),
                Welcome(guild_id=GUILD_A, user_id=8, thread_id=501, joined_at=at(11, 10)),
                Spotlight(
                    guild_id=GUILD_A,
                    member_id=1,
                    posted_at=at(11, 20),
                    posted_by=5,
                    source=1,
                    channel_id=51,
                ),
            ]
        )
        await s.flush()
        s.add_all(await guild_rollups(s))
        surveys = [
            Survey(
                guild_id=GUILD_A,
                opened_at=at(11, 1),
                closes_at=at(11, 8),
                opened_by=5,
                channel_id=51,
            ),
            Survey(
                guild_id=GUILD_A,
                opened_at=at(11, 15),
                closes_at=at(11, 22),
                opened_by=5,
                channel_id=51,
            ),
        ]
        s.add_all(surveys)
        await s.flush()
        first, second = surveys
        s.add_all(
            [
                SurveyAnswer(
                    survey_id=first.id, guild_id=GUILD_A, user_id=1, score=5, answered_at=at(11, 2)
                ),
                SurveyAnswer(
                    survey_id=second.id,
                    guild_id=GUILD_A,
                    user_id=1,
                    score=10,
                    answered_at=at(11, 16),
                ),
                SurveyAnswer(
                    survey_id=second.id,
                    guild_id=GUILD_A,
                    user_id=2,
                    score=9,
                    answered_at=at(11, 16),
                ),
                SurveyAnswer(
                    survey_id=second.id,
                    guild_id=GUILD_A,
                    user_id=3,
                    score=3,
                    answered_at=at(11, 17),
                ),
                SurveyAnswer(
                    survey_id=second.id,
                    guild_id=GUILD_A,
                    user_id=5,
                    score=0,
                    answered_at=at(11, 17),
                ),
            ]
        )


async def guild_rollups(session: Any) -> list[DailyGuildActivity]:
    """`daily_guild_activity` consistent with the member rows added (as the recorder keeps
    it), plus the bot's 4 posts on 3 November."""
    m = DailyMemberActivity
    totals = await session.execute(
        select(m.guild_id, m.day, func.sum(m.messages)).group_by(m.guild_id, m.day)
    )
    rows = {
        (g, d): DailyGuildActivity(guild_id=g, day=d, member_messages=n, bot_messages=0)
        for g, d, n in totals
    }
    key = (GUILD_A, date(2026, 11, 3))
    rows.setdefault(key, DailyGuildActivity(guild_id=GUILD_A, day=key[1], member_messages=0))
    rows[key].bot_messages = 4
    return list(rows.values())


def values(report: HealthReport) -> dict[str, float | None]:
    return {f.key: f.value for f in report.figures()}


async def test_guild_a_figures_equal_the_hand_counts(database: Database) -> None:
    await seed_month(database)
    report = await build_report(database, GUILD_A, 28, NOW)
    got = values(report)
    assert report.lang == "fr"
    assert got["participation.members"] == 5  # 1, 2, 3, 4, 7
    assert got["participation.staff"] == 1
    assert got["participation.active_members"] == 4  # 1, 2, 7, 99
    assert got["participation.active_rate"] == pytest.approx(0.8)
    assert got["participation.communicators"] == 1
    assert got["participation.messages_per_active"] == pytest.approx(9 / 4)
    assert got["participation.member_conversations"] == 1
    assert got["retention.newcomers"] == 2
    assert got["retention.week1_retention"] == pytest.approx(0.5)
    assert got["retention.activation"] == pytest.approx(0.5)
    assert got["retention.active_retention"] == pytest.approx(2 / 3)
    assert got["retention.churn"] == pytest.approx(1 / 3)
    assert got["retention.leavers"] == 2
    assert got["retention.leavers_under_7d"] == 1 and got["retention.leavers_over_30d"] == 1
    assert got["contribution.peer_interactions"] == 3
    assert got["contribution.peer_helpers"] == 2
    assert got["contribution.staff_interactions"] == 2
    assert got["contribution.horizontal_share"] == pytest.approx(0.6)
    assert got["contribution.ritual_responses"] == 1
    assert got["contribution.ritual_participants"] == 1
    assert got["contribution.introductions"] == 1
    assert got["contribution.time_to_first_peer_reply"] == pytest.approx(4.0)
    assert got["contribution.concentration"] == 1
    assert got["contribution.top10_share"] == pytest.approx(5 / 9)
    assert got["advocacy.nps"] == pytest.approx(100 / 3)  # 10, 9, 3 (staff's 0 left out)
    assert report.figure("advocacy.nps").base == 3
    assert got["advocacy.spotlights"] == 1
    assert got["advocacy.recognition"] == 1 and got["advocacy.recognition_givers"] == 1
    assert [(s.stage, s.count, s.eligible) for s in report.funnel] == [
        ("joined", 2, None),
        ("introduced", 1, 2),
        ("answered", 1, 1),
        ("stayed", 1, 2),  # user 8 left after 2 days
        ("week4", 0, 0),  # nobody joined 28 days before the end
    ]


async def test_previous_period_and_trends(database: Database) -> None:
    await seed_month(database)
    report = await build_report(database, GUILD_A, 28, NOW)
    active = report.figure("participation.active_members")
    assert (active.value, active.previous) == (4, 3)
    rate = report.figure("participation.active_rate")
    assert rate.previous == pytest.approx(0.6)  # 3 of 1, 2, 3, 4, 9
    assert report.figure("retention.active_retention").previous == pytest.approx(0.5)
    # small bases are flagged, not hidden
    assert not rate.meaningful and rate.base == 5
    assert report.weeks_of_data == (NOW - datetime(2026, 8, 1, tzinfo=UTC)).days // 7


async def test_weekly_series_by_hand(database: Database) -> None:
    await seed_month(database)
    report = await build_report(database, GUILD_A, 28, NOW)
    by_label = {w.label: w for w in report.weekly}
    w45 = by_label["2026-W45"]  # 2-8 Nov: users 1, 2, 7, 99 (not 5, not 6)
    assert (w45.active_members, w45.member_messages, w45.peer_interactions) == (4, 7, 3)
    assert (w45.staff_interactions, w45.newcomers, w45.bot_messages) == (2, 1, 4)
    w47 = by_label["2026-W47"]  # 16-22 Nov: user 1 in a ritual
    assert (w47.active_members, w47.ritual_participants) == (1, 1)


async def test_guilds_are_isolated(database: Database) -> None:
    await seed_month(database)
    report = await build_report(database, GUILD_B, 28, NOW)
    got = values(report)
    assert report.lang == "en"
    assert got["participation.members"] == 1
    assert got["participation.active_members"] == 1
    assert got["participation.messages_per_active"] == 50
    assert got["contribution.peer_interactions"] == 9
    assert got["advocacy.nps"] is None and got["advocacy.spotlights"] == 0
    assert got["contribution.introductions"] == 0 and got["retention.newcomers"] == 0


async def test_period_before_the_bot_joined_is_not_meaningful(database: Database) -> None:
    async with database.session() as s:
        s.add(GuildSettings(guild_id=GUILD_A, joined_at=at(11, 20)))
        s.add(member(GUILD_A, 1, LONG_AGO))
        s.add(dma(GUILD_A, 1, date(2026, 11, 21), messages=3))
    report = await build_report(database, GUILD_A, 28, NOW)
    active = report.figure("participation.active_members")
    assert active.value == 1 and not active.meaningful
    assert active.previous is None and active.trend is None
    assert report.weeks_of_data == 0
    assert report.signals == []


async def test_empty_guild(database: Database) -> None:
    async with database.session() as s:
        s.add(GuildSettings(guild_id=GUILD_A, joined_at=datetime(2026, 1, 1, tzinfo=UTC)))
    report = await build_report(database, GUILD_A, 7, NOW)
    got = values(report)
    assert got["participation.members"] == 0 and got["participation.active_rate"] is None
    assert report.signals == []
    assert all(w.active_members == 0 for w in report.weekly)


async def test_unknown_guild(database: Database) -> None:
    with pytest.raises(UnknownGuild):
        await build_report(database, 424242, 28, NOW)


async def test_rituals_table_and_fading_signal(database: Database) -> None:
    """Eleven weekly occurrences with 5 participants eight times, then 2 three times: the
    rituals module's rule says fading; the period (last 28 days) holds the last four."""

    async with database.session() as s:
        s.add(
            GuildSettings(
                guild_id=GUILD_A, language="fr", joined_at=datetime(2026, 1, 1, tzinfo=UTC)
            )
        )
        ritual = Ritual(
            guild_id=GUILD_A, name="Vendredi Victoires", channel_id=60, template="?", kind="weekly",
            weekdays=16, hour=10, minute=0, created_at=LONG_AGO, since=LONG_AGO,
        )  # fmt: skip
        s.add(ritual)
        await s.flush()
        counts = [10] * 8 + [3] * 3
        ref = 10_000
        for i, participants in enumerate(counts):
            when = NOW - timedelta(weeks=len(counts) - i, days=-1)
            thread = 7_000 + i
            s.add(ScheduledRun(guild_id=GUILD_A, job_key=f"ritual:{ritual.id}", scheduled_for=when,
                               status=RunStatus.POSTED, attempts=1, thread_id=thread))  # fmt: skip
            for user in range(participants):
                ref += 1
                s.add(
                    ActivityEvent(
                        guild_id=GUILD_A, kind=EventKind.MESSAGE, ref_id=ref,
                        occurred_at=when + timedelta(hours=1), channel_id=60, thread_id=thread,
                        actor_id=300 + user, actor_role=ActorRole.MEMBER,
                        context=ThreadContext.RITUAL,
                    )
                )  # fmt: skip
    report = await build_report(database, GUILD_A, 28, NOW)
    (row,) = report.rituals
    assert row.name == "Vendredi Victoires" and row.fading
    assert row.participants == (10, 3, 3, 3) and row.answers == 19
    (signal,) = [s for s in report.signals if s.key == "ritual_fading"]
    assert signal.params["ritual"] == "Vendredi Victoires"
    # the last 2 occurrences against the 8 before them (seven of 10, one of 3: 9.1)
    assert (signal.params["recent"], signal.params["usual"]) == (3, 9)
    assert signal.params["last"] == "3 → 3"
    assert "Vendredi Victoires perd ses participants" in signal.sentence("fr")


async def test_completed_weeks_are_kept_and_recounted_when_late_rows_arrive(
    database: Database,
) -> None:

    await seed_month(database)
    await build_report(database, GUILD_A, 28, NOW)
    async with database.session() as s:
        kept = {w.week: w for w in await s.scalars(select(HealthWeek))}
    assert all(w.guild_id == GUILD_A for w in kept.values())
    w45 = kept[date(2026, 11, 2)]
    # the guild rollup also counts the opted-out and staff rows of the seed: 7 + 10 + 7
    assert (w45.active_members, w45.member_messages, w45.rollup_total) == (4, 7, 24)
    assert date(2026, 11, 23) not in kept  # the current week is never kept
    # a late message for member 3 on 5 November: the week is recounted
    async with database.session() as s:
        s.add(dma(GUILD_A, 3, date(2026, 11, 5), messages=1))
        row = await s.get(DailyGuildActivity, (GUILD_A, date(2026, 11, 5)))
        if row is None:
            s.add(DailyGuildActivity(guild_id=GUILD_A, day=date(2026, 11, 5), member_messages=1))
        else:
            row.member_messages += 1
    report = await build_report(database, GUILD_A, 28, NOW)
    week = next(w for w in report.weekly if w.label == "2026-W45")
    assert (week.active_members, week.member_messages) == (5, 8)


async def test_spotlight_effect_over_90_days(database: Database) -> None:
    """Member 1 spotlighted on 15 September: 2 peer interactions in the 4 weeks before,
    3 + 1 (10 October, from the seed) in the 4 weeks after -> +100 %; the 20 November
    spotlight's 4 weeks are not over, so it is not measured."""
    await seed_month(database)
    async with database.session() as s:
        s.add_all(
            [
                Spotlight(
                    guild_id=GUILD_A, member_id=1, posted_at=at(9, 15), posted_by=5, source=1,
                    channel_id=51,
                ),
                dma(GUILD_A, 1, date(2026, 9, 1), messages=2, peer_given=2),
                dma(GUILD_A, 1, date(2026, 9, 20), messages=3, peer_given=3),
            ]
        )  # fmt: skip
    report = await build_report(database, GUILD_A, 90, NOW)
    assert report.figure("advocacy.spotlights").value == 2
    effect = report.figure("advocacy.spotlight_effect")
    assert (effect.value, effect.base) == (pytest.approx(1.0), 1)

    assert "+100\xa0%" in figure_line(effect, "fr")


async def test_ritual_opt_outs_rising_is_over_solicitation(database: Database) -> None:
    """1 member left a ritual's ping role in the previous period, 11 in this one (4 against
    1 could be chance: the rule's Poisson test needs p <= 0.5 %)."""

    await seed_month(database)
    async with database.session() as s:
        s.add_all(
            [
                RitualRoleChanges(guild_id=GUILD_A, ritual_id=1, day=date(2026, 10, 20), leaves=1),
                RitualRoleChanges(guild_id=GUILD_A, ritual_id=1, day=date(2026, 11, 20), leaves=10),
                RitualRoleChanges(guild_id=GUILD_A, ritual_id=2, day=date(2026, 11, 21), leaves=1),
                RitualRoleChanges(guild_id=GUILD_B, ritual_id=3, day=date(2026, 11, 21), leaves=9),
            ]
        )
    report = await build_report(database, GUILD_A, 28, NOW)
    (signal,) = [s for s in report.signals if s.key.startswith("over_solicitation")]
    assert signal.key == "over_solicitation_opt_outs"
    assert signal.params == {"opt_outs_before": 1, "opt_outs": 11}
    assert "11" in signal.sentence("fr") and "1" in signal.sentence("fr")


async def test_settled_spans_are_kept_recounted_and_replaced_the_next_day(
    database: Database,
) -> None:
    """The current period up to yesterday, the previous one and the one before are each
    grouped once a day; a late row in a kept span's days is counted; the next day's report
    keeps its own spans and deletes the earlier day's."""
    await seed_month(database)
    await build_report(database, GUILD_A, 28, NOW)
    async with database.session() as s:
        kept = {(sp.first_day, sp.end_day) for sp in await s.scalars(select(HealthSpan))}
    assert kept == {
        (date(2026, 10, 30), date(2026, 11, 26)),  # current, up to yesterday
        (date(2026, 10, 2), date(2026, 10, 30)),  # previous
        (date(2026, 9, 4), date(2026, 10, 2)),  # before that
    }
    # a late message for member 3 on 24 November (a kept day, in no folded week)
    async with database.session() as s:
        s.add(dma(GUILD_A, 3, date(2026, 11, 24), messages=1))
        s.add(DailyGuildActivity(guild_id=GUILD_A, day=date(2026, 11, 24), member_messages=1))
    report = await build_report(database, GUILD_A, 28, NOW)
    assert report.figure("participation.active_members").value == 5  # 1, 2, 3, 7, 99

    # today's rows are read as they are, never kept
    async with database.session() as s:
        s.add(dma(GUILD_A, 4, date(2026, 11, 26), messages=2))
    report = await build_report(database, GUILD_A, 28, NOW)
    assert report.figure("participation.active_members").value == 6

    await build_report(database, GUILD_A, 28, NOW + timedelta(days=1))
    async with database.session() as s:
        kept = {(sp.first_day, sp.end_day) for sp in await s.scalars(select(HealthSpan))}
        member_rows = set(
            await s.execute(select(HealthMemberSpan.first_day, HealthMemberSpan.end_day))
        )
    assert kept == {
        (date(2026, 10, 31), date(2026, 11, 27)),
        (date(2026, 10, 3), date(2026, 10, 31)),
        (date(2026, 9, 5), date(2026, 10, 3)),
    }
    assert member_rows <= kept


async def test_a_role_change_needs_no_recount(database: Database) -> None:
    """Kept spans hold everyone; who counts is decided when they are read."""
    await seed_month(database)
    before = await build_report(database, GUILD_A, 28, NOW)
    assert before.figure("participation.active_members").previous == 3  # 1, 2, 3
    async with database.session() as s:
        row = await s.get(Member, (GUILD_A, 3))
        assert row is not None
        row.is_staff = True
    after = await build_report(database, GUILD_A, 28, NOW)
    assert after.figure("participation.active_members").previous == 2


async def test_concurrent_first_reports_of_the_day_agree(database: Database) -> None:
    """Two admins opening /health at once, before anything is folded: both get the same
    figures, and the kept spans are written once."""
    await seed_month(database)
    first, second = await asyncio.gather(
        build_report(database, GUILD_A, 28, NOW), build_report(database, GUILD_A, 28, NOW)
    )
    assert values(first) == values(second)
    async with database.session() as s:
        assert await s.scalar(select(func.count()).select_from(HealthSpan)) == 3


async def test_folded_ahead_at_night_the_day_s_reports_only_read(database: Database) -> None:
    night = datetime(2026, 11, 26, 0, 5, tzinfo=UTC)
    await seed_month(database)
    await fold_ahead(database, GUILD_A, night, 28)
    async with database.session() as s:
        folded = {
            (sp.first_day, sp.end_day, sp.computed_at) for sp in await s.scalars(select(HealthSpan))
        }
    assert len(folded) == 3 and {at for _, _, at in folded} == {night}
    report = await build_report(database, GUILD_A, 28, NOW)  # noon, the same day
    async with database.session() as s:
        after = {
            (sp.first_day, sp.end_day, sp.computed_at) for sp in await s.scalars(select(HealthSpan))
        }
    assert after == folded
    assert report.figure("participation.active_members").value == 4


async def test_the_previous_period_s_facts_are_kept_and_follow_late_rows(
    database: Database,
) -> None:
    """The previous period's figures are kept with its span (counts only) and counted
    again when a row arrives late in the period before it (its active retention)."""
    await seed_month(database)
    report = await build_report(database, GUILD_A, 28, NOW)
    assert report.figure("retention.active_retention").previous == pytest.approx(0.5)
    async with database.session() as s:
        kept = await s.get(HealthSpan, (GUILD_A, date(2026, 10, 2), date(2026, 10, 30)))
        assert kept is not None and kept.facts is not None
        assert kept.facts["summary"]["active"] == 3 and kept.facts["before"] == 2
        assert "user" not in str(kept.facts)  # counts only, no member
    # member 2 also wrote on 15 September: 1 and 2 of {1, 2, 4} are active again
    async with database.session() as s:
        s.add(dma(GUILD_A, 2, date(2026, 9, 15), messages=1))
        s.add(DailyGuildActivity(guild_id=GUILD_A, day=date(2026, 9, 15), member_messages=1))
    report = await build_report(database, GUILD_A, 28, NOW)
    assert report.figure("retention.active_retention").previous == pytest.approx(2 / 3)


async def test_facts_kept_by_an_older_version_are_counted_again(database: Database) -> None:
    await seed_month(database)
    await build_report(database, GUILD_A, 28, NOW)
    async with database.session() as s:
        kept = await s.get(HealthSpan, (GUILD_A, date(2026, 10, 2), date(2026, 10, 30)))
        assert kept is not None
        kept.facts = {"summary": {"a_field_since_removed": 1}, "kept": 0, "before": 0}
        kept.facts_key = "1:older"
    report = await build_report(database, GUILD_A, 28, NOW)
    assert report.figure("participation.active_members").previous == 3
