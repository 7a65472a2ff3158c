"""The buddies' texts, in the guild's language, and who each post may ping."""

from __future__ import annotations

from collections.abc import Collection

import discord

from bot.buddies.service import MyBuddy, Status
from bot.db.models import BuddyConfig
from bot.i18n import t


def mention(user_id: int) -> str:
    return f"<@{user_id}>"


def pings(*user_ids: int) -> discord.AllowedMentions:
    """Exactly these members, nobody else: no @everyone, no role."""
    return discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(u) for u in user_ids]
    )


def offer_text(newcomer_id: int, lang: str, *, again: bool = False) -> str:
    return t("buddies.reoffer" if again else "buddies.offer", lang, newcomer=mention(newcomer_id))


def announce_text(buddy_id: int, newcomer_id: int, lang: str) -> str:
    return t("buddies.announce", lang, buddy=mention(buddy_id), newcomer=mention(newcomer_id))


def remind_text(buddy_id: int, newcomer_id: int, lang: str) -> str:
    return t("buddies.remind", lang, buddy=mention(buddy_id), newcomer=mention(newcomer_id))


def _roles(role_ids: Collection[int], lang: str) -> str:
    return ", ".join(f"<@&{r}>" for r in sorted(role_ids)) or t("buddies.none", lang)


def setup_summary(cfg: BuddyConfig, topics: Collection[int], lang: str) -> str:
    return t(
        "buddies.setup.saved",
        lang,
        state=t("buddies.on" if cfg.enabled else "buddies.off", lang),
        channel=f"<#{cfg.channel_id}>" if cfg.channel_id else t("buddies.none", lang),
        topics=_roles(topics, lang),
        staff=t("buddies.yes" if cfg.allow_staff else "buddies.no", lang),
    )


def status_text(status: Status, lang: str) -> str:
    return t(
        "buddies.status",
        lang,
        state=t("buddies.on" if status.enabled else "buddies.off", lang),
        volunteers=status.volunteers,
        paused=status.paused,
        capacity=status.capacity,
        load=status.load,
        waiting=status.waiting,
        pairs=status.pairs_this_period,
    )


def me_text(mine: MyBuddy, lang: str) -> str:
    """The member's own records only: their capacity and load, their own buddy."""
    lines = []
    v = mine.volunteer
    if v is None:
        lines.append(t("buddies.me.not_volunteer", lang))
    else:
        key = "buddies.me.volunteer_paused" if v.paused else "buddies.me.volunteer"
        lines.append(t(key, lang, capacity=v.capacity, load=mine.load))
        lines.append(t("buddies.me.topics", lang, topics=_roles(mine.topics, lang)))
    if mine.my_buddy_id is not None:
        lines.append(t("buddies.me.my_buddy", lang, buddy=mention(mine.my_buddy_id)))
    return "\n".join(lines)
