"""Rituals on a real database: the service's validation (property-based: bad input stores
nothing), question rotation, the runner's budget / 403 / question rules with a fake
poster, and engagement per occurrence from activity events."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.db import Database
from bot.db.models import ActivityEvent, Ritual, RunStatus, ScheduledRun
from bot.db.models.activity import ActorRole, EventKind, ThreadContext
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService
from bot.rituals.engagement import is_fading, participation
from bot.rituals.questions import QuestionList
from bot.rituals.role_changes import count_role_change, ping_role_opt_outs
from bot.rituals.runner import Posted, PostRefused, RitualPost, RitualRunner
from bot.rituals.service import RitualChanges, RitualService
from bot.scheduling import Scheduler
from bot.solicitation import SolicitationBudget

GUILD = 1 << 22
OTHER_GUILD = 2 << 22
CHANNEL = 500
START = datetime(2026, 10, 1, 10, tzinfo=UTC)
MONDAY = datetime(2026, 10, 5, 7, tzinfo=UTC)  # 09:00 Paris


class FakePoster:
    def __init__(self) -> None:
        self.posts: list[RitualPost] = []
        self.notices: list[str] = []
        self.refusal: str | None = None

    async def post(self, post: RitualPost, on_message: Callable[[int], Awaitable[None]]) -> Posted:
        if self.refusal:
            raise PostRefused(self.refusal)
        self.posts.append(post)
        await on_message(1000 + len(self.posts))
        return Posted(1000 + len(self.posts), 2000 + len(self.posts))

    async def notify_admins(self, guild_id: int, text: str) -> None:
        self.notices.append(text)

    def guild_name(self, guild_id: int) -> str:
        return "Atelier"


class World:
    def __init__(self, db: Database, clock: ManualClock) -> None:
        self.db, self.clock = db, clock
        self.settings = GuildSettingsService(db, clock)
        self.service = RitualService(db, clock, self.settings)
        self.questions = QuestionList(db, clock, self.service)
        self.budget = SolicitationBudget(db, self.settings)
        self.poster = FakePoster()
        self.runner = RitualRunner(
            self.service, self.questions, self.budget, self.settings, self.poster
        )
        self.scheduler = Scheduler(db, clock, drive=False)
        self.scheduler.register("ritual", self.runner)

    async def ready(self) -> World:
        await self.settings.ensure(GUILD, "fr")
        return self

    async def tick_until(self, until: datetime, step: timedelta = timedelta(hours=1)) -> None:
        while self.clock.now() < until:
            self.clock.advance(step)
            await self.scheduler.run_due()


@pytest.fixture
async def world(database: Database) -> World:
    return await World(database, ManualClock(START)).ready()


async def test_preset_defaults_in_the_guild_language(world: World) -> None:
    ritual = await world.service.add(GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL))
    assert (ritual.name, ritual.kind, ritual.weekdays, ritual.hour, ritual.minute) == (
        "Lundi Motivation", "weekly", 1, 9, 0,
    )  # fmt: skip
    assert ritual.template.startswith("☀️ **Lundi Motivation**")
    assert ritual.timezone is None  # follows the guild's zone
    specs = await world.scheduler.specs()
    assert (await world.scheduler.next_runs(specs))[f"ritual:{ritual.id}"] == MONDAY


async def test_edit_keeps_unchanged_parts_and_refuses_duplicates(world: World) -> None:
    await world.service.add(GUILD, "friday_wins", RitualChanges(channel_id=CHANNEL))
    qa = await world.service.add(GUILD, "monthly_qa", RitualChanges(channel_id=CHANNEL))
    edited = await world.service.edit(GUILD, qa.name, RitualChanges(at="19h30"))
    assert (edited.kind, edited.nth, edited.weekday, edited.hour, edited.minute) == (
        "monthly", 1, 3, 19, 30,
    )  # fmt: skip
    with pytest.raises(FoyerError) as err:
        await world.service.edit(GUILD, qa.name, RitualChanges(name="vendredi victoires"))
    assert err.value.key == "rituals.duplicate_name"
    assert (await world.service.get(GUILD, qa.name)).name == "Q&R du mois"


async def test_one_guild_never_sees_anothers_rituals(world: World) -> None:
    await world.service.add(GUILD, "friday_wins", RitualChanges(channel_id=CHANNEL))
    assert await world.service.all(OTHER_GUILD) == []
    with pytest.raises(FoyerError):
        await world.service.get(OTHER_GUILD, "Vendredi Victoires")


async def test_questions_rotate_without_repeats(world: World) -> None:
    ritual = await world.service.add(GUILD, "weekly_question", RitualChanges(channel_id=CHANNEL))
    for text in ("A ?", "B ?", "C ?"):
        await world.questions.add(GUILD, ritual.name, text)
    asked = []
    for _ in range(7):
        q = await world.questions.next(GUILD, ritual.id)
        assert q is not None
        asked.append(q.text)
        world.clock.advance(timedelta(days=7))
        await world.questions.mark_asked(GUILD, ritual.id, q.id)
    assert asked == ["A ?", "B ?", "C ?", "A ?", "B ?", "C ?", "A ?"]


async def test_weekly_question_posts_the_next_question_then_skips_when_empty(world: World) -> None:
    ritual = await world.service.add(GUILD, "weekly_question", RitualChanges(channel_id=CHANNEL))
    await world.questions.add(GUILD, ritual.name, "Votre outil préféré ?")
    await world.tick_until(
        datetime(2026, 10, 7, 11, tzinfo=UTC)
    )  # Wednesday 12:00 Paris = 10:00 UTC
    assert [p.content for p in world.poster.posts] == [
        "💬 **Question de la semaine** : Votre outil préféré ?\nRépondez dans le fil ci-dessous."
    ]
    await world.questions.remove(GUILD, ritual.name, 1)
    await world.tick_until(datetime(2026, 10, 14, 11, tzinfo=UTC))
    assert len(world.poster.posts) == 1
    assert (
        len(world.poster.notices) == 1 and "liste de questions est vide" in world.poster.notices[0]
    )


async def test_over_budget_is_postponed_a_day_then_skipped(world: World) -> None:
    ritual = await world.service.add(GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL))
    for day in (0, 1):  # two other bot posts on Monday, two on Tuesday
        for _ in range(2):
            await world.budget.record(GUILD, CHANNEL, MONDAY + timedelta(days=day), "welcome", None)
    await world.tick_until(MONDAY + timedelta(hours=1))
    key = f"ritual:{ritual.id}"
    [row] = await _runs(world.db, key)
    assert (row.status, row.retry_at) == (RunStatus.POSTPONED, MONDAY + timedelta(days=1))
    await world.tick_until(MONDAY + timedelta(days=1, hours=1))
    [row] = await _runs(world.db, key)
    assert (row.status, row.reason) == (RunStatus.SKIPPED, "over_budget")
    assert world.poster.posts == []


async def test_postponed_occurrence_posts_when_the_next_day_has_room(world: World) -> None:
    ritual = await world.service.add(GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL))
    for _ in range(2):
        await world.budget.record(GUILD, CHANNEL, MONDAY, "welcome", None)
    await world.tick_until(MONDAY + timedelta(days=1, hours=1))
    [row] = await _runs(world.db, f"ritual:{ritual.id}")
    assert row.status == RunStatus.POSTED and len(world.poster.posts) == 1
    assert await world.budget.used(GUILD, CHANNEL, MONDAY + timedelta(days=1)) == 1


@pytest.mark.parametrize(
    ("refusal", "says"), [("forbidden", "permission manquante"), ("channel_gone", "n'existe plus")]
)
async def test_refused_post_fails_pauses_and_tells_once(
    world: World, refusal: str, says: str
) -> None:
    ritual = await world.service.add(GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL))
    world.poster.refusal = refusal
    await world.tick_until(MONDAY + timedelta(weeks=3))
    [row] = await _runs(world.db, f"ritual:{ritual.id}")
    assert (row.status, row.reason) == (RunStatus.FAILED, refusal)
    assert len(world.poster.notices) == 1 and says in world.poster.notices[0]
    assert (await world.service.get(GUILD, ritual.name)).paused


async def test_now_posts_the_next_occurrence_counted_as_it(world: World) -> None:
    ritual = await world.service.add(GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL))
    result = await world.scheduler.run_next_now(await world.runner.spec(ritual))
    assert result is not None and (result.scheduled_for, result.status) == (
        MONDAY,
        RunStatus.POSTED,
    )
    await world.tick_until(MONDAY + timedelta(hours=2))
    assert len(world.poster.posts) == 1


async def test_resume_does_not_catch_up_paused_weeks(world: World) -> None:
    ritual = await world.service.add(GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL))
    await world.service.set_paused(GUILD, ritual.name, True)
    await world.tick_until(MONDAY + timedelta(hours=3))
    await world.service.set_paused(GUILD, ritual.name, False)
    await world.tick_until(MONDAY + timedelta(hours=5))
    assert world.poster.posts == []
    await world.tick_until(MONDAY + timedelta(weeks=1, hours=1))
    assert len(world.poster.posts) == 1


async def test_engagement_per_occurrence_and_fading(world: World) -> None:
    ritual = await world.service.add(GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL))
    await world.tick_until(MONDAY + timedelta(weeks=10, hours=1))
    rows = await _runs(world.db, f"ritual:{ritual.id}")
    assert len(rows) == 11
    # participants per occurrence: 8 weeks of 6, then 3, 1, 1 (a fall noise does not
    # explain; 5, 4, 3 would be within it); member 99 comes only at the end
    counts = [6] * 8 + [3, 1, 1]
    async with world.db.session() as session:
        ref = 1
        for row, n in zip(rows, counts, strict=True):
            users = list(range(1, n)) + ([99] if row is rows[-1] else [n])
            for user in users:
                for _ in range(2):  # two answers each
                    session.add(_answer(row, user, ref))
                    ref += 1
        # Staff answers and another guild's events are not counted.
        session.add(_answer(rows[0], 500, ref, role=ActorRole.STAFF))
        session.add(_answer(rows[0], 501, ref + 1, guild=OTHER_GUILD))
    series = await participation(world.db, GUILD, ritual.id, limit=11)
    assert [o.participants for o in series] == counts
    assert [o.answers for o in series] == [2 * c for c in counts]
    assert series[0].first_timers == 6 and series[1].first_timers == 0
    assert series[-1].first_timers == 1  # member 99
    assert is_fading([o.participants for o in series])  # the series /health's signal reads
    assert await participation(world.db, OTHER_GUILD, ritual.id, limit=11) == []


def _answer(
    row: ScheduledRun, user: int, ref: int, role: ActorRole = ActorRole.MEMBER, guild: int = GUILD
) -> ActivityEvent:
    return ActivityEvent(
        guild_id=guild,
        kind=EventKind.MESSAGE,
        ref_id=ref,
        occurred_at=row.scheduled_for + timedelta(hours=1),
        channel_id=CHANNEL,
        thread_id=row.thread_id,
        actor_id=user,
        actor_role=role,
        context=ThreadContext.RITUAL,
    )


async def _runs(db: Database, key: str) -> list[ScheduledRun]:
    async with db.session() as session:
        rows = await session.scalars(
            select(ScheduledRun)
            .where(ScheduledRun.job_key == key)
            .order_by(ScheduledRun.scheduled_for)
        )
        return list(rows.all())


# Property-based: any option values either make a valid ritual or raise FoyerError and
# store nothing. ------------------------------------------------------------------------

_text = st.text(max_size=30)
_options = st.fixed_dictionaries(
    {
        "preset": st.sampled_from([None, "monday_motivation", "weekly_question", "nope"]),
        "name": st.one_of(st.none(), st.sampled_from(["", " ", "x" * 81, "Apéro"]), _text),
        "days": st.one_of(
            st.none(), st.sampled_from(["lun", "mon,fri", "jeudi", "blurp", ""]), _text
        ),
        "at": st.one_of(
            st.none(), st.sampled_from(["09:00", "25:00", "9h61", "18h30", "24:00", "9h"]), _text
        ),
        "week_of_month": st.sampled_from([None, 1, 4, -1, 0, 5, -2]),
        "timezone": st.one_of(
            st.none(), st.sampled_from(["Europe/Paris", "Mars/Olympus", "", "UTC"]), _text
        ),
        "template": st.one_of(
            st.none(),
            st.sampled_from(["Salut {server}", "{0.__class__}", "{x}", "@everyone", "y" * 1600]),
            _text,
        ),
        "auto_archive_minutes": st.sampled_from([None, 60, 1440, 10080, 0, 30, -5]),
    }
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=_options)
def test_bad_input_raises_foyer_error_and_stores_nothing(
    database_url: str, values: dict[str, Any]
) -> None:
    asyncio.run(_check_one(database_url, values))


async def _check_one(url: str, values: dict[str, Any]) -> None:
    db = Database.from_url(url)
    try:
        clock = ManualClock(START)
        settings_ = GuildSettingsService(db, clock)
        await settings_.ensure(GUILD, "fr")
        service = RitualService(db, clock, settings_)
        preset = values.pop("preset")
        before = await _count(db)
        try:
            ritual = await service.add(GUILD, preset, RitualChanges(channel_id=CHANNEL, **values))
        except FoyerError:
            assert await _count(db) == before
            return
        assert await _count(db) == before + 1
        stored = await service.get(GUILD, ritual.name)
        assert 0 <= stored.hour <= 23 and 0 <= stored.minute <= 59
        assert stored.auto_archive_minutes in (60, 1440, 4320, 10080)
        await service.remove(GUILD, ritual.name)
    finally:
        await db.close()


async def _count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Ritual)) or 0)


async def test_no_ritual_runs_in_a_guild_the_bot_left(world: World) -> None:
    await world.service.add(GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL))
    await world.settings.mark_left(GUILD, START)
    await world.tick_until(MONDAY + timedelta(hours=1))
    assert world.poster.posts == [] and await world.scheduler.specs() == []


async def test_a_removed_rituals_history_never_passes_to_a_new_one(world: World) -> None:
    old = await world.service.add(GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL))
    await world.tick_until(MONDAY + timedelta(hours=1))
    await world.service.remove(GUILD, old.name)
    new = await world.service.add(GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL))
    assert new.id != old.id
    assert await participation(world.db, GUILD, new.id) == []


async def test_two_rituals_at_the_same_time_share_the_budget_exactly(world: World) -> None:
    await world.settings.update(GUILD, posts_per_channel_per_day=1)
    for name in ("Un", "Deux"):
        await world.service.add(
            GUILD,
            None,
            RitualChanges(name=name, channel_id=CHANNEL, template="Salut", days="lun", at="9h"),
        )
    await world.tick_until(MONDAY + timedelta(hours=1))
    assert len(world.poster.posts) == 1
    async with world.db.session() as session:
        statuses = sorted((await session.scalars(select(ScheduledRun.status))).all())
    assert statuses == [RunStatus.POSTED, RunStatus.POSTPONED]


async def test_ping_role_changes_are_counted_per_day(world: World) -> None:
    day = MONDAY.date()
    for joined in (True, True, False):
        await count_role_change(world.db, GUILD, 7, joined=joined, at=MONDAY)
    await count_role_change(world.db, GUILD, 7, joined=False, at=MONDAY + timedelta(days=1))
    await count_role_change(world.db, OTHER_GUILD, 7, joined=False, at=MONDAY)
    assert await ping_role_opt_outs(world.db, GUILD, day, day + timedelta(days=1)) == 1
    assert await ping_role_opt_outs(world.db, GUILD, day, day + timedelta(days=2)) == 2
    assert await ping_role_opt_outs(world.db, GUILD, day - timedelta(days=7), day) == 0


async def test_questions_only_for_a_ritual_that_asks_them(world: World) -> None:
    ritual = await world.service.add(GUILD, "friday_wins", RitualChanges(channel_id=CHANNEL))
    with pytest.raises(FoyerError) as err:
        await world.questions.add(GUILD, ritual.name, "Une question ?")
    assert err.value.key == "rituals.questions_need_list"
    assert await world.questions.all(GUILD, ritual.name) == []


async def test_names_with_accents_are_found_whatever_their_case(world: World) -> None:
    """SQLite's lower() leaves "É" alone: a French name must still be found, and its
    case variant refused as a duplicate with a translated error."""
    added = await world.service.add(
        GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL, name="Éveil du  lundi")
    )
    assert added.name == "Éveil du lundi"
    assert (await world.service.get(GUILD, "éveil du LUNDI")).id == added.id
    with pytest.raises(FoyerError) as refused:
        await world.service.add(
            GUILD, "monday_motivation", RitualChanges(channel_id=CHANNEL, name="ÉVEIL DU LUNDI")
        )
    assert refused.value.key == "rituals.duplicate_name"
    await world.service.remove(GUILD, "éveil du lundi")
    assert await world.service.all(GUILD) == []
