"""Each weak-signal rule at the edges of its thresholds: the size of the change, the exact
test's 1 % (or 0.5 % per branch), and the minimum of data (below it the rule says it
lacked data, `enough=False`); sentences, evidence and actions exist in both languages."""

from __future__ import annotations

import pytest

from bot.metrics import signals
from bot.metrics.data import ChannelShare, Measure
from bot.metrics.signals import Signal, Silent
from bot.rituals.engagement import fading
from bot.survey.nps import NpsResult


def silent(verdict: signals.Verdict, *, enough: bool = True) -> bool:
    return isinstance(verdict, Silent) and not verdict and verdict.enough is enough


def test_a_silent_rule_is_falsy_and_a_signal_truthy() -> None:
    assert not Silent("churn_rising")
    assert Signal("churn_rising")


def test_churn_rising_needs_ten_points_and_the_test() -> None:
    fired = signals.churn_rising(Measure(0.50, 400), Measure(0.60, 400))
    assert isinstance(fired, Signal)
    assert fired.params == {"now": 50, "before": 60, "base": 400, "base_before": 400}
    assert fired.p_value is not None and fired.p_value <= signals.ALPHA
    # 9 points on 400 members: significant, but not a large change
    assert silent(signals.churn_rising(Measure(0.51, 400), Measure(0.60, 400)))
    # 10 points on 20 members: could be noise
    assert silent(signals.churn_rising(Measure(0.50, 20), Measure(0.60, 20)))
    # on 30 members against 24 of 30: 14 back is p = 0.0075, 15 back is p = 0.015
    assert signals.churn_rising(Measure(14 / 30, 30), Measure(24 / 30, 30))
    assert silent(signals.churn_rising(Measure(15 / 30, 30), Measure(24 / 30, 30)))
    assert silent(signals.churn_rising(Measure(0.20, 9), Measure(0.90, 20)), enough=False)
    assert silent(signals.churn_rising(Measure(None, 0), Measure(0.9, 20)), enough=False)


def test_going_vertical() -> None:
    fired = signals.going_vertical(Measure(0.40, 25), Measure(0.80, 30))
    assert isinstance(fired, Signal) and fired.key == "going_vertical"
    assert silent(signals.going_vertical(Measure(0.40, 19), Measure(0.80, 30)), enough=False)
    assert silent(signals.going_vertical(Measure(0.50, 25), Measure(0.55, 30)))
    assert silent(signals.going_vertical(Measure(0.40, 25), Measure(0.55, 30)))  # p = 0.2


def test_newcomers_not_staying() -> None:
    """The latest cohorts (4th week over in the last 14 days) against the 8 weeks before:
    >= 5 recent newcomers, >= 10 in the baseline, 15 points, Fisher at 1 %."""
    fired = signals.newcomers_not_staying(Measure(0.0, 5), Measure(0.8, 10))  # p = 0.007
    assert isinstance(fired, Signal) and fired.params["before"] == 80
    assert fired.params["base"] == 5 and fired.params["base_before"] == 10
    assert silent(signals.newcomers_not_staying(Measure(0.0, 5), Measure(0.7, 10)))  # p = 0.019
    # 0 of 5 against 14 of 20 is p = 0.0087; against 13 of 20, p = 0.015
    assert signals.newcomers_not_staying(Measure(0.0, 5), Measure(14 / 20, 20))
    assert silent(signals.newcomers_not_staying(Measure(0.0, 5), Measure(13 / 20, 20)))
    # the minimums: 4 recent newcomers, or 9 in the baseline's cohorts
    assert silent(signals.newcomers_not_staying(Measure(0.0, 4), Measure(1.0, 10)), enough=False)
    assert silent(signals.newcomers_not_staying(Measure(0.0, 5), Measure(1.0, 9)), enough=False)
    assert silent(signals.newcomers_not_staying(Measure(None, 0), Measure(0.5, 30)), enough=False)
    # 14 points on thousands of newcomers: under the 15-point size
    assert silent(signals.newcomers_not_staying(Measure(0.26, 2000), Measure(0.40, 2000)))
    assert signals.newcomers_not_staying(Measure(0.25, 2000), Measure(0.40, 2000))


def test_fragile_core() -> None:
    few = signals.fragile_core(Measure(2, 12), Measure(0.4, 12), 12, 150)
    assert isinstance(few, Signal)
    assert few.params == {"people": 2, "top_share": 40, "active": 12, "messages": 150}
    heavy = signals.fragile_core(Measure(4, 30), Measure(0.61, 30), 30, 500)
    assert heavy
    assert silent(signals.fragile_core(Measure(4, 30), Measure(0.60, 30), 30, 500))
    # 101 active members: the top 10 % is 11 people, a heavy tail is not fragility
    assert silent(signals.fragile_core(Measure(8, 101), Measure(0.9, 101), 101, 5000))
    assert signals.fragile_core(Measure(8, 100), Measure(0.9, 100), 100, 5000)
    # too little data: 9 active members, or 99 messages
    assert silent(signals.fragile_core(Measure(1, 9), Measure(0.9, 9), 9, 500), enough=False)
    assert silent(signals.fragile_core(Measure(1, 12), Measure(0.9, 12), 12, 99), enough=False)


@pytest.mark.parametrize(
    ("unanswered", "introductions", "fires"),
    [
        (3, 3, True),  # p = 0.001 against "1 in 10 left unanswered"
        (2, 3, False),  # p = 0.028
        (3, 4, True),
        (3, 5, True),  # p = 0.0086
        (3, 6, False),  # p = 0.016
        (30, 100, False),  # 30 %: not more than 30 %
        (31, 100, True),
    ],
)
def test_newcomers_unanswered(unanswered: int, introductions: int, fires: bool) -> None:
    verdict = signals.newcomers_unanswered(Measure(unanswered / introductions, introductions))
    assert bool(verdict) is fires
    if isinstance(verdict, Signal):
        assert verdict.params["unanswered"] == unanswered
        assert verdict.params["count"] == introductions


def test_newcomers_unanswered_needs_three_introductions() -> None:
    assert silent(signals.newcomers_unanswered(Measure(1.0, 2)), enough=False)
    assert silent(signals.newcomers_unanswered(Measure(None, 0)), enough=False)


def test_newcomers_not_introducing_falls() -> None:
    fell = signals.newcomers_not_introducing(Measure(0.40, 200), Measure(0.60, 200))
    assert isinstance(fell, Signal) and fell.key == "newcomers_not_introducing"
    assert fell.params == {"now": 40, "before": 60, "newcomers": 200, "introduced": 80}
    # 19 points: not a fall, and 41 % is not low
    assert silent(signals.newcomers_not_introducing(Measure(0.41, 200), Measure(0.60, 200)))
    # 20 points on 10 newcomers: could be noise
    assert silent(signals.newcomers_not_introducing(Measure(0.40, 10), Measure(0.60, 10)))


def test_newcomers_not_introducing_low() -> None:
    low = signals.newcomers_not_introducing(Measure(0.34, 100), None)
    assert isinstance(low, Signal) and low.key == "newcomers_not_introducing_low"
    assert silent(signals.newcomers_not_introducing(Measure(0.35, 100), None))
    assert signals.newcomers_not_introducing(Measure(0.0, 8), None)  # p = 0.0039
    assert silent(signals.newcomers_not_introducing(Measure(0.0, 7), None))  # p = 0.0078
    assert silent(signals.newcomers_not_introducing(Measure(0.0, 4), None), enough=False)


def test_advocacy_negative_by_a_sign_test() -> None:
    negative = signals.advocacy_falling(NpsResult(0, 2, 8), None)  # p = 0.0039
    assert isinstance(negative, Signal) and negative.key == "advocacy_falling_negative"
    assert negative.params == {"now": -80, "answers": 10, "promoters": 0, "detractors": 8}
    assert silent(signals.advocacy_falling(NpsResult(0, 3, 7), None))  # p = 0.0078
    assert silent(signals.advocacy_falling(NpsResult(0, 1, 8), None), enough=False)  # 9 answers


def test_advocacy_falling_by_fifteen_points() -> None:
    before = NpsResult(600, 200, 200)  # +40 on 1,000 answers
    fell = signals.advocacy_falling(NpsResult(525, 200, 275), before)  # +25: 15 points
    assert isinstance(fell, Signal) and fell.key == "advocacy_falling"
    assert fell.params["before"] == 40 and fell.params["now"] == 25
    assert silent(signals.advocacy_falling(NpsResult(530, 200, 270), before))  # 14 points
    # 25 points on 100 answers each: p = 0.018, noise is not ruled out
    assert silent(signals.advocacy_falling(NpsResult(45, 25, 30), NpsResult(60, 20, 20)))


def test_over_solicitation_opt_outs() -> None:
    opt = signals.over_solicitation((0, 0), (0, 0), (0, 0), ritual_opt_outs=(8, 0))
    assert isinstance(opt, Signal) and opt.key == "over_solicitation_opt_outs"
    assert not signals.over_solicitation((0, 0), (0, 0), (0, 0), ritual_opt_outs=(7, 0))
    assert not signals.over_solicitation((0, 0), (0, 0), (0, 0), ritual_opt_outs=(3, 0))
    lacking = signals.over_solicitation((0, 0), (0, 0), (0, 0))
    assert silent(lacking, enough=False)


def test_over_solicitation_posts() -> None:
    # bot posts per active: 30/10 = 3 against 20/10 = 2 (+50 %); ritual participants 30 -> 10
    fired = signals.over_solicitation((30, 20), (10, 10), (10, 30))
    assert isinstance(fired, Signal) and fired.params["before"] == 30
    assert silent(signals.over_solicitation((30, 20), (10, 10), (20, 30)))  # p = 0.10
    assert silent(signals.over_solicitation((22, 20), (10, 10), (10, 30)))  # +10 % only
    assert not signals.over_solicitation((30, 20), (9, 10), (1, 30))  # 9 active
    assert not signals.over_solicitation((7, 1), (10, 10), (1, 30))  # 7 bot posts
    assert not signals.over_solicitation((30, 20), (10, 10), (0, 4))  # 4 participants before


def test_interests_shifting() -> None:
    # 10 points (40 % -> 50 %) on 300 and 200 messages: p = 0.02, noise
    assert silent(signals.interests_shifting([ChannelShare(1, 150, 80), ChannelShare(2, 150, 120)]))
    channels = [ChannelShare(1, 1500, 800), ChannelShare(2, 1500, 1200)]
    fired = signals.interests_shifting(channels)
    assert isinstance(fired, Signal) and fired.params["now"] == 50
    # 9.7 points on the same volume: silent
    assert silent(
        signals.interests_shifting([ChannelShare(1, 1490, 800), ChannelShare(2, 1510, 1200)])
    )
    too_few = [ChannelShare(1, 300, 10), ChannelShare(2, 0, 189)]
    assert silent(signals.interests_shifting(too_few), enough=False)


def test_interests_shifting_names_the_channel_that_moved_most() -> None:
    # now 2000: 25 %, 50 %, 25 %; before 2000: 75 %, 25 %, 0 % -> channel 1 moved 50 points
    channels = [ChannelShare(1, 500, 1500), ChannelShare(2, 1000, 500), ChannelShare(3, 500, 0)]
    fired = signals.interests_shifting(channels)
    assert isinstance(fired, Signal)
    assert fired.params["channel"] == "<#1>"
    assert (fired.params["now"], fired.params["before"]) == (25, 75)


def test_ritual_fading_renders_the_rituals_verdict() -> None:
    verdict = fading([20, 20, 20, 20, 5, 4])
    assert verdict is not None
    signal = signals.ritual_fading("Vendredi Victoires", verdict)
    assert isinstance(signal, Signal)
    assert signal.params["recent"] == 4 and signal.params["usual"] == 20
    for lang in ("fr", "en"):
        assert "Vendredi Victoires" in signal.sentence(lang)
        assert "5 → 4" in signal.evidence(lang) or "20 → 5 → 4" in signal.evidence(lang)
    assert silent(signals.ritual_fading("R", None, enough=False), enough=False)


def test_fragile_core_says_member_and_members() -> None:
    one = Signal("fragile_core", {"people": 1, "top_share": 80})
    two = Signal("fragile_core", {"people": 2, "top_share": 80})
    assert "1 member," in one.sentence("en") and "2 members," in two.sentence("en")
    assert "1 membre," in one.sentence("fr") and "2 membres," in two.sentence("fr")


def test_evidence_gives_the_odds_of_noise() -> None:
    signal = Signal("newcomers_unanswered", {"share": 60, "count": 5, "unanswered": 3}, 0.008)
    assert "3 of 5" in signal.evidence("en") and "1 chance in 100" in signal.evidence("en")
    assert "3 présentations sur 5" in signal.evidence("fr")
    assert "1\u202f000" in Signal("newcomers_unanswered", signal.params, 0.0001).evidence("fr")


PARAMS = {
    "ritual": "R",
    "recent": 1,
    "usual": 2,
    "occurrences": 2,
    "usual_occurrences": 8,
    "last": "2 → 1",
    "share": 40,
    "count": 5,
    "unanswered": 3,
    "now": 1,
    "before": 2,
    "base": 20,
    "base_before": 30,
    "newcomers": 12,
    "introduced": 3,
    "answers": 20,
    "answers_before": 30,
    "promoters": 2,
    "detractors": 9,
    "people": 2,
    "top_share": 70,
    "active": 12,
    "messages": 150,
    "posts": 30,
    "posts_before": 20,
    "opt_outs": 8,
    "opt_outs_before": 1,
    "channel": "<#1>",
    "total": 400,
    "days": 14,
    "baseline": 6,
    "baseline_days": 56,
    "timeouts": 9,
    "bans": 1,
}


def test_every_signal_has_a_sentence_evidence_and_action_in_both_languages() -> None:
    for key in signals.SIGNAL_KEYS:
        signal = Signal(key, PARAMS, 0.004)
        for lang in ("en", "fr"):
            assert signal.sentence(lang) and signal.evidence(lang) and signal.action(lang)
        assert signal.sentence("en") != signal.sentence("fr")
        assert signal.evidence("en") != signal.evidence("fr")


def test_newcomers_unanswered_reads_the_last_14_days_when_they_hold_ten() -> None:
    period = Measure(6 / 40, 40)  # 6 of 40 over the period: fine
    recent = Measure(6 / 10, 10)  # 6 of the 10 of the last 14 days: not fine
    fired = signals.newcomers_unanswered(period, recent)
    assert isinstance(fired, Signal) and fired.params["count"] == 10
    # 9 recent introductions: the period's are read, whose power they would lose
    assert silent(signals.newcomers_unanswered(period, Measure(6 / 9, 9)))
    # ...and the other way round: a bad period, a fine fortnight
    assert silent(signals.newcomers_unanswered(Measure(20 / 40, 40), Measure(0.0, 10)))
