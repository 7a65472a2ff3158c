"""`foyer report` on a seeded database: JSON with every figure and its definition key,
CSV weekly series, text, and a clear error for an unknown guild."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from test_metrics_queries import GUILD_A, seed_month

from bot.cli import build_parser
from bot.db import Database
from bot.metrics import report as report_cli
from bot.metrics.figures import SPECS

# The report runs on the real clock; pin it to the seeded month.
FIXED_NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    class Fixed:
        def now(self) -> datetime:
            return FIXED_NOW

    monkeypatch.setattr(report_cli, "SystemClock", Fixed)


async def run(url: str, *args: str) -> int:
    parsed = build_parser().parse_args(["report", "--database-url", url, *args])
    return await report_cli.run(parsed)


async def test_json_holds_every_figure_with_its_definition_key(
    database: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed_month(database)
    assert await run(database_url, "--guild", str(GUILD_A), "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    keys = [f["definition_key"] for f in data["figures"]]
    assert keys == list(SPECS)
    figures = {f["key"]: f for f in data["figures"]}
    assert figures["participation.active_members"]["value"] == 4
    assert figures["participation.active_members"]["previous"] == 3
    assert figures["participation.active_members"]["trend"] == "up"
    effect = figures["advocacy.spotlight_effect"]
    assert effect["value"] is None and effect["base"] == 0 and not effect["meaningful"]
    assert data["guild_id"] == str(GUILD_A) and data["period"]["days"] == 28
    assert data["funnel"]["stages"][:2] == [
        {"stage": "joined", "count": 2, "eligible": None},
        {"stage": "introduced", "count": 1, "eligible": 2},
    ]
    assert len(data["cohorts"]["rows"]) == 8


async def test_csv_holds_the_weekly_series(
    database: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed_month(database)
    assert await run(database_url, "--guild", str(GUILD_A), "--format", "csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 8
    w45 = next(r for r in rows if r["week"] == "2026-W45")
    assert (w45["active_members"], w45["member_messages"], w45["horizontal_share"]) == (
        "4",
        "7",
        "0.6",
    )


async def test_text_in_the_guild_language(
    database: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed_month(database)
    assert await run(database_url, "--guild", str(GUILD_A), "--period", "7d") == 0
    out = capsys.readouterr().out
    assert "Membres actifs" in out and "Santé de la communauté : 7 derniers jours" in out


async def test_unknown_guild_is_a_clear_error(
    database: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(database_url, "--guild", "31337") == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Unknown guild 31337" in captured.err
