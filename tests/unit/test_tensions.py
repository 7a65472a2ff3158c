"""The *tensions* rule at the edges of its thresholds (twice the baseline's pace, the
Poisson test at 1 %, 5 recent actions, 28 days of baseline), what an audit log entry counts
as, and the days compared (watch, retention)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.db.models import ModerationKind
from bot.metrics import signals
from bot.metrics.data import ModerationWindows
from bot.metrics.signals import Signal, Silent
from bot.metrics.tensions import window_days
from bot.recording.moderation import kind_of


def windows(recent: int, baseline: int, baseline_days: int = 56) -> ModerationWindows:
    """Timeouts only: the total and the timeouts are the same series."""
    return ModerationWindows(
        recent_days=14,
        baseline_days=baseline_days,
        recent={"timeouts": recent},
        baseline={"timeouts": baseline},
    )


def test_without_the_audit_log_the_rule_says_it_could_not_check() -> None:
    verdict = signals.tensions(None)
    assert isinstance(verdict, Silent) and not verdict.enough
    assert verdict.missing == "health.signal.tensions.missing"


def test_the_minimum_of_data_is_28_days_watched_before_the_recent_14() -> None:
    assert not signals.tensions(windows(20, 0, baseline_days=27)).enough  # type: ignore[union-attr]
    assert isinstance(signals.tensions(windows(20, 0, baseline_days=28)), Signal)
    short = ModerationWindows(recent_days=13, baseline_days=56, recent={"timeouts": 20})
    assert not signals.tensions(short).enough  # type: ignore[union-attr]


def test_five_recent_actions_at_least() -> None:
    # 4 against none in 8 weeks: looked, too few to speak of tensions
    verdict = signals.tensions(windows(4, 0))
    assert isinstance(verdict, Silent) and verdict.enough
    # 5 against none: P = 0.2^5 = 0.00032
    fired = signals.tensions(windows(5, 0))
    assert isinstance(fired, Signal)
    assert fired.p_value == pytest.approx(0.2**5)


@pytest.mark.parametrize(
    ("recent", "baseline", "fires"),
    [
        (5, 1, True),  # p = 0.0016
        (5, 2, False),  # p = 0.0047
        (9, 7, True),  # p = 0.0015
        (8, 7, False),  # p = 0.0042
    ],
)
def test_the_poisson_test_at_one_percent_over_six(recent: int, baseline: int, fires: bool) -> None:
    verdict = signals.tensions(windows(recent, baseline))
    assert bool(verdict) is fires
    if not fires:
        assert isinstance(verdict, Silent) and verdict.enough


def test_twice_the_usual_pace_at_least() -> None:
    # 40 in 14 days against 80 in 56 days: exactly twice the pace (p = 0.0004)
    assert isinstance(signals.tensions(windows(40, 80)), Signal)
    # against 81: less than twice, however significant (p = 0.0005)
    assert not signals.tensions(windows(40, 81))


def test_one_kind_rising_is_not_diluted_in_the_others() -> None:
    # timeouts 9 against 2; deletions steady, 10 against 40: all actions, 19 against 42,
    # are not twice their pace, the timeouts are (p < 0.0001)
    rising = ModerationWindows(
        recent_days=14,
        baseline_days=56,
        recent={"timeouts": 9, "deletions": 10},
        baseline={"timeouts": 2, "deletions": 40},
    )
    fired = signals.tensions(rising)
    assert isinstance(fired, Signal) and fired.params["series"] == "timeouts"
    assert fired.params["recent"] == 9 and fired.params["usual"] == 0.5
    assert fired.sentence("en").startswith("Tensions may be rising: 9 timeouts in the last 14")
    assert "9 exclusions temporaires ces 14 derniers jours" in fired.sentence("fr")
    # ...and the evidence still counts every kind, and all actions before
    assert fired.evidence("en").startswith(
        "In 14 days: 9 timeouts, 10 deletions of messages by moderators. Before: 42 "
    )


def test_the_evidence_counts_each_kind_in_both_languages() -> None:
    fired = signals.tensions(
        ModerationWindows(
            recent_days=14,
            baseline_days=56,
            recent={"timeouts": 9, "bans": 1, "deletions": 2, "automod": 3},
            baseline={"timeouts": 4, "kicks": 2},
            messages=40,
        )
    )
    assert isinstance(fired, Signal)
    # all 15 against 6 (p < 0.0001) is less likely than the timeouts' 9 against 4
    assert fired.params["series"] == "all" and fired.params["recent"] == 15
    assert fired.params["usual"] == 1.5  # 6 in 56 days is 1.5 in 14
    assert fired.sentence("en") == (
        "Tensions may be rising: 15 moderation actions in the last 14 days, against 1.5 on "
        "average before."
    )
    assert "contre 1,5 en moyenne" in fired.sentence("fr")
    assert fired.evidence("en").startswith(
        "In 14 days: 9 timeouts, 1 ban, 2 deletions of messages by moderators, "
        "3 AutoMod actions. Before: 6 moderation actions in the 56 days watched."
    )
    assert "1 bannissement" in fired.evidence("fr") and "kick" not in fired.evidence("en")
    assert fired.action("fr") != fired.action("en")


@pytest.mark.parametrize(
    ("action_type", "timed_out", "kind"),
    [
        (24, True, ModerationKind.TIMEOUT),
        (24, False, None),  # a timeout lifted, a nickname changed
        (22, False, ModerationKind.BAN),
        (23, False, None),  # unban
        (20, False, ModerationKind.KICK),
        (72, False, ModerationKind.MESSAGE_DELETE),
        (73, False, ModerationKind.MESSAGE_DELETE),
        (143, False, ModerationKind.AUTOMOD),
        (145, False, ModerationKind.AUTOMOD),  # AutoMod's own timeout: not a member update
        (25, False, None),  # a role given
    ],
)
def test_what_an_audit_log_entry_counts_as(
    action_type: int, timed_out: bool, kind: ModerationKind | None
) -> None:
    assert kind_of(action_type, timed_out) is kind


def test_the_days_compared_start_when_foyer_could_see_the_log() -> None:
    now = datetime(2026, 6, 30, 12, tzinfo=UTC)
    today = now.date()
    # watched for a year: 56 days of baseline before the last 14 (June 17-30)
    watched = datetime(2025, 6, 1, tzinfo=UTC)
    assert window_days(today, watched, 365, now) == (date(2026, 4, 22), 56, date(2026, 6, 17), 14)
    # watched since May 10, 15:00: the baseline starts on the first whole day, May 11
    watched = datetime(2026, 5, 10, 15, tzinfo=UTC)
    assert window_days(today, watched, 365, now) == (date(2026, 5, 11), 37, date(2026, 6, 17), 14)
    # watched since June 20: no baseline, 11 recent days
    watched = datetime(2026, 6, 20, 9, tzinfo=UTC)
    _, days, recent_first, recent_days = window_days(today, watched, 365, now)
    assert (days, recent_first, recent_days) == (0, date(2026, 6, 20), 11)
    # a 60-day retention keeps May 2 onwards (the purge cut at May 1, 12:00)
    watched = datetime(2025, 6, 1, tzinfo=UTC)
    assert window_days(today, watched, 60, now) == (date(2026, 5, 2), 46, date(2026, 6, 17), 14)
