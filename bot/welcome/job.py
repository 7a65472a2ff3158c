"""The welcome's scheduled work: the one reminder to greeters when an introduction waited
too long for a member (the cog's `tasks.loop` calls `nudge_round` every
`NUDGE_CHECK_MINUTES`).

Limits (docs/welcome.md): one message per welcome, ever, pinging only the greeter role,
in the welcome thread; nothing to the newcomer, no DMs; the row is marked before the
message goes out, so a crash never sends two; the shared posting budget is asked first
and the post is recorded in it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.welcome import render
from bot.welcome.service import WelcomeService

log = logging.getLogger(__name__)

NUDGE_CHECK_MINUTES = 10


async def nudge_round(service: WelcomeService, now: datetime) -> None:
    """One pass of the loop: a failure is logged and the next pass tries again."""
    try:
        await run_nudges(service, now)
    except Exception:
        log.exception("welcome nudges failed")


async def run_nudges(service: WelcomeService, now: datetime) -> int:
    """Nudge every due welcome thread of the bot's guilds; return how many were sent."""
    store, budget, discord_io = service.store, service.budget, service.discord_io
    due = await store.due_nudges(now, discord_io.guild_ids())
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
        lang = await service.guild_settings.language(guild_id)
        role_id = roles[guild_id]
        message_id = await discord_io.send_nudge(
            guild_id, thread_id, role_id, render.nudge(lang, role_id)
        )
        if message_id is None:
            continue
        await budget.record(guild_id, thread_id, now, "welcome_nudge", message_id)
        sent += 1
    return sent
