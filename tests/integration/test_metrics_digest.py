"""The weekly digest through the real scheduler: Monday 09:00 in the guild's time zone by
default, else the admins' day, hour and format (`/setup digest`), posted once (a second
tick or a restart posts nothing), once a week when the day changes mid-week, never when
off, only with an admin channel, within the solicitation budget, and a 403 is not
retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import DigestSettings, GuildSettings
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService
from bot.metrics.digest import DigestJobs
from bot.metrics.digest_settings import DigestSettingsService
from bot.metrics.summary import HealthReport
from bot.scheduling import RunContext, RunStatus, Scheduler
from bot.solicitation import SolicitationBudget

GUILD, CHANNEL = 77, 700
# Monday 30 November 2026, 09:00 in Paris = 08:00 UTC
MONDAY_9 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class Poster:
    def __init__(self, error: Exception | None = None) -> None:
        self.posts: list[tuple[int, HealthReport]] = []
        self.formats: list[str] = []
        self.error = error

    async def __call__(
        self, ctx: RunContext, channel_id: int, report: HealthReport, format: str
    ) -> int:
        if self.error is not None:
            raise self.error
        self.posts.append((channel_id, report))
        self.formats.append(format)
        return 9000 + len(self.posts)


async def setup(
    database: Database, poster: Poster, *, channel: int | None = CHANNEL, budget: int = 2
) -> tuple[Scheduler, ManualClock, SolicitationBudget]:
    clock = ManualClock(MONDAY_9 - timedelta(hours=1))
    async with database.session() as s:
        s.add(
            GuildSettings(
                guild_id=GUILD, language="fr", timezone="Europe/Paris", admin_channel_id=channel,
                posts_per_channel_per_day=budget, joined_at=datetime(2026, 10, 1, tzinfo=UTC),
            )
        )  # fmt: skip
    solicitation = SolicitationBudget(database, GuildSettingsService(database, clock))
    scheduler = Scheduler(database, clock, drive=False)
    scheduler.register("digest", DigestJobs(database, solicitation, poster, clock))
    return scheduler, clock, solicitation


async def test_posted_once_on_monday_morning(database: Database) -> None:
    poster = Poster()
    scheduler, clock, _ = await setup(database, poster)
    assert await scheduler.run_due() == []  # 08:00 in Paris: not yet
    clock.set(MONDAY_9 + timedelta(minutes=1))
    (result,) = await scheduler.run_due()
    assert result.status == RunStatus.POSTED and result.scheduled_for == MONDAY_9
    assert await scheduler.run_due() == []  # a second tick: nothing
    restarted = Scheduler(database, clock, drive=False)
    restarted.register("digest", DigestJobs(database, *_budget_and(poster, database, clock), clock))
    await restarted.recover()
    assert await restarted.run_due() == []  # a restart: nothing either
    ((channel, report),) = poster.posts
    assert channel == CHANNEL and report.guild_id == GUILD and report.period.days == 28
    assert report.lang == "fr"
    clock.set(MONDAY_9 + timedelta(weeks=1, minutes=1))
    assert [r.status for r in await scheduler.run_due()] == [RunStatus.POSTED]
    assert len(poster.posts) == 2


def _budget_and(
    poster: Poster, database: Database, clock: ManualClock
) -> tuple[SolicitationBudget, Poster]:
    return SolicitationBudget(database, GuildSettingsService(database, clock)), poster


async def test_no_admin_channel_no_digest(database: Database) -> None:
    poster = Poster()
    scheduler, clock, _ = await setup(database, poster, channel=None)
    clock.set(MONDAY_9 + timedelta(minutes=1))
    assert await scheduler.run_due() == []
    assert poster.posts == []


async def test_over_budget_is_postponed_a_day(database: Database) -> None:
    poster = Poster()
    scheduler, clock, budget = await setup(database, poster, budget=1)
    await budget.record(GUILD, CHANNEL, MONDAY_9 - timedelta(minutes=30), "ritual", 1)
    clock.set(MONDAY_9 + timedelta(minutes=1))
    assert [r.status for r in await scheduler.run_due()] == [RunStatus.POSTPONED]
    assert poster.posts == []
    clock.set(MONDAY_9 + timedelta(days=1, minutes=1))
    assert [r.status for r in await scheduler.run_due()] == [RunStatus.POSTED]
    assert len(poster.posts) == 1
    assert await budget.used(GUILD, CHANNEL, clock.now()) == 1


async def test_forbidden_is_not_retried(database: Database) -> None:
    response = type("R", (), {"status": 403, "reason": "Forbidden"})()
    poster = Poster(error=discord.Forbidden(response, "Missing Access"))  # type: ignore[arg-type]
    scheduler, clock, _ = await setup(database, poster)
    clock.set(MONDAY_9 + timedelta(minutes=1))
    assert [r.status for r in await scheduler.run_due()] == [RunStatus.FAILED]
    clock.set(MONDAY_9 + timedelta(hours=2))
    assert await scheduler.run_due() == []


@pytest.mark.parametrize("zone, expected", [("UTC", MONDAY_9 + timedelta(hours=1))])
async def test_time_zone_decides_the_hour(
    database: Database, zone: str, expected: datetime
) -> None:
    poster = Poster()
    scheduler, clock, _ = await setup(database, poster)
    async with database.session() as s:
        row = await s.get(GuildSettings, GUILD)
        assert row is not None
        row.timezone = zone
    clock.set(MONDAY_9 + timedelta(minutes=30))  # 09:30 Paris, 08:30 UTC
    assert await scheduler.run_due() == []
    clock.set(expected + timedelta(minutes=1))
    (result,) = await scheduler.run_due()
    assert result.scheduled_for == expected


def settings_service(database: Database, clock: ManualClock) -> DigestSettingsService:
    return DigestSettingsService(database, GuildSettingsService(database, clock), clock)


async def test_the_chosen_day_hour_and_format(database: Database) -> None:
    """Thursday 18:00 in Paris, compact: nothing on Monday, one post on Thursday at 17:00 UTC."""
    poster = Poster()
    scheduler, clock, _ = await setup(database, poster)
    status = await settings_service(database, clock).configure(
        GUILD, weekday=3, hour=18, format="compact"
    )
    assert status.saved and status.next_at == datetime(2026, 12, 3, 17, tzinfo=UTC)
    assert status.next_at.utcoffset() == timedelta(hours=1)  # told in Paris time
    clock.set(MONDAY_9 + timedelta(minutes=1))
    assert await scheduler.run_due() == []
    clock.set(datetime(2026, 12, 3, 17, 1, tzinfo=UTC))
    (result,) = await scheduler.run_due()
    assert result.status == RunStatus.POSTED
    assert result.scheduled_for == datetime(2026, 12, 3, 17, tzinfo=UTC)
    assert poster.formats == ["compact"]
    assert await scheduler.run_due() == []


async def test_off_posts_nothing_and_on_again_resumes(database: Database) -> None:
    poster = Poster()
    scheduler, clock, _ = await setup(database, poster)
    service = settings_service(database, clock)
    status = await service.configure(GUILD, enabled=False)
    assert status.next_at is None and not status.plan.enabled
    for week in range(3):
        clock.set(MONDAY_9 + timedelta(weeks=week, minutes=1))
        assert await scheduler.run_due() == []
    assert poster.posts == []
    clock.set(MONDAY_9 + timedelta(weeks=2, hours=2))  # Monday 11:00: 09:00 is past
    status = await service.configure(GUILD, enabled=True)
    assert status.next_at == MONDAY_9 + timedelta(weeks=3)
    assert status.note == "none_this_week"
    assert await scheduler.run_due() == []  # the 09:00 before the change is not posted late
    clock.set(MONDAY_9 + timedelta(weeks=3, minutes=1))
    assert [r.status for r in await scheduler.run_due()] == [RunStatus.POSTED]
    assert len(poster.posts) == 1


async def test_a_day_changed_mid_week_posts_once_that_week(database: Database) -> None:
    """Monday's digest out, the day moved to Friday on Tuesday: no second digest on Friday,
    the next one the Friday after; the answer says so."""
    poster = Poster()
    scheduler, clock, _ = await setup(database, poster)
    clock.set(MONDAY_9 + timedelta(minutes=1))
    assert [r.status for r in await scheduler.run_due()] == [RunStatus.POSTED]
    clock.set(MONDAY_9 + timedelta(days=1))
    status = await settings_service(database, clock).configure(GUILD, weekday=4)
    friday = MONDAY_9 + timedelta(days=4)
    assert status.note == "done_this_week" and status.next_at == friday + timedelta(weeks=1)
    clock.set(friday + timedelta(minutes=1))
    assert await scheduler.run_due() == []
    clock.set(friday + timedelta(weeks=1, minutes=1))
    assert [r.status for r in await scheduler.run_due()] == [RunStatus.POSTED]
    assert len(poster.posts) == 2


async def test_a_day_moved_earlier_before_the_digest_is_used_this_week(
    database: Database,
) -> None:
    poster = Poster()
    scheduler, clock, _ = await setup(database, poster)
    await settings_service(database, clock).configure(GUILD, weekday=4)  # Friday
    clock.set(MONDAY_9 + timedelta(days=1))  # Tuesday: Friday's not out yet
    status = await settings_service(database, clock).configure(GUILD, weekday=2)  # Wednesday
    assert status.note is None and status.next_at == MONDAY_9 + timedelta(days=2)
    clock.set(MONDAY_9 + timedelta(days=2, minutes=1))
    assert [r.status for r in await scheduler.run_due()] == [RunStatus.POSTED]
    clock.set(MONDAY_9 + timedelta(days=4, minutes=1))
    assert await scheduler.run_due() == []  # nothing left on Friday
    assert len(poster.posts) == 1


async def test_bad_values_save_nothing(database: Database) -> None:
    poster = Poster()
    _, clock, _ = await setup(database, poster)
    service = settings_service(database, clock)
    with pytest.raises(FoyerError) as refused:
        await service.configure(GUILD, enabled=False, hour=25)
    assert refused.value.key == "digest.bad_hour"
    with pytest.raises(FoyerError):
        await service.configure(GUILD, enabled=False, weekday=9)
    async with database.session() as s:
        assert await s.get(DigestSettings, GUILD) is None
    assert (await service.status(GUILD)).plan.enabled
