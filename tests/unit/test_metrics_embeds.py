"""/health's embeds stay within Discord's limits in both languages, even with every signal
and many rituals at once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.metrics.data import WeekActivity
from bot.metrics.embeds import KEY_FIGURES, MAX_TOTAL, compact_digest_embed, health_embeds
from bot.metrics.figures import FAMILIES, SPECS, Figure
from bot.metrics.job import is_digest
from bot.metrics.newcomers import FunnelStage
from bot.metrics.retention import cohort_table
from bot.metrics.rituals import RitualRow
from bot.metrics.signals import SIGNAL_KEYS, Signal
from bot.metrics.summary import HealthReport
from bot.periods import period_ending

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
PARAMS = {
    "ritual": "Vendredi Victoires, le rituel du vendredi",
    "recent": 2,
    "usual": 9,
    "share": 45,
    "count": 12,
    "now": 31,
    "before": 48,
    "people": 2,
    "top_share": 71,
    "channel": "<#123456789012345678>",
    "occurrences": 3,
    "usual_occurrences": 8,
    "last": "3 → 2 → 1",
    "unanswered": 5,
    "base": 40,
    "base_before": 50,
    "newcomers": 20,
    "introduced": 4,
    "answers": 30,
    "answers_before": 25,
    "promoters": 5,
    "detractors": 15,
    "active": 12,
    "messages": 150,
    "posts": 40,
    "posts_before": 20,
    "opt_outs": 5,
    "opt_outs_before": 0,
    "days": 14,
    "baseline": 6,
    "baseline_days": 56,
    "timeouts": 9,
    "bans": 1,
    "total": 900,
}


def crowded(lang: str, *, history: bool = True) -> HealthReport:
    """Every figure, signal and ritual at once; without `history`, every figure says it
    has no previous period to compare with (the longer line)."""
    period = period_ending(NOW, 90)
    families: dict[str, list[Figure]] = {f: [] for f in FAMILIES}
    for key, spec in SPECS.items():
        before = 11111.0 if history else None
        families[spec.family].append(
            Figure(key, 12345.0, before, spec.kind, True, 999, comparable=history)
        )
    return HealthReport(
        guild_id=1,
        lang=lang,  # type: ignore[arg-type]
        timezone="Europe/Paris",
        period=period,
        previous=period.previous(),
        generated_at=NOW,
        data_since=datetime(2025, 1, 1, tzinfo=UTC),
        weeks_of_data=99,
        days_of_data=700,
        covered=history,
        families=families,
        cohorts=cohort_table([], {}, NOW, ZoneInfo("UTC")),
        weekly=[WeekActivity("2026-W48", date(2026, 11, 23))],
        signals=[Signal(k, PARAMS, 0.0001) for k in SIGNAL_KEYS]
        + [Signal("ritual_fading", PARAMS, 0.001)] * 6,
        funnel=[FunnelStage("joined", 1000), FunnelStage("introduced", 800, 1000)],
        rituals=[
            RitualRow(i, f"Rituel numéro {i} au nom assez long", i % 2 == 0, (9,) * 13, 99, True)
            for i in range(20)
        ],
    )


@pytest.mark.parametrize("history", [True, False])
def test_embeds_fit_discord_limits(history: bool) -> None:
    for lang in ("fr", "en"):
        embeds = health_embeds(crowded(lang, history=history))
        assert len(embeds) <= 10
        assert sum(len(e) for e in embeds) <= MAX_TOTAL
        for embed in embeds:
            assert len(embed.description or "") <= 4096
            assert all(len(f.value or "") <= 1024 for f in embed.fields)
        assert embeds[-1].image.url == "attachment://health.png"


@pytest.mark.parametrize("history", [True, False])
def test_the_compact_digest_fits_and_is_told_apart_by_its_shape(history: bool) -> None:
    """Every signal at once still fits one embed; the six key figures, in order, with
    their arrows; `is_digest` (the exactly-once marker) knows it, and knows the full one."""
    for lang in ("fr", "en"):
        embed = compact_digest_embed(crowded(lang, history=history))
        assert len(embed) <= MAX_TOTAL and len(embed.description or "") <= 4096
        (field,) = embed.fields
        lines = (field.value or "").split("\n")
        assert len(lines) == len(KEY_FIGURES) == 6
        assert all(("↗" in line) == history for line in lines)  # 12,345 against 11,111
        compact = SimpleNamespace(embeds=[embed], attachments=[])
        assert is_digest(compact)  # type: ignore[arg-type]
        full = health_embeds(crowded(lang, history=history))
        chart = SimpleNamespace(filename="health.png")
        assert is_digest(SimpleNamespace(embeds=full, attachments=[chart]))  # type: ignore[arg-type]
        other = SimpleNamespace(embeds=[full[1]], attachments=[])  # one embed, no field
        assert not is_digest(other)  # type: ignore[arg-type]
