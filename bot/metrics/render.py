"""Figures as text, in the guild's language: shared by the /health embeds, the weekly
digest and `foyer report --format text`."""

from __future__ import annotations

from datetime import timedelta

from bot.i18n import formatting, t
from bot.metrics.figures import Figure, Kind, Trend
from bot.metrics.peers import BUDDY_KEYS, INTROS_KEYS
from bot.metrics.summary import HealthReport

ARROWS = {Trend.UP: "↗", Trend.DOWN: "↘", Trend.FLAT: "→"}


def format_value(value: float | None, kind: Kind, lang: str) -> str:
    """A figure as the language writes it (CLDR): "42 %" / "42%", "+5 %", "2,5", "1 234"."""
    if value is None:
        return t("health.no_value", lang)
    if kind is Kind.RATE:
        return formatting.percent(value, lang)
    if kind is Kind.CHANGE:
        return formatting.percent(value, lang, signed=True)
    if kind is Kind.RATIO:
        return formatting.number(value, lang, decimals=1)
    if kind is Kind.HOURS:
        return t("health.unit.hours", lang, value=formatting.number(value, lang, decimals=1))
    if kind is Kind.SCORE:
        return formatting.number(round(value), lang, signed=True)
    return formatting.number(round(value), lang)


def name(key: str, lang: str) -> str:
    return t(f"health.figure.{key}.name", lang)


def figure_line(figure: Figure, lang: str) -> str:
    """`Active members: 42 ↗ (before: 35)`, or why there is no value."""
    label = name(figure.key, lang) + (" :" if lang == "fr" else ":")
    if figure.value is None:
        text = f"{label} {t('health.not_meaningful', lang)}"
        return text + (f" · {_base(figure.base, lang)}" if figure.base else "")
    text = f"{label} **{format_value(figure.value, figure.kind, lang)}**"
    if figure.trend is not None:
        text += f" {ARROWS[figure.trend]}"
    if figure.previous is not None:
        previous = format_value(figure.previous, figure.kind, lang)
        text += f" ({t('health.previous', lang, value=previous)})"
    elif not figure.comparable:
        text += f" ({t('health.no_history', lang)})"
    if figure.value is not None and not figure.meaningful:
        text += " *"
    if figure.kind in (Kind.RATE, Kind.SCORE, Kind.HOURS, Kind.CHANGE) and figure.base is not None:
        text += f" · {_base(figure.base, lang)}"
    return text


def _base(base: int, lang: str) -> str:
    return t("health.base", lang, base=format_value(base, Kind.COUNT, lang))


def coverage_line(report: HealthReport) -> str:
    """How much of the period Foyer saw: since its arrival N days ago while it was not
    there for the whole period, else how many weeks of activity the figures rest on."""
    lang = report.lang
    since = formatting.in_zone(report.data_since, report.timezone)
    if not report.covered:
        if report.days_of_data == 0:
            return t("health.arrived_today", lang, since=since)
        return t("health.arrived", lang, days=report.days_of_data, since=since)
    return t("health.based_on", lang, weeks=report.weeks_of_data, since=since)


def header(report: HealthReport) -> list[str]:
    lang = report.lang
    return [
        t("health.title", lang, days=report.period.days),
        t(
            "health.period_line",
            lang,
            start=report.period.first_day,
            end=report.period.end_day - timedelta(days=1),
            days=report.period.days,
        ),
        coverage_line(report),
    ]


def family_lines(report: HealthReport, family: str) -> list[str]:
    figures = report.families[family]
    unused = {
        key for keys in (BUDDY_KEYS, INTROS_KEYS) if not _in_use(figures, keys[0]) for key in keys
    }
    lines = [figure_line(f, report.lang) for f in figures if f.key not in unused]
    if "contribution.buddied_activation" not in unused and family == "contribution":
        lines.append(t("health.buddies.comparison", report.lang))  # beside the figures, always
    return lines


def _in_use(figures: list[Figure], key: str) -> bool:
    """Buddies or introductions have been used this period or the one before."""
    return any(f.key == key and (f.value or f.previous) for f in figures)


def signal_lines(report: HealthReport, *, bold: bool = True) -> list[str]:
    """Each signal: its sentence, the evidence in numbers, one thing to try. With none,
    what was checked, and what lacked the data to be."""
    lang = report.lang
    mark = "**" if bold else ""
    if not report.signals:
        lines = [t("health.signals.none", lang)]
        looked = [c.key for c in report.checked if c.enough]
        short = [c.key for c in report.checked if not c.enough and not c.missing]
        blocked = [c for c in report.checked if c.missing]
        if looked:
            lines.append(t("health.signals.checked", lang, rules=_rule_names(looked, lang)))
        if short:
            lines.append(t("health.signals.too_little", lang, rules=_rule_names(short, lang)))
        if blocked:
            rules = ", ".join(
                t(
                    "health.signals.lacking",
                    lang,
                    rule=_rule_names([c.key], lang),
                    what=t(c.missing, lang),
                )
                for c in blocked
                if c.missing
            )
            lines.append(t("health.signals.not_checked", lang, rules=rules))
        return lines
    lines = []
    for signal in report.signals:
        lines.append(f"⚠ {mark}{signal.sentence(lang)}{mark}")
        lines.append(f"   {signal.evidence(lang)}")
        lines.append(f"   → {t('health.signals.action', lang, action=signal.action(lang))}")
    return lines


def _rule_names(keys: list[str], lang: str) -> str:
    return ", ".join(t(f"health.signal.{key}.name", lang) for key in keys)


def funnel_lines(report: HealthReport) -> list[str]:
    lang = report.lang
    colon = " :" if lang == "fr" else ":"
    lines = []
    for stage in report.funnel:
        label = f"{t(f'health.funnel.{stage.stage}', lang)}{colon}"
        if not stage.measurable:  # nobody could have reached it yet: not a zero
            empty = t("health.no_value", lang)
            lines.append(f"{label} {empty} ({t(f'health.funnel.empty.{stage.stage}', lang)})")
            continue
        line = f"{label} **{stage.count}**"
        if stage.eligible:
            rate = format_value(stage.count / stage.eligible, Kind.RATE, lang)
            line += f" / {stage.eligible} ({rate})"
        lines.append(line)
    return lines


def ritual_lines(report: HealthReport) -> list[str]:
    lang = report.lang
    if not report.rituals:
        return [t("health.rituals.none", lang)]
    lines = []
    for row in report.rituals:
        line = t(
            "health.rituals.row",
            lang,
            name=row.name,
            occurrences=row.occurrences,
            participants=" → ".join(map(str, row.participants)) or "0",
        )
        if row.paused:
            line += " " + t("health.rituals.paused", lang)
        if row.fading:
            line += " " + t("health.rituals.fading", lang)
        lines.append(line)
    return lines


def cohort_lines(report: HealthReport) -> list[str]:
    """The cohort table for the terminal: the arrival week ("S41" / "W41"), its size, then
    each following week's share, in columns."""
    lang = report.lang
    lines = []
    for row in report.cohorts:
        cells = " ".join(
            "    ." if s is None else formatting.percent(s, lang).rjust(5) for s in row.shares
        )
        week = formatting.week_label(row.week.label, lang)
        lines.append(f"{week:>3} ({row.size:>3}) {cells}")
    return lines


def plain_text(report: HealthReport) -> str:
    """The whole report as plain text (no Markdown bold), for the terminal: the signals
    first, then the figures."""
    lang = report.lang
    out = [*header(report), ""]
    out.append(f"## {t('health.signals.title', lang)}")
    out += signal_lines(report, bold=False)
    out.append("")
    for family in ("participation", "retention", "contribution", "advocacy"):
        out.append(f"## {t(f'health.family.{family}', lang)}")
        out += [line.replace("**", "") for line in family_lines(report, family)]
        out.append("")
    out.append(f"## {t('health.funnel.title', lang)}")
    out += [line.replace("**", "") for line in funnel_lines(report)]
    out.append("")
    out.append(f"## {t('health.cohorts.title', lang)}")
    out += cohort_lines(report)
    out.append("")
    out.append(f"## {t('health.rituals.title', lang)}")
    out += ritual_lines(report)
    out.append("")
    out.append(t("health.legend", lang))
    return "\n".join(out) + "\n"
