"""Rituals in `foyer demo`: the admin enables Lundi Motivation before the replay, the real
scheduler posts it every simulated Monday, members answer in its thread (fewer every
week, as the script's built-in ritual does), and the admin looks at `/ritual list` and
`/ritual stats` afterwards.

`discord_sandbox/demo.py` lists these steps in `BEFORE_REPLAY`, `DURING_REPLAY` and
`AFTER_REPLAY`. The Monday hook replaces the script's staff-written weekly post.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.db.models import RunStatus, ScheduledRun
from bot.i18n import t

if TYPE_CHECKING:
    from demo.community import Hook, Persona, Run, SimDay
    from demo.context import DemoContext
    from discord_sandbox.state import Channel

PRESET = "monday_motivation"
ANSWERS = {
    "fr": ["Finir ma landing page 💪", "Trois posts LinkedIn cette semaine", "Appeler 5 clients"],
    "en": ["Ship my landing page 💪", "Three LinkedIn posts this week", "Call 5 customers"],
}


def _name(ctx: DemoContext) -> str:
    return t(f"rituals.preset.{PRESET}.name", ctx.language)


async def ritual_setup_step(ctx: DemoContext) -> None:
    """The admin turns on the Monday preset in #general."""
    if "ritual" in ctx.command_names():
        await ctx.admin("ritual", "add", preset=PRESET, channel=ctx.town.general)


def ritual_hook(ctx: DemoContext) -> Hook:
    """A `"ritual"` hook: on Monday morning the scheduler runs what is due (the clock is
    the bot's), then members answer in the occurrence's thread."""

    async def hook(day: SimDay) -> None:
        script = ctx.script
        results = await ctx.bot.scheduler.run_due()
        posted = [
            r for r in results if r.key.startswith("ritual:") and r.status == RunStatus.POSTED
        ]
        for result in posted:
            thread_id = await _thread_of(ctx, result.key, result.scheduled_for)
            thread = ctx.sb.world.channels.get(thread_id or 0)
            if thread is None:
                continue
            rate = 0.6 * (0.75 ** (day.week - 1))  # the community's habit fades
            for persona in script.active("regular", "helper", "staff"):
                if script.rng.random() < rate:
                    later = script.clock.now() + timedelta(minutes=script.rng.randint(10, 600))
                    script.schedule(
                        later, "ritual_answer", persona.name, _answer(ctx, thread, persona, later)
                    )

    return hook


def _answer(ctx: DemoContext, thread: Channel, persona: Persona, when: datetime) -> Run:
    async def run() -> None:
        if persona.member is not None and persona.present:
            text = ctx.script.rng.choice(ANSWERS.get(ctx.language, ANSWERS["en"]))
            await ctx.sb.post(thread, persona.member, text, at=when)

    return run


async def _thread_of(ctx: DemoContext, key: str, when: datetime) -> int | None:
    async with ctx.bot.db.session() as session:
        return await session.scalar(
            select(ScheduledRun.thread_id).where(
                ScheduledRun.job_key == key, ScheduledRun.scheduled_for == when
            )
        )


async def ritual_report_step(ctx: DemoContext) -> None:
    """What the admin sees after the weeks of replay."""
    if "ritual" not in ctx.command_names():
        return
    await ctx.admin("ritual", "list")
    await ctx.bot.recorder.flush()
    await ctx.admin("ritual", "stats", ritual=_name(ctx))


def ritual_during_replay(ctx: DemoContext) -> None:
    """For `DURING_REPLAY`: the Monday hook replaces the script's staff-written post."""
    ctx.script.on("ritual", ritual_hook(ctx))
