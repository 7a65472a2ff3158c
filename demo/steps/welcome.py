"""Welcome threads in `foyer demo`: the admin sets them up before the replay; each
newcomer who introduces themself does so in the thread the bot opened for them, and a
member answers most of them; afterwards the admin looks at `/welcome show`.

The funnel these threads feed is part of the `/health` report printed at the end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.db.models.welcome import Welcome

if TYPE_CHECKING:
    from demo.community import Persona, Run, SimDay
    from demo.context import DemoContext
    from discord_sandbox.state import Channel

INTRODUCTIONS = {
    "fr": ["Salut ! Je m'appelle {name}, je lance ma boutique et je viens apprendre des autres."],
    "en": ["Hi! I'm {name}, launching my shop and here to learn from others."],
}
ANSWERS = {
    "fr": ["Bienvenue {name} ! Passe dans #help si tu bloques 🙂"],
    "en": ["Welcome {name}! Drop by #help whenever you're stuck 🙂"],
}


async def welcome_setup_step(ctx: DemoContext) -> None:
    """The admin opens welcome threads in #general."""
    if "welcome" in ctx.command_names():
        # public threads: the demo has no greeter role, and members should see newcomers
        await ctx.admin("welcome", "setup", channel=ctx.town.general, thread_type="public")


def welcome_during_replay(ctx: DemoContext) -> None:
    """For `DURING_REPLAY`: newcomers who introduce themselves do it in their thread."""

    async def hook(day: SimDay) -> None:
        persona = day.persona
        if persona is None or persona.profile != "newcomer_intro":
            return
        at = persona.joined + timedelta(minutes=ctx.script.rng.randint(2, 40))
        ctx.script.schedule(at, "welcome_intro", persona.name, _introduce(ctx, persona, at))

    ctx.script.on("newcomer", hook)


def _introduce(ctx: DemoContext, persona: Persona, at: datetime) -> Run:
    async def run() -> None:
        if persona.member is None or not persona.present:
            return
        thread = await _thread_of(ctx, persona.member.user.id)
        if thread is None:
            return
        lang = ctx.language if ctx.language in INTRODUCTIONS else "en"
        intro = INTRODUCTIONS[lang][0].format(name=persona.name)
        await ctx.sb.post(thread, persona.member, intro, at=at)
        greeters = ctx.script.active("helper", "regular")
        if persona.answered and greeters:
            greeter = ctx.script.rng.choice(greeters)
            later = at + timedelta(minutes=ctx.script.rng.randint(5, 300))

            async def answer() -> None:
                if greeter.present and greeter.member is not None:
                    text = ANSWERS[lang][0].format(name=persona.name)
                    await ctx.sb.post(thread, greeter.member, text, at=later)

            ctx.script.schedule(later, "welcome_answer", greeter.name, answer)

    return run


async def _thread_of(ctx: DemoContext, user_id: int) -> Channel | None:
    """The newcomer's welcome thread, once the bot has opened it."""
    await ctx.sb.wait_for_bot_idle()
    cog = ctx.bot.get_cog("WelcomeCog")
    if cog is not None:
        await cog.service.wait_idle()
    async with ctx.bot.db.session() as session:
        thread_id = await session.scalar(
            select(Welcome.thread_id).where(
                Welcome.guild_id == ctx.town.guild.id, Welcome.user_id == user_id
            )
        )
    return ctx.sb.world.channels.get(thread_id or 0)


async def welcome_report_step(ctx: DemoContext) -> None:
    if "welcome" in ctx.command_names():
        await ctx.admin("welcome", "show")
