"""`foyer report`: a guild's health figures in the terminal or for automation.

It reads the database directly, in one read transaction, so it works while the bot runs
(SQLite in WAL mode lets readers in beside the writer; PostgreSQL as usual) and never
writes. `--format json` holds every figure with its definition key (see docs/metrics.md);
`--format csv` holds the weekly series.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.clock import SystemClock
from bot.db import Database
from bot.i18n import t
from bot.metrics.figures import SPECS, Figure
from bot.metrics.reading import UnknownGuild
from bot.metrics.render import plain_text
from bot.metrics.summary import HealthReport, build_report
from bot.periods import DEFAULT_PERIOD, PERIOD_CHOICES, parse_period

WEEKLY_COLUMNS = (
    "week",
    "first_day",
    "active_members",
    "communicators",
    "member_messages",
    "peer_interactions",
    "staff_interactions",
    "horizontal_share",
    "ritual_participants",
    "newcomers",
    "bot_messages",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guild", type=int, required=True, help="the guild (server) id")
    parser.add_argument(
        "--period", choices=list(PERIOD_CHOICES), default=DEFAULT_PERIOD, help="default: 28d"
    )
    parser.add_argument("--format", choices=("text", "json", "csv"), default="text")
    parser.add_argument(
        "--database-url", help="defaults to DATABASE_URL from the environment or .env"
    )


def _figure(figure: Figure) -> dict[str, Any]:
    return {
        "key": figure.key,
        "definition_key": figure.key,
        "family": SPECS[figure.key].family,
        "kind": str(figure.kind),
        "value": figure.value,
        "previous": figure.previous,
        "comparable": figure.comparable,
        "trend": None if figure.trend is None else str(figure.trend),
        "meaningful": figure.meaningful,
        "base": figure.base,
    }


def as_json(report: HealthReport) -> str:
    lang = report.lang
    data = {
        "guild_id": str(report.guild_id),
        "language": lang,
        "timezone": report.timezone,
        "generated_at": report.generated_at.isoformat(),
        "period": {
            "start": report.period.start.isoformat(),
            "end": report.period.end.isoformat(),
            "days": report.period.days,
        },
        "previous_period": {
            "start": report.previous.start.isoformat(),
            "end": report.previous.end.isoformat(),
        },
        "data_since": report.data_since.isoformat(),
        "weeks_of_data": report.weeks_of_data,
        "days_of_data": report.days_of_data,
        "period_covered": report.covered,
        "figures": [_figure(f) for f in report.figures()],
        "funnel": {
            "key": "welcome.funnel",
            "stages": [
                {
                    "stage": s.stage,
                    "count": s.count if s.measurable else None,
                    "eligible": s.eligible,
                }
                for s in report.funnel
            ],
        },
        "cohorts": {
            "key": "retention.cohorts",
            "rows": [
                {"week": row.week.label, "size": row.size, "shares": list(row.shares)}
                for row in report.cohorts
            ],
        },
        "weekly": {"key": "contribution.weekly_series", "rows": weekly_rows(report)},
        "rituals": {
            "key": "rituals.table",
            "rows": [
                {
                    "name": r.name,
                    "paused": r.paused,
                    "occurrences": r.occurrences,
                    "participants": list(r.participants),
                    "answers": r.answers,
                    "fading": r.fading,
                }
                for r in report.rituals
            ],
        },
        "signals": [
            {
                "key": s.key,
                "params": dict(s.params),
                "p_value": s.p_value,
                "text": s.sentence(lang),
                "evidence": s.evidence(lang),
                "action": s.action(lang),
            }
            for s in report.signals
        ],
        "signals_checked": [
            {"key": c.key, "enough_data": c.enough, "missing": c.missing} for c in report.checked
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def weekly_rows(report: HealthReport) -> list[dict[str, Any]]:
    rows = []
    for week in report.weekly:
        interactions = week.peer_interactions + week.staff_interactions
        rows.append(
            {
                "week": week.label,
                "first_day": week.first_day.isoformat(),
                "active_members": week.active_members,
                "communicators": week.communicators,
                "member_messages": week.member_messages,
                "peer_interactions": week.peer_interactions,
                "staff_interactions": week.staff_interactions,
                "horizontal_share": round(week.peer_interactions / interactions, 4)
                if interactions
                else None,
                "ritual_participants": week.ritual_participants,
                "newcomers": week.newcomers,
                "bot_messages": week.bot_messages,
            }
        )
    return rows


def as_csv(report: HealthReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=WEEKLY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(weekly_rows(report))
    return out.getvalue()


FORMATS = {"text": plain_text, "json": as_json, "csv": as_csv}


async def run(args: argparse.Namespace) -> int:
    url = args.database_url
    if not url:
        from bot.config import load_settings

        url = load_settings().database_url
    db = Database.from_url(url)
    try:
        report = await build_report(db, args.guild, parse_period(args.period), SystemClock().now())
    except UnknownGuild:
        # The id as a string: an int would be grouped like a count ("31,337").
        print(t("health.report.unknown_guild", "en", guild=str(args.guild)), file=sys.stderr)
        return 1
    except DBAPIError as exc:
        print(f"cannot read the database at {url}: {exc.orig}", file=sys.stderr)
        return 2
    finally:
        await db.close()
    sys.stdout.write(FORMATS[args.format](report))
    return 0
