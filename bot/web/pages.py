"""What the guild page shows, built from the same `HealthReport` as `/health` and
`foyer report`, with the same texts (`bot.metrics.render`), as HTML."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from markupsafe import Markup, escape

from bot.i18n import formatting, t
from bot.metrics import render
from bot.metrics.figures import FAMILIES
from bot.metrics.report import weekly_rows
from bot.metrics.summary import HealthReport
from bot.web.charts import line_chart

SERIES = ("active_members", "member_messages", "peer_interactions", "newcomers")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def html_line(text: str) -> Markup:
    """A line of /health's text: escaped, its **bold** as <strong>."""
    return Markup(_BOLD.sub(r"<strong>\1</strong>", str(escape(text))))


def guild_page(report: HealthReport, lang: str) -> dict[str, Any]:
    """The template's context for a guild's health in `lang`."""
    report = replace(report, lang=lang)  # type: ignore[arg-type]
    families = [
        {
            "title": t(f"health.family.{family}", lang),
            "figures": [
                {
                    "key": f.key,
                    "line": html_line(render.figure_line(f, lang)),
                    "definition": t(f"health.figure.{f.key}.definition", lang),
                }
                for f in report.families[family]
            ],
        }
        for family in FAMILIES
    ]
    rows = weekly_rows(report)
    labels = [formatting.week_label(r["week"], lang) for r in rows]
    charts = [
        {
            "title": t(f"web.series.{key}", lang),
            "svg": line_chart([r[key] for r in rows], labels, t(f"web.series.{key}", lang)),
        }
        for key in SERIES
    ]
    cohorts = [
        {
            "week": formatting.week_label(row.week.label, lang),
            "size": row.size,
            "shares": ["·" if s is None else formatting.percent(s, lang) for s in row.shares],
        }
        for row in report.cohorts
    ]
    return {
        "header": [html_line(line) for line in render.header(report)],
        "signals": [html_line(line) for line in render.signal_lines(report)],
        "families": families,
        "charts": charts,
        "weekly": {"labels": labels, "rows": rows, "series": SERIES},
        "cohorts": cohorts,
        "funnel": [html_line(line) for line in render.funnel_lines(report)],
        "rituals": [html_line(line) for line in render.ritual_lines(report)],
    }
