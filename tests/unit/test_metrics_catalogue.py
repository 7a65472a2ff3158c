"""Every figure the code can show is defined in docs/metrics.md and named and defined in
both languages; every signal is documented with its threshold."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import FoyerError
from bot.i18n import catalogue
from bot.metrics.figures import OTHER_KEYS, SPECS
from bot.metrics.signals import SIGNAL_KEYS
from cogs.health import explanation

DOCS = Path(__file__).parents[2] / "docs" / "metrics.md"


def test_every_figure_key_is_in_docs_metrics() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [key for key in (*SPECS, *OTHER_KEYS) if f"`{key}`" not in text]
    assert not missing, f"docs/metrics.md lacks: {missing}"


def test_every_signal_is_in_docs_metrics() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert not [key for key in SIGNAL_KEYS if f"`{key}`" not in text]


def test_every_figure_has_a_name_and_definition_in_both_languages() -> None:
    texts = catalogue()
    for key in (*SPECS, *OTHER_KEYS):
        for part in ("name", "definition"):
            entry = texts[f"health.figure.{key}.{part}"]
            assert entry["en"] and entry["fr"], key


def test_every_family_has_figures() -> None:
    families = {spec.family for spec in SPECS.values()}
    assert families == {"participation", "retention", "contribution", "advocacy"}


def test_explain_gives_the_catalogue_definition_or_a_helpful_error() -> None:
    embed = explanation("retention.week1_retention", "en")
    assert embed.title == "Week-1 retention"
    assert (
        embed.description == catalogue()["health.figure.retention.week1_retention.definition"]["en"]
    )
    assert embed.footer.text == "Shown as meaningful from 5 people or answers."
    with pytest.raises(FoyerError) as refused:
        explanation("participation.vanity", "fr")
    assert "participation.vanity" in refused.value.render("fr")
