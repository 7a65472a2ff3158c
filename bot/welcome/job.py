"""The one reminder to greeters when an introduction waited too long for a member.

Limits (docs/welcome.md): one message per welcome, ever, pinging only the greeter role,
in the welcome thread; nothing to the newcomer, no DMs; the row is marked before the
message goes out, so a crash never sends two; the shared posting budget is asked first
and the post is recorded in it.
"""

from __future__ import annotations

import logging
from datetime import datetime

import discord

from bot.guilds import GuildSettingsService
from bot.i18n import t
from bot.solicitation import SolicitationBudget
from bot.welcome import render
from bot.welcome.store import WelcomeStore

log = logging.getLogger(__name__)


async def run_nudges(
    client: discord.Client,
    store: WelcomeStore,
    guild_settings: GuildSettingsService,
    budget: SolicitationBudget,
    now: datetime,
) -> int:
    """Nudge every due welcome thread of the client's guilds; return how many were sent."""
    due = await store.due_nudges(now, [g.id for g in client.guilds])
    threads: dict[tuple[int, int], list[int]] = {}
    roles: dict[int, int] = {}
    for welcome, cfg in due:
        assert welcome.thread_id is not None and cfg.greeter_role_id is not None
        threads.setdefault((welcome.guild_id, welcome.thread_id), []).append(welcome.id)
        roles[welcome.guild_id] = cfg.greeter_role_id
    sent = 0
    for (guild_id, thread_id), ids in threads.items():
        # the shared posting budget (bot/solicitation.py), counted per welcome thread
        if not await budget.allows(guild_id, thread_id, now):
            continue
        if not await store.claim_nudges(guild_id, ids, now):
            continue
        lang = await guild_settings.language(guild_id)
        role = discord.Object(roles[guild_id])
        target = client.get_partial_messageable(thread_id, guild_id=guild_id)
        try:
            message = await target.send(
                t("welcome.nudge", lang, greeters=f"<@&{role.id}>"),
                allowed_mentions=render.mentions(role=role),
            )
        except discord.HTTPException as exc:
            log.warning("welcome nudge refused (%s)", exc.status, extra={"guild_id": guild_id})
            continue
        await budget.record(guild_id, thread_id, now, "welcome_nudge", message.id)
        sent += 1
    return sent
