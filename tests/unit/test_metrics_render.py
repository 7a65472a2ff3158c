"""What /health says when Foyer has just arrived or a stage cannot be measured, in both
languages: the coverage line, "not enough history yet" instead of a "before" value, and "—"
with its reason instead of a 0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.metrics.figures import FAMILIES, Figure, Kind
from bot.metrics.newcomers import FunnelStage
from bot.metrics.render import coverage_line, figure_line, funnel_lines
from bot.metrics.retention import cohort_table
from bot.metrics.summary import HealthReport
from bot.periods import period_ending

NOW = datetime(2026, 11, 27, 18, tzinfo=UTC)


def report(lang: str, arrived: datetime, *, covered: bool) -> HealthReport:
    period = period_ending(NOW, 28)
    return HealthReport(
        guild_id=1,
        lang=lang,  # type: ignore[arg-type]
        timezone="UTC",
        period=period,
        previous=period.previous(),
        generated_at=NOW,
        data_since=arrived,
        weeks_of_data=(NOW - arrived).days // 7,
        days_of_data=(NOW - arrived).days,
        covered=covered,
        families={f: [] for f in FAMILIES},
        cohorts=cohort_table([], {}, NOW, ZoneInfo("UTC")),
        weekly=[],
        signals=[],
        funnel=[
            FunnelStage("joined", 0),
            FunnelStage("introduced", 0, 0),
            FunnelStage("stayed", 0, 3),
            FunnelStage("week4", 0, 0),
        ],
    )


def test_the_header_says_since_when_foyer_is_there() -> None:
    three_days = NOW - timedelta(days=3, hours=2)
    assert coverage_line(report("en", three_days, covered=False)).startswith(
        "Since Foyer arrived 3 days ago (November 24, 2026)"
    )
    assert coverage_line(report("fr", three_days, covered=False)).startswith(
        "Depuis l'arrivée de Foyer il y a 3 jours (le 24 novembre 2026)"
    )
    one_day = NOW - timedelta(days=1, hours=1)
    assert "il y a 1 jour (" in coverage_line(report("fr", one_day, covered=False))
    today = NOW - timedelta(hours=2)
    assert coverage_line(report("en", today, covered=False)).startswith(
        "Since Foyer arrived today (November 27, 2026)"
    )
    long_ago = datetime(2026, 6, 1, tzinfo=UTC)
    assert coverage_line(report("en", long_ago, covered=True)) == (
        "Based on 25 weeks of activity since Foyer arrived (June 1, 2026)."
    )
    assert coverage_line(report("fr", long_ago, covered=True)) == (
        "Basé sur 25 semaines d'activité depuis l'arrivée de Foyer (le 1er juin 2026)."
    )


def test_no_history_instead_of_a_previous_value() -> None:
    fresh = Figure("participation.active_members", 4, None, Kind.COUNT, False, comparable=False)
    assert figure_line(fresh, "en") == "Active members: **4** (not enough history yet) *"
    assert figure_line(fresh, "fr") == "Membres actifs : **4** (pas encore assez d'historique) *"
    compared = Figure("participation.active_members", 4, 3, Kind.COUNT, True)
    assert figure_line(compared, "en") == "Active members: **4** ↗ (before: 3)"


def test_an_empty_stage_shows_a_dash_and_why() -> None:
    lines = funnel_lines(report("en", NOW - timedelta(days=3), covered=False))
    assert lines[0] == "Joined: **0**"
    assert lines[1] == "Introduced themselves: — (no newcomer in the period)"
    assert lines[2] == "Still here after 7 days: **0** / 3 (0%)"  # measurable: a real 0
    assert lines[3].startswith("Active in week 4: — (") and "choose 90 days in /health)" in lines[3]
    fr = funnel_lines(report("fr", NOW - timedelta(days=3), covered=False))
    assert fr[3].startswith("Actifs en semaine 4 : — (aucun nouveau de la période")
