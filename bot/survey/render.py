"""The survey messages in the guild's language: the question with its 0-10 buttons, and
the results admins read. Pure builders; `discord_io` and the cog send them."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.db.models import Survey
from bot.i18n import t
from bot.survey.nps import NpsResult, TrendPoint
from bot.survey.service import SurveyResults

COLOUR = discord.Colour.blurple()
FEW_ANSWERS = 30
TREND_SHOWN = 6
WHY_SHOWN = 10
FIELD_LIMIT = 1024


def score_custom_id(survey_id: int, score: int) -> str:
    return f"foyer:nps:{survey_id}:{score}"


def why_custom_id(survey_id: int) -> str:
    return f"foyer:nps-why:{survey_id}"


def stamp(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp: every reader sees it in their own time zone and language."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def question_embed(survey: Survey, lang: str, *, closed: bool = False) -> discord.Embed:
    body = (
        t("survey.question.closed", lang)
        if closed
        else t("survey.question.body", lang, closes=stamp(survey.closes_at))
    )
    return discord.Embed(title=t("survey.question.title", lang), description=body, colour=COLOUR)


def score_buttons(survey_id: int) -> list[tuple[int, str, int]]:
    """(score, custom id, row). Discord fits at most five buttons in a row, so eleven take
    three rows: 0-3, 4-7, 8-10. All the same neutral style, so no number looks like the
    expected one."""
    return [(s, score_custom_id(survey_id, s), s // 4) for s in range(11)]


def format_nps(value: float) -> str:
    return f"{value:+.0f}" if round(value) != 0 else "0"


def results_embed(results: SurveyResults, lang: str) -> discord.Embed:
    survey, r = results.survey, results.result
    status = (
        t("survey.results.status_open", lang, opened=stamp(survey.opened_at, "D"),
          closes=stamp(survey.closes_at))
        if results.open
        else t("survey.results.status_closed", lang, opened=stamp(survey.opened_at, "D"),
               closed=stamp(survey.closed_at or survey.closes_at, "D"))
    )  # fmt: skip
    lines = [status, ""]
    lines += _score_lines(r, lang)
    if survey.follow_up:
        lines.append(t("survey.results.why", lang, count=results.why_given))
    embed = discord.Embed(
        title=t("survey.results.title", lang), description="\n".join(lines), colour=COLOUR
    )
    if len(results.trend) > 1:
        embed.add_field(
            name=t("survey.results.trend", lang),
            value="\n".join(_trend_line(p, lang) for p in results.trend[-TREND_SHOWN:]),
            inline=False,
        )
    if results.why_texts:
        texts = "\n".join(f"• {text[:200]}" for text in results.why_texts[-WHY_SHOWN:])
        embed.add_field(
            name=t("survey.results.why_texts", lang), value=texts[:FIELD_LIMIT], inline=False
        )
    return embed


def _score_lines(r: NpsResult, lang: str) -> list[str]:
    if r.nps is None or r.margin_of_error is None:
        return [t("survey.results.no_answers", lang)]
    lines = [
        t("survey.results.nps", lang, nps=format_nps(r.nps), margin=f"{r.margin_of_error:.0f}"),
        t(
            "survey.results.counts",
            lang,
            answers=r.answers,
            promoters=r.promoters,
            passives=r.passives,
            detractors=r.detractors,
        ),
    ]
    if r.answers < FEW_ANSWERS:
        lines.append(t("survey.results.few", lang, min=FEW_ANSWERS))
    return lines


def _trend_line(point: TrendPoint, lang: str) -> str:
    date = stamp(point.opened_at, "D")
    if point.result.nps is None:
        return t("survey.results.trend_empty", lang, date=date)
    change = (
        ""
        if point.change is None
        else t("survey.results.trend_change", lang, change=f"{point.change:+.0f}")
    )
    return t(
        "survey.results.trend_line",
        lang,
        date=date,
        nps=format_nps(point.result.nps),
        answers=point.result.answers,
        change=change,
    )
