"""What admins and members read about a survey, in both languages, without Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db.models import Survey
from bot.db.models.recognition import WhyLength
from bot.survey.nps import NpsResult, trend
from bot.survey.render import format_nps, results_embed, score_buttons
from bot.survey.service import SurveyResults, why_bucket

OPENED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _survey(survey_id: int = 2, opened: datetime = OPENED) -> Survey:
    return Survey(
        id=survey_id,
        guild_id=1,
        opened_at=opened,
        closes_at=opened + timedelta(days=7),
        closed_at=None,
        channel_id=5,
        follow_up=True,
        store_why=False,
    )


def _results() -> SurveyResults:
    first = NpsResult(promoters=1, passives=0, detractors=1)  # 0
    latest = NpsResult(promoters=4, passives=1, detractors=1)  # +50
    earlier = OPENED - timedelta(days=40)
    return SurveyResults(
        survey=_survey(),
        result=latest,
        open=True,
        why_given=3,
        why_texts=[],
        trend=trend([(1, earlier, first), (2, OPENED, latest)]),
    )


@pytest.mark.parametrize(
    ("lang", "nps", "counts", "trend_line"),
    [
        (
            "en",
            "**NPS: +50** (± 61 points, 95% confidence)",
            "Promoters (9-10): 4 · Passives (7-8): 1 · Detractors (0-6): 1",
            "+50 (6 answers), +50 since the previous one",
        ),
        (
            "fr",
            "**NPS : +50** (± 61 points, confiance à 95\xa0%)",
            "Promoteurs (9-10) : 4 · Passifs (7-8) : 1 · Détracteurs (0-6) : 1",
            "+50 (6 réponses), +50 depuis le précédent",
        ),
    ],
)
def test_results_in_both_languages(lang: str, nps: str, counts: str, trend_line: str) -> None:
    embed = results_embed(_results(), lang)
    assert embed.description is not None
    assert nps in embed.description
    assert counts in embed.description
    assert "30" in embed.description  # the caution below 30 answers
    (field,) = embed.fields
    assert field.value is not None and field.value.endswith(trend_line)


def test_nps_sign_and_rounding() -> None:
    assert [format_nps(v) for v in (50.0, -12.4, 0.2, 13.5)] == ["+50", "-12", "0", "+14"]


def test_eleven_buttons_fit_discords_five_per_row() -> None:
    rows = [row for _, _, row in score_buttons(7)]
    assert [rows.count(r) for r in range(3)] == [4, 4, 3]
    assert score_buttons(7)[10][1] == "foyer:nps:7:10"


def test_why_length_buckets() -> None:
    assert [why_bucket(t) for t in ("  ", "a" * 49, "a" * 50, "a" * 199, "a" * 200)] == [
        WhyLength.NONE,
        WhyLength.SHORT,
        WhyLength.MEDIUM,
        WhyLength.MEDIUM,
        WhyLength.LONG,
    ]
