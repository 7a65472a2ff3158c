"""The texts a welcome posts and shows, and exactly whom each post may ping.

Every post passes explicit `AllowedMentions`: the newcomer (and, when the admin chose one,
the greeter role) and nobody else. `everyone=False` is explicit too, so a display name or a
template containing "@everyone" never pings anyone. Texts are translated first, then
filled in (bot/i18n); nothing here calls Discord.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from string import Formatter

import discord

from bot import templates
from bot.db.models.welcome import ThreadKind, WelcomeConfig
from bot.i18n import t

MESSAGE_LIMIT = 2000
THREAD_NAME_LIMIT = 100


def mentions(
    users: Sequence[discord.abc.Snowflake] = (), role: discord.abc.Snowflake | None = None
) -> discord.AllowedMentions:
    """Ping exactly these users and this role; never @everyone, @here or other roles."""
    return discord.AllowedMentions(
        everyone=False,
        users=list(users) if users else False,
        roles=[role] if role is not None else False,
        replied_user=False,
    )


def default_template(lang: str) -> str:
    """The introduction template offered when the admin writes none (it follows the
    guild's language, because nothing is stored until the admin writes their own)."""
    return t("welcome.default_template", lang)


def thread_name(lang: str, member_name: str) -> str:
    """The thread's title in the guild's language, cut to Discord's 100 characters."""
    return t("welcome.thread_name", lang, name=member_name)[:THREAD_NAME_LIMIT]


def shared_thread_name(lang: str) -> str:
    return t("welcome.shared_thread_name", lang)[:THREAD_NAME_LIMIT]


def permission_labels(names: Sequence[str], lang: str) -> str:
    """Permission names as Discord's settings show them, in the guild's language."""
    return ", ".join(t(f"welcome.perm.{name}", lang) for name in names)


def template_values(
    member: discord.Member, guild: discord.Guild, greeter: discord.Role | None
) -> dict[str, str]:
    """What each placeholder of `bot.welcome.config.PLACEHOLDERS` becomes for `member`."""
    rules = guild.rules_channel
    return {
        "member": member.mention,
        "member_name": discord.utils.escape_markdown(member.display_name),
        "server": discord.utils.escape_markdown(guild.name),
        "member_count": str(guild.member_count or len(guild.members)),
        "rules_channel": rules.mention if rules is not None else "",
        "greeters": greeter.mention if greeter is not None else "",
    }


def welcome_text(
    config: WelcomeConfig, lang: str, values: dict[str, str], greeter: discord.Role | None
) -> str:
    """The template filled in; the greeters are called on a last line unless the template
    already places `{greeters}` itself."""
    template = config.template or default_template(lang)
    text = templates.render(template, values)
    if greeter is not None and "greeters" not in _names(template):
        text += "\n\n" + t("welcome.greeters_line", lang, greeters=greeter.mention)
    return text[:MESSAGE_LIMIT]


def preview(
    template: str | None,
    lang: str,
    member: discord.Member,
    guild: discord.Guild,
    greeter: discord.Role | None,
) -> str:
    """`/welcome preview`: the welcome `member` would get with this template, under a header."""
    text = welcome_text(
        WelcomeConfig(template=template), lang, template_values(member, guild, greeter), greeter
    )
    return f"{t('welcome.preview_header', lang)}\n\n{text}"[:MESSAGE_LIMIT]


def shared_intro(lang: str, server: str, greeter: discord.Role | None) -> str:
    text = t("welcome.shared_intro", lang, server=discord.utils.escape_markdown(server))
    if greeter is not None:
        text += "\n\n" + t("welcome.shared_greeters_line", lang, greeters=greeter.mention)
    return text[:MESSAGE_LIMIT]


def arrivals(lang: str, members: Sequence[discord.Member]) -> str:
    return t("welcome.shared_arrivals", lang, members=" ".join(m.mention for m in members))


def nudge(lang: str, greeter_role_id: int) -> str:
    """The one reminder to greeters (the role mention is its only ping)."""
    return t("welcome.nudge", lang, greeters=f"<@&{greeter_role_id}>")


def problem_notice(
    problem: str,
    lang: str,
    *,
    pause: bool,
    channel_id: int | None = None,
    perms: Sequence[str] = (),
    code: int | None = None,
    status: int | None = None,
) -> str:
    """What the admins read about a problem (`kind` or `kind:detail`), and that the welcome
    is paused when it is. A refusal names Discord's code, or the HTTP status when Discord
    gave no code (never "error 0")."""
    if code:
        detail = t("welcome.notice.refused_code", lang, code=code)
    else:
        detail = t("welcome.notice.refused_status", lang, status=status or "?")
    text = t(
        f"welcome.notice.{problem.split(':', 1)[0]}",
        lang,
        channel=f"<#{channel_id}>" if channel_id is not None else "",
        perms=permission_labels(perms, lang),
        detail=detail,
    )
    if pause:
        text += "\n" + t("welcome.notice.paused", lang)
    return text


def burst_notice(cfg: WelcomeConfig, lang: str) -> str:
    """A burst switched welcomes to a shared thread."""
    return t(
        "welcome.notice.burst",
        lang,
        threshold=cfg.burst_threshold,
        channel=f"<#{cfg.channel_id}>",
    )


def describe(row: WelcomeConfig | None, lang: str) -> str:
    """The welcome settings as an admin reads them."""
    if row is None:
        return t("welcome.not_configured", lang)
    if not row.enabled:
        status = t("welcome.status.off", lang)
    elif row.paused:
        status = t("welcome.status.paused", lang, problem=row.problem or "?")
    else:
        status = t("welcome.status.on", lang)
    kind = "private" if row.thread_kind_used == ThreadKind.PRIVATE else "public"
    return t(
        "welcome.summary",
        lang,
        status=status,
        channel=f"<#{row.channel_id}>",
        kind=t(f"welcome.kind_name.{kind}", lang),
        greeters=f"<@&{row.greeter_role_id}>" if row.greeter_role_id else t("welcome.none", lang),
        template=t("welcome.template_custom", lang)
        if row.template
        else t("welcome.template_default", lang),
        archive=timedelta(minutes=row.auto_archive_minutes),
        nudge=timedelta(minutes=row.nudge_delay_minutes),
        burst=row.burst_threshold,
    )


def setup_warnings(
    guild: discord.Guild,
    channel: discord.TextChannel,
    greeter: discord.Role | None,
    kind: ThreadKind,
    lang: str,
) -> list[str]:
    """What will not work as the admin may expect, said at setup time (read from the
    channel's permissions as the bot sees them; no call to Discord)."""
    found = []
    if kind == ThreadKind.PRIVATE and greeter is None:
        found.append(t("welcome.warn_private_without_greeters", lang))
    everyone = channel.permissions_for(guild.default_role)
    if not (everyone.view_channel and everyone.send_messages_in_threads):
        found.append(t("welcome.warn_newcomers_cannot_see", lang, channel=channel.mention))
    can_ping_any_role = channel.permissions_for(guild.me).mention_everyone
    if greeter is not None and not greeter.mentionable and not can_ping_any_role:
        found.append(t("welcome.warn_greeter_not_mentionable", lang, role=greeter.mention))
    return found


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}
