"""The texts a welcome posts, and exactly whom each may ping.

Every post passes explicit `AllowedMentions`: the newcomer (and, when the admin chose one,
the greeter role) and nobody else. `everyone=False` is explicit too, so a display name or a
template containing "@everyone" never pings anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from string import Formatter

import discord

from bot import templates
from bot.db.models.welcome import WelcomeConfig
from bot.i18n import t
from bot.welcome.config import default_template

MESSAGE_LIMIT = 2000


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


def shared_intro(lang: str, server: str, greeter: discord.Role | None) -> str:
    text = t("welcome.shared_intro", lang, server=discord.utils.escape_markdown(server))
    if greeter is not None:
        text += "\n\n" + t("welcome.shared_greeters_line", lang, greeters=greeter.mention)
    return text[:MESSAGE_LIMIT]


def arrivals(lang: str, members: Sequence[discord.Member]) -> str:
    return t("welcome.shared_arrivals", lang, members=" ".join(m.mention for m in members))


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}
