"""Ritual options, the fading rule (hand-computed), schedule texts and list lines."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.db.models import Ritual, RunStatus, ScheduledRun
from bot.errors import FoyerError
from bot.rituals import options
from bot.rituals.engagement import is_fading
from bot.rituals.presets import PRESETS
from bot.rituals.render import describe_schedule, state_line
from bot.rituals.schedule import rule_of, store_rule
from bot.scheduling import MonthlyNth, Weekly
from bot.solicitation import postpone_to


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00", time(9)), ("9:30", time(9, 30)), ("9h", time(9)), ("18h30", time(18, 30)),
     ("18.05", time(18, 5)), (" 7 ", time(7)), ("0:00", time(0)), ("23:59", time(23, 59))],
)  # fmt: skip
def test_times_admins_write(text: str, expected: time) -> None:
    assert options.parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "9h61", "24:00", "", "midi", "9:5", "-1:00", "9:00pm"])
def test_impossible_times_are_refused(text: str) -> None:
    with pytest.raises(FoyerError) as err:
        options.parse_time(text)
    assert err.value.key == "rituals.bad_time"


def test_days_in_french_and_english() -> None:
    assert options.parse_days("lundi, vendredi") == {0, 4}
    assert options.parse_days("mon fri") == {0, 4}
    assert options.parse_days("Mer.") == {2}
    assert options.parse_days("jeudi;dimanche") == {3, 6}


@pytest.mark.parametrize("text", ["", "funday", "lundi,blurp", ",,"])
def test_bad_days_are_refused(text: str) -> None:
    with pytest.raises(FoyerError) as err:
        options.parse_days(text)
    assert err.value.key == "rituals.bad_days"


def test_monthly_rule_needs_one_day() -> None:
    assert options.build_rule(frozenset({3}), time(18), 1) == MonthlyNth(1, 3, time(18))
    with pytest.raises(FoyerError) as err:
        options.build_rule(frozenset({1, 3}), time(18), 1)
    assert err.value.key == "rituals.monthly_one_day"


def test_templates_are_checked_by_the_safe_formatter() -> None:
    assert options.validate_template("Bonjour {server}, {question}")
    for bad, key in [
        ("{member.guild}", "templates.plain_names_only"),
        ("{0.__class__}", "templates.plain_names_only"),
        ("{secret}", "templates.unknown_placeholder"),
        ("x" * 1501, "templates.too_long"),
        ("Hello @everyone", "rituals.no_mass_ping"),
    ]:
        with pytest.raises(FoyerError) as err:
            options.validate_template(bad)
        assert err.value.key == key


def test_fading_needs_four_occurrences_and_three_participants_usually() -> None:
    assert not is_fading([20, 2, 1])  # 3 occurrences
    assert is_fading([20, 20, 2, 1])
    # a baseline of 2.5 participants per occurrence is too small to read a fall in
    assert not is_fading([3, 2, 0, 0])
    # 3 usually: a fall to none is not told from noise on 2 occurrences, it is on 8
    assert not is_fading([3, 3, 0, 0])
    assert is_fading([3] * 8 + [0, 0])


def test_fading_is_a_large_fall_that_noise_does_not_explain() -> None:
    # 50 % over 3 occurrences on a ritual of 20: the last 2 (13 + 10) against 157 in the 8
    # before is p = 0.0075, it fires at the third; against 160, 12 + 12 is p = 0.009 and
    # 13 + 12 is p = 0.014
    assert is_fading([20] * 8 + [17, 13, 10])
    assert is_fading([20] * 8 + [12, 12])
    assert not is_fading([20] * 8 + [13, 12])
    # one bad occurrence after a usual one (20, then 5) is not enough: p = 0.014
    assert not is_fading([20] * 8 + [20, 5])
    # the same 25 % fall is noise on a ritual of 8, not on one of 80
    assert not is_fading([8] * 8 + [6, 6, 6])
    assert not is_fading([80] * 8 + [60, 60, 60])  # significant, but under 30 %
    assert is_fading([80] * 8 + [56, 56])
    # only the 8 occurrences before the recent ones are the baseline: an old peak is ignored
    assert not is_fading([100, 100, 5, 5, 5, 5, 6, 6, 6, 6, 4, 4, 4])


def test_presets_match_the_issue() -> None:
    assert PRESETS["monday_motivation"].rule == Weekly(frozenset({0}), time(9))
    assert PRESETS["friday_wins"].rule == Weekly(frozenset({4}), time(16))
    assert PRESETS["weekly_question"].rule == Weekly(frozenset({2}), time(12))
    assert PRESETS["monthly_qa"].rule == MonthlyNth(1, 3, time(18))


def _ritual(rule: Weekly | MonthlyNth, paused: bool = False) -> Ritual:
    ritual = Ritual(id=7, guild_id=1, name="Lundi Motivation", channel_id=2, paused=paused)
    store_rule(ritual, rule)
    return ritual


def test_rules_round_trip_through_the_row() -> None:
    for rule in (Weekly(frozenset({0, 4}), time(9, 15)), MonthlyNth(-1, 3, time(18))):
        assert rule_of(_ritual(rule)) == rule


def test_schedule_in_words() -> None:
    weekly = _ritual(Weekly(frozenset({4, 0}), time(9)))
    assert describe_schedule(weekly, "Europe/Paris", "fr") == (
        "Chaque lundi et vendredi à 09:00 (Europe/Paris)."
    )
    monthly = _ritual(MonthlyNth(1, 3, time(18)))
    assert describe_schedule(monthly, "UTC", "en") == (
        "The first Thursday of each month at 18:00 (UTC)."
    )


def test_list_line_shows_timestamps_postponements_and_skips() -> None:
    ritual = _ritual(Weekly(frozenset({0}), time(9)))
    nxt = datetime(2026, 10, 5, 7, tzinfo=UTC)
    postponed = ScheduledRun(
        job_key="ritual:7",
        scheduled_for=nxt,
        status=RunStatus.POSTPONED,
        retry_at=datetime(2026, 10, 6, 7, tzinfo=UTC),
    )
    line = state_line(ritual, datetime(2026, 10, 12, 7, tzinfo=UTC), postponed, "fr")
    assert "prochain : <t:1791788400:F>" in line
    assert "budget dépassé, reporté au <t:1791270000:F>" in line
    skipped = ScheduledRun(
        job_key="ritual:7", scheduled_for=nxt, status=RunStatus.SKIPPED, reason="over_budget"
    )
    assert "non publié (budget quotidien dépassé)" in state_line(ritual, None, skipped, "fr")
    paused = _ritual(Weekly(frozenset({0}), time(9)), paused=True)
    assert state_line(paused, nxt, None, "fr") == "⏸️ en pause"


def test_postponed_to_the_same_local_time_next_day_across_dst() -> None:
    paris = ZoneInfo("Europe/Paris")
    saturday = datetime(2026, 10, 24, 7, tzinfo=UTC)  # 09:00 CEST
    assert postpone_to(saturday, paris) == datetime(2026, 10, 25, 8, tzinfo=UTC)  # 09:00 CET
    assert postpone_to(saturday) == datetime(2026, 10, 25, 7, tzinfo=UTC)
