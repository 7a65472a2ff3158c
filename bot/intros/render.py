"""The introductions' texts, in the guild's language, and who each post may ping."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.db.models import IntrosConfig
from bot.i18n import t


def pings(user_ids: Sequence[int]) -> discord.AllowedMentions:
    """Exactly the pair's members: no @everyone, no role."""
    return discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(u) for u in user_ids]
    )


def thread_name(lang: str, position: int) -> str:
    return t("intros.thread_name", lang, number=position + 1)


def prompt_text(user_ids: Sequence[int], prompt: str | None, lang: str) -> str:
    """The pair's mentions, then the admin's prompt as written (never formatted), or the
    default one."""
    people = " ".join(f"<@{u}>" for u in user_ids)
    return f"{people}\n{prompt or t('intros.default_prompt', lang)}"


def setup_summary(cfg: IntrosConfig, members: int, lang: str) -> str:
    return t(
        "intros.setup.saved",
        lang,
        state=t("intros.on" if cfg.enabled else "intros.off", lang),
        channel=f"<#{cfg.channel_id}>",
        cadence=t(f"intros.cadence.{cfg.cadence_weeks}", lang),
        members=members,
    )
