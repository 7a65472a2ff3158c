"""NPS arithmetic against values computed by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from bot.survey.nps import NpsResult, category, summarize, trend


def test_categories_follow_the_nps_bands() -> None:
    assert [category(s) for s in range(11)] == [-1] * 7 + [0, 0] + [1, 1]


def test_out_of_range_score_is_refused() -> None:
    with pytest.raises(ValueError):
        category(11)
    with pytest.raises(ValueError):
        category(-1)


def test_balanced_answers() -> None:
    # promoters 10,9,9,10 (4); passives 8,7 (2); detractors 6,3,0,5 (4); n = 10
    result = summarize([10, 9, 9, 8, 7, 6, 3, 0, 10, 5])
    assert (result.promoters, result.passives, result.detractors) == (4, 2, 4)
    assert result.answers == 10
    assert result.nps == 0.0
    # mean 0, variance (4 + 4) / 10 = 0.8 -> 1.96 * sqrt(0.08) * 100 = 55.437...
    assert result.margin_of_error == pytest.approx(55.4372, abs=1e-3)


def test_positive_answers() -> None:
    # P = 4, passive = 1, D = 1, n = 6: NPS = (4 - 1) / 6 = +50
    result = summarize([10, 10, 10, 9, 8, 2])
    assert result.nps == pytest.approx(50.0)
    # mean 0.5, variance 5/6 - 0.25 = 0.58333, / 6 = 0.097222 -> sqrt 0.311805 * 196
    assert result.margin_of_error == pytest.approx(1.96 * math.sqrt((5 / 6 - 0.25) / 6) * 100)
    assert result.margin_of_error == pytest.approx(61.114, abs=1e-3)


def test_no_answers_has_no_score() -> None:
    result = summarize([])
    assert result.answers == 0
    assert result.nps is None
    assert result.margin_of_error is None


def test_all_promoters() -> None:
    result = summarize([9, 10, 10])
    assert result.nps == 100.0
    assert result.margin_of_error == 0.0


def test_all_detractors() -> None:
    assert summarize([0, 6, 3]).nps == -100.0


def test_trend_orders_by_date_and_skips_empty_surveys_for_the_change() -> None:
    jan = datetime(2026, 1, 5, tzinfo=UTC)
    feb = datetime(2026, 2, 5, tzinfo=UTC)
    mar = datetime(2026, 3, 5, tzinfo=UTC)
    points = trend(
        [
            (3, mar, NpsResult(promoters=3, passives=1, detractors=0)),  # +75
            (1, jan, NpsResult(promoters=1, passives=0, detractors=1)),  # 0
            (2, feb, NpsResult()),  # no answers
        ]
    )
    assert [p.survey_id for p in points] == [1, 2, 3]
    assert [p.change for p in points] == [None, None, 75.0]
