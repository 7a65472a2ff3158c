"""GuildSettingsService: defaults from the guild's locale, validation before any write,
staff roles, and one guild never touching another."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.db import Database
from bot.errors import FoyerError
from bot.guilds import GuildSettingsService, suggest_timezones, validate_timezone

GUILD = 111_111_111_111_111_111
OTHER = 222_222_222_222_222_222
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def service(database: Database, clock: ManualClock) -> GuildSettingsService:
    return GuildSettingsService(database, clock)


def fresh(database: Database) -> GuildSettingsService:
    """A second service with an empty cache: what is really in the database."""
    return GuildSettingsService(database, ManualClock(START))


@pytest.mark.parametrize(
    ("locale", "language", "timezone"),
    [("fr", "fr", "Europe/Paris"), ("fr-FR", "fr", "Europe/Paris"), ("en-US", "en", "UTC")],
)
async def test_first_sight_defaults_follow_the_locale(
    service: GuildSettingsService, database: Database, locale: str, language: str, timezone: str
) -> None:
    row = await service.ensure(GUILD, locale)
    assert await service.language(GUILD) == language
    assert await fresh(database).language(GUILD) == language
    assert (row.timezone, row.language, row.joined_at) == (timezone, None, START)
    assert row.staff_roles == []


async def test_chosen_language_wins_over_the_locale(
    service: GuildSettingsService, database: Database
) -> None:
    await service.ensure(GUILD, "fr-FR")
    await service.update(GUILD, language="EN")
    assert await service.language(GUILD) == "en"
    assert (await fresh(database).get(GUILD)).language == "en"


async def test_no_guild_means_english(service: GuildSettingsService) -> None:
    assert await service.language(None) == "en"


async def test_unknown_guild_is_created_on_first_read(service: GuildSettingsService) -> None:
    row = await service.get(GUILD)
    assert row.guild_id == GUILD and await service.language(GUILD) == "en"


async def test_valid_update_is_saved(service: GuildSettingsService, database: Database) -> None:
    await service.ensure(GUILD, "fr")
    row = await service.update(
        GUILD,
        language="fr",
        timezone=" America/Montreal ",
        admin_channel_id=333,
        retention_days=30,
        posts_per_channel_per_day=24,
    )
    stored = await fresh(database).get(GUILD)
    for r in (row, stored):
        assert (r.language, r.timezone, r.admin_channel_id) == ("fr", "America/Montreal", 333)
        assert (r.retention_days, r.posts_per_channel_per_day) == (30, 24)


BAD = [
    ({"timezone": "Paris"}, "setup.bad_timezone"),
    ({"timezone": "Europe/Pariss"}, "setup.bad_timezone"),
    ({"timezone": ""}, "setup.bad_timezone"),
    ({"timezone": "../../etc/passwd"}, "setup.bad_timezone"),
    ({"language": "de"}, "setup.bad_language"),
    ({"retention_days": 29}, "setup.bad_retention"),
    ({"retention_days": 3651}, "setup.bad_retention"),
    ({"posts_per_channel_per_day": 0}, "setup.bad_budget"),
    ({"posts_per_channel_per_day": 25}, "setup.bad_budget"),
]


@pytest.mark.parametrize(("change", "key"), BAD, ids=[k for _, k in BAD])
async def test_bad_value_changes_nothing(
    service: GuildSettingsService, database: Database, change: dict[str, object], key: str
) -> None:
    await service.ensure(GUILD, "fr")
    before = await fresh(database).get(GUILD)
    with pytest.raises(FoyerError) as info:
        # A valid value next to the bad one must not be saved either.
        await service.update(GUILD, admin_channel_id=999, staff_role_ids=[5], **change)  # type: ignore[arg-type]
    assert info.value.key == key
    assert info.value.render("fr") != info.value.render("en")
    assert "Rien n'a été enregistré" in info.value.render("fr")
    after = await fresh(database).get(GUILD)
    assert after.admin_channel_id is None and after.staff_roles == []
    assert (after.timezone, after.language, after.retention_days) == (
        before.timezone,
        before.language,
        before.retention_days,
    )
    assert (await service.get(GUILD)).admin_channel_id is None


async def test_staff_roles_are_deduplicated(
    service: GuildSettingsService, database: Database
) -> None:
    await service.ensure(GUILD)
    row = await service.update(GUILD, staff_role_ids=[7, 8, 7])
    assert [r.role_id for r in row.staff_roles] == [7, 8]
    assert sorted(r.role_id for r in (await fresh(database).get(GUILD)).staff_roles) == [7, 8]


async def test_staff_roles_add_keep_and_remove(
    service: GuildSettingsService, database: Database
) -> None:
    """What `/setup staff add` and `remove` do: keep the current roles, add or drop one."""
    await service.ensure(GUILD)
    await service.update(GUILD, staff_role_ids=[7])
    await service.update(GUILD, staff_role_ids=[7, 8])
    assert sorted(r.role_id for r in (await fresh(database).get(GUILD)).staff_roles) == [7, 8]
    await service.update(GUILD, staff_role_ids=[8])
    assert [r.role_id for r in (await fresh(database).get(GUILD)).staff_roles] == [8]
    await service.update(GUILD, staff_role_ids=[])
    assert (await fresh(database).get(GUILD)).staff_roles == []


async def test_one_guild_never_touches_another(
    service: GuildSettingsService, database: Database
) -> None:
    await service.ensure(GUILD, "fr")
    await service.ensure(OTHER, "en-US")
    await service.update(GUILD, timezone="Asia/Tokyo", staff_role_ids=[7], admin_channel_id=1)
    other = await fresh(database).get(OTHER)
    assert (other.timezone, other.admin_channel_id, other.staff_roles) == ("UTC", None, [])
    assert sorted(await service.all_guild_ids()) == [GUILD, OTHER]


async def test_leaving_and_coming_back(
    service: GuildSettingsService, database: Database, clock: ManualClock
) -> None:
    await service.ensure(GUILD, "fr")
    await service.update(GUILD, timezone="Asia/Tokyo")
    clock.advance(timedelta(days=3))
    await service.mark_left(GUILD, clock.now())
    assert (await fresh(database).get(GUILD)).left_at == START + timedelta(days=3)
    row = await service.ensure(GUILD, "fr-FR")
    assert row.left_at is None and row.preferred_locale == "fr-FR"
    assert row.timezone == "Asia/Tokyo" and row.joined_at == START
    assert (await fresh(database).get(GUILD)).left_at is None


async def test_the_arrival_is_kept_across_guild_creates_and_restarts(
    service: GuildSettingsService, database: Database, clock: ManualClock
) -> None:
    """`joined_at` is Foyer's arrival, where /health's coverage starts: the first sight
    sets it; later GUILD_CREATEs (a restart, a resume that could not resume, another
    process with its own cache) never move it."""
    await service.ensure(GUILD, "fr")
    for days in (1, 30):
        clock.set(START + timedelta(days=days))
        await service.ensure(GUILD, "fr")  # the same process, its cache
        restarted = GuildSettingsService(database, ManualClock(clock.now()))
        await restarted.ensure(GUILD, "fr-FR")  # a restart: an empty cache
    assert (await fresh(database).get(GUILD)).joined_at == START


def test_validate_timezone() -> None:
    assert validate_timezone("Europe/Paris").key == "Europe/Paris"
    with pytest.raises(FoyerError) as info:
        validate_timezone("x" * 500)
    assert info.value.params["value"] == "x" * 64


async def test_concurrent_first_sight_creates_one_row(
    service: GuildSettingsService, database: Database
) -> None:
    """At start, on_ready and a cog's on_shard_ready both meet a new guild at once."""
    other = fresh(database)
    rows = await asyncio.gather(*(s.ensure(GUILD, "fr") for s in (service, other, service, other)))
    assert {r.guild_id for r in rows} == {GUILD}
    assert await fresh(database).all_guild_ids() == [GUILD]


@pytest.mark.parametrize(
    ("typed", "lang", "first"),
    [
        ("", "fr", "Europe/Paris"),
        ("", "en", "UTC"),
        ("paris", "en", "Europe/Paris"),
        ("Montréal", "fr", "America/Montreal"),
        ("new york", "en", "America/New_York"),
        ("réunion", "fr", "Indian/Reunion"),
    ],
)
def test_time_zone_suggestions(typed: str, lang: str, first: str) -> None:
    suggestions = suggest_timezones(typed, lang)
    assert suggestions[0] == first
    assert 1 <= len(suggestions) <= 25  # Discord shows at most 25 choices
    for zone in suggestions:
        assert validate_timezone(zone).key == zone


def test_cities_starting_with_the_text_come_first() -> None:
    """ "tok" is also inside Antarctica/Vostok, which sorts first alphabetically."""
    assert suggest_timezones("tok", "en")[:2] == ["Asia/Tokyo", "Antarctica/Vostok"]
    assert suggest_timezones("zzzz", "en") == []
