"""Each weak-signal rule: fires on the rule, stays silent just below it and on too little
data; sentences exist in both languages."""

from __future__ import annotations

from bot.metrics import signals
from bot.metrics.data import ChannelShare, Measure


def test_churn_rising() -> None:
    fired = signals.churn_rising(Measure(0.50, 20), Measure(0.60, 20))
    assert fired is not None and fired.params == {"now": 50, "before": 60}
    assert signals.churn_rising(Measure(0.51, 20), Measure(0.60, 20)) is None  # 9 points
    assert signals.churn_rising(Measure(0.20, 9), Measure(0.90, 20)) is None  # base 9 < 10
    assert signals.churn_rising(Measure(None, 0), Measure(0.9, 20)) is None


def test_going_vertical() -> None:
    fired = signals.going_vertical(Measure(0.40, 25), Measure(0.55, 30))
    assert fired is not None and fired.key == "going_vertical"
    assert signals.going_vertical(Measure(0.40, 19), Measure(0.55, 30)) is None
    assert signals.going_vertical(Measure(0.50, 25), Measure(0.55, 30)) is None


def test_fragile_core() -> None:
    few = signals.fragile_core(Measure(2, 12), Measure(0.4, 12), 12, 150)
    assert few is not None and few.params == {"people": 2, "top_share": 40}
    heavy = signals.fragile_core(Measure(4, 30), Measure(0.61, 30), 30, 500)
    assert heavy is not None
    assert signals.fragile_core(Measure(4, 30), Measure(0.60, 30), 30, 500) is None
    # 101 active members: the top 10 % is 11 people, a heavy tail is not fragility
    assert signals.fragile_core(Measure(8, 101), Measure(0.9, 101), 101, 5000) is None
    assert signals.fragile_core(Measure(8, 100), Measure(0.9, 100), 100, 5000) is not None
    # too little data: 9 active members, or 99 messages
    assert signals.fragile_core(Measure(1, 9), Measure(0.9, 9), 9, 500) is None
    assert signals.fragile_core(Measure(1, 12), Measure(0.9, 12), 12, 99) is None


def test_newcomers_unanswered() -> None:
    fired = signals.newcomers_unanswered(Measure(2 / 5, 5))
    assert fired is not None and fired.params == {"share": 40, "count": 5}
    assert signals.newcomers_unanswered(Measure(0.30, 10)) is None  # not more than 30 %
    assert signals.newcomers_unanswered(Measure(1.0, 4)) is None  # 4 introductions


def test_over_solicitation() -> None:
    # bot posts per active: 30/10 = 3 against 20/10 = 2 (+50 %); ritual participants 6 -> 4
    fired = signals.over_solicitation((30, 20), (10, 10), (4, 6))
    assert fired is not None and fired.params == {"before": 6, "now": 4}
    assert signals.over_solicitation((30, 20), (10, 10), (6, 6)) is None  # rituals held
    assert signals.over_solicitation((22, 20), (10, 10), (4, 6)) is None  # +10 % only
    assert signals.over_solicitation((30, 20), (9, 10), (4, 6)) is None  # 9 active
    assert signals.over_solicitation((7, 1), (10, 10), (4, 6)) is None  # 7 bot posts
    assert signals.over_solicitation((30, 20), (10, 10), (1, 4)) is None  # 4 participants before
    opt = signals.over_solicitation((0, 0), (0, 0), (0, 0), ritual_opt_outs=(3, 1))
    assert opt is not None and opt.key == "over_solicitation_opt_outs"
    assert signals.over_solicitation((0, 0), (0, 0), (0, 0), ritual_opt_outs=(2, 0)) is None


def test_interests_shifting() -> None:
    # now: A 150 / 300 = 50 %, B 150 = 50 %; before: A 80 / 200 = 40 %, B 120 = 60 %
    channels = [ChannelShare(1, 150, 80), ChannelShare(2, 150, 120)]
    fired = signals.interests_shifting(channels)
    assert fired is not None
    assert fired.params["now"] in (50,) and fired.params["before"] in (40, 60)
    # 9 points: silent
    assert signals.interests_shifting([ChannelShare(1, 149, 80), ChannelShare(2, 151, 120)]) is None
    # too few messages before
    assert signals.interests_shifting([ChannelShare(1, 300, 10), ChannelShare(2, 0, 189)]) is None


def test_interests_shifting_names_the_channel_that_moved_most() -> None:
    # now 200: 25 %, 50 %, 25 %; before 200: 75 %, 25 %, 0 % -> channel 1 moved 50 points
    channels = [ChannelShare(1, 50, 150), ChannelShare(2, 100, 50), ChannelShare(3, 50, 0)]
    fired = signals.interests_shifting(channels)
    assert fired is not None
    assert fired.params == {"channel": "<#1>", "now": 25, "before": 75}


def test_ritual_fading_sentence_names_the_ritual() -> None:
    signal = signals.ritual_fading("Vendredi Victoires", 3, 8)
    assert "Vendredi Victoires" in signal.sentence("fr")
    assert "Vendredi Victoires" in signal.sentence("en")


def test_every_signal_has_a_sentence_and_an_action_in_both_languages() -> None:
    params = {
        "ritual": "R",
        "recent": 1,
        "usual": 2,
        "share": 40,
        "count": 5,
        "now": 1,
        "before": 2,
        "people": 2,
        "top_share": 70,
        "channel": "<#1>",
    }
    for key in signals.SIGNAL_KEYS:
        signal = signals.Signal(key, params)
        for lang in ("en", "fr"):
            assert signal.sentence(lang) and signal.action(lang)
        assert signal.sentence("en") != signal.sentence("fr")
