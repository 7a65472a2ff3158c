"""Action first: /health's first embed, the digest and `foyer report` open with the signals
(sentence, evidence, one action) or, with none, with what was checked and what lacked data;
the JSON lists each signal with its evidence."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.metrics.data import WeekActivity
from bot.metrics.embeds import health_embeds
from bot.metrics.figures import FAMILIES, SPECS, Figure
from bot.metrics.newcomers import FunnelStage
from bot.metrics.render import plain_text, signal_lines
from bot.metrics.report import as_json
from bot.metrics.retention import cohort_table
from bot.metrics.signals import Signal, Silent
from bot.metrics.summary import HealthReport
from bot.periods import period_ending

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
UNANSWERED = Signal("newcomers_unanswered", {"share": 75, "count": 4, "unanswered": 3}, 0.0037)


def report(lang: str, found: list[Signal], checked: list[Silent] | None = None) -> HealthReport:
    period = period_ending(NOW, 28)
    families: dict[str, list[Figure]] = {f: [] for f in FAMILIES}
    for key, spec in SPECS.items():
        families[spec.family].append(Figure(key, 1.0, 1.0, spec.kind, True, 20))
    return HealthReport(
        guild_id=1,
        lang=lang,  # type: ignore[arg-type]
        timezone="UTC",
        period=period,
        previous=period.previous(),
        generated_at=NOW,
        data_since=datetime(2026, 1, 1, tzinfo=UTC),
        weeks_of_data=46,
        days_of_data=329,
        covered=True,
        families=families,
        cohorts=cohort_table([], {}, NOW, ZoneInfo("UTC")),
        weekly=[WeekActivity("2026-W48", date(2026, 11, 23))],
        signals=found,
        funnel=[FunnelStage("joined", 4)],
        checked=checked or [],
    )


@pytest.mark.parametrize("digest", [False, True])
def test_the_first_embed_opens_with_the_signal_its_evidence_and_action(digest: bool) -> None:
    title = "health.digest.title" if digest else "health.title"
    first = health_embeds(report("en", [UNANSWERED]), title_key=title)[0]
    text = first.description or ""
    lines = text.split("\n")
    start = 2 if digest else 0  # the digest's one-line intro and a blank line come first
    assert lines[start] == (
        "⚠ **75% of the 4 latest introductions got no reply from a member within 48 hours.**"
    )
    assert lines[start + 1].startswith("   3 of 4 introductions still unanswered")
    assert "(Less than 1 chance in 100 that this is mere chance.)" in lines[start + 1]
    assert lines[start + 2].startswith("   → What to try: Ask a few regulars")
    assert text.index("⚠") < text.index("compared with the 28 days before")


def test_with_no_signal_it_says_what_was_checked_in_french() -> None:
    checked = [Silent("ritual_fading"), Silent("churn_rising"), Silent("advocacy_falling", False)]
    lines = signal_lines(report("fr", [], checked))
    assert lines == [
        "Aucun signal faible sur cette période.",
        "Vérifié, rien d'inquiétant : rituels qui perdent leurs participants, "
        "retour des membres actifs.",
        "Pas encore assez de données pour vérifier : recommandation (NPS).",
    ]
    first = health_embeds(report("fr", [], checked))[0]
    assert (first.description or "").startswith("Aucun signal faible sur cette période.\n")


def test_plain_text_puts_the_signals_before_the_figures() -> None:
    text = plain_text(report("en", [UNANSWERED]))
    assert text.index("## Weak signals") < text.index("## Participation")
    assert "**" not in text


def test_report_json_lists_each_signal_with_its_evidence() -> None:
    data = json.loads(as_json(report("en", [UNANSWERED], [Silent("churn_rising", False)])))
    (signal,) = data["signals"]
    assert signal["key"] == "newcomers_unanswered"
    assert signal["params"] == {"share": 75, "count": 4, "unanswered": 3}
    assert signal["p_value"] == pytest.approx(0.0037)
    assert signal["evidence"].startswith("3 of 4 introductions")
    assert signal["action"].startswith("Ask a few regulars")
    assert data["signals_checked"] == [
        {"key": "churn_rising", "enough_data": False, "missing": None}
    ]


def test_verdicts_sorted_rituals_first_and_each_silent_rule_once() -> None:
    from bot.metrics.summary import _sort_verdicts

    fading = Signal("ritual_fading", {"ritual": "R"})
    negative = Signal("advocacy_falling_negative", {"now": -40})
    built = report("en", [UNANSWERED, negative], [Silent("churn_rising", False)])
    # two rituals: one fading, one without enough occurrences yet
    _sort_verdicts(built, [Silent("ritual_fading", False), fading])
    assert [s.key for s in built.signals] == [
        "ritual_fading",
        "newcomers_unanswered",
        "advocacy_falling_negative",
    ]
    # a rule that fired is not listed as checked, by none of its keys
    assert built.checked == [Silent("churn_rising", False)]
    quiet = report("en", [], [Silent("churn_rising", False)])
    _sort_verdicts(quiet, [Silent("ritual_fading", False), Silent("ritual_fading", True)])
    assert quiet.checked == [Silent("ritual_fading", True), Silent("churn_rising", False)]


def test_a_rule_lacking_a_permission_is_listed_as_not_checked_with_why() -> None:
    from bot.metrics.signals import tensions
    from bot.metrics.summary import _sort_verdicts

    for lang, line in (
        (
            "en",
            "Not checked: tensions between members (Foyer needs the View Audit Log permission).",
        ),
        (
            "fr",
            "Non vérifié : tensions entre membres (il manque à Foyer la permission Voir les logs "
            "du serveur).",
        ),
    ):
        built = report(lang, [], [tensions(None), Silent("churn_rising")])
        _sort_verdicts(built, [])
        lines = signal_lines(built)
        assert lines[-1] == line
        assert "tension" not in lines[1]  # not among the rules checked
