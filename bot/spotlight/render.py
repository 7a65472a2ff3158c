"""The spotlight messages, in the guild's language: the public post, the suggestion list
admins pick from, and the admins' answers. Pure builders of texts and embeds;
`discord_io`, the job and the cog send them."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.db.models import Spotlight, SpotlightConfig
from bot.i18n import t
from bot.spotlight.ranking import ContributionStats, reasons
from bot.spotlight.service import PreparedSpotlight, Suggestion

EMBED_COLOUR = discord.Colour.gold()
FIELD_LIMIT = 1024


def spotlight_mentions(member: discord.abc.Snowflake) -> discord.AllowedMentions:
    """The post pings the spotlighted member and nobody else, whatever the note says."""
    return discord.AllowedMentions(users=[member], roles=False, everyone=False, replied_user=False)


def post_content(member_mention: str, lang: str) -> str:
    return t("spotlight.post.intro", lang, member=member_mention)


def post_embed(member: discord.Member, prepared: PreparedSpotlight, lang: str) -> discord.Embed:
    """The post's content (`post_content`) carries the mention; the embed the reasons."""
    embed = discord.Embed(title=t("spotlight.post.title", lang), colour=EMBED_COLOUR)
    embed.set_author(name=member.display_name, icon_url=member.display_avatar.url)
    lines = reasons(prepared.stats, lang)
    if lines:
        embed.add_field(
            name=t("spotlight.post.reasons", lang, days=prepared.days),
            value=_bullets(lines),
            inline=False,
        )
    if prepared.note:
        embed.add_field(
            name=t("spotlight.post.note", lang), value=prepared.note[:FIELD_LIMIT], inline=False
        )
    return embed


def candidate_lines(stats: ContributionStats, lang: str) -> str:
    return _bullets(reasons(stats, lang))


def suggestion_embed(
    suggestion: Suggestion,
    names: Sequence[tuple[int, str]],
    lang: str,
    *,
    weekly: bool = False,
    channel_missing: bool = False,
) -> discord.Embed:
    """`names`: (user id, display name) of the candidates still on the server, in rank
    order; only they are shown."""
    by_id = {c.stats.user_id: c for c in suggestion.candidates}
    title_key = "spotlight.suggest.weekly_title" if weekly else "spotlight.suggest.title"
    embed = discord.Embed(title=t(title_key, lang, days=suggestion.days), colour=EMBED_COLOUR)
    if not names:
        embed.description = t("spotlight.suggest.none", lang, days=suggestion.days)
    else:
        embed.description = t("spotlight.suggest.intro", lang)
        for rank, (user_id, name) in enumerate(names, start=1):
            embed.add_field(
                name=f"{rank}. {name}"[:256],
                value=f"<@{user_id}>\n" + candidate_lines(by_id[user_id].stats, lang),
                inline=False,
            )
    if channel_missing:
        embed.add_field(name="⚠️", value=t("spotlight.suggest.no_channel_hint", lang))
    embed.set_footer(text=t("spotlight.suggest.excluded", lang, weeks=suggestion.cooldown_weeks))
    return embed


def history_embed(rows: Sequence[Spotlight], lang: str) -> discord.Embed:
    embed = discord.Embed(title=t("spotlight.history.title", lang), colour=EMBED_COLOUR)
    if not rows:
        embed.description = t("spotlight.history.none", lang)
        return embed
    embed.description = "\n".join(
        t(
            "spotlight.history.line",
            lang,
            date=f"<t:{int(row.posted_at.timestamp())}:D>",
            member=f"<@{row.member_id}>",
            source=t(f"spotlight.source.{row.source}", lang),
        )
        for row in rows
    )
    return embed


def setup_summary(config: SpotlightConfig, lang: str, *, admin_channel_missing: bool) -> str:
    """What `/spotlight setup` now says; warns when a weekly suggestion has nowhere to go."""
    text = t(
        "spotlight.setup.summary",
        lang,
        channel=f"<#{config.channel_id}>" if config.channel_id else t("spotlight.none", lang),
        weeks=config.cooldown_weeks,
        day=weekday_name(config.suggestion_weekday, lang),
    )
    if config.suggestion_weekday is not None and admin_channel_missing:
        text += "\n" + t("spotlight.setup.no_admin_channel", lang)
    return text


def posted_text(message: discord.Message, lang: str) -> str:
    """The admin's answer once the post is out: where, with a link to it."""
    return t("spotlight.posted", lang, channel=f"<#{message.channel.id}>", link=message.jump_url)


def weekday_name(weekday: int | None, lang: str) -> str:
    return t("spotlight.day.off" if weekday is None else f"spotlight.day.{weekday}", lang)


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)[:FIELD_LIMIT]
