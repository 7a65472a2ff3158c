"""The demo steps that are not one feature's: the guild's setup, /health, the survey."""

from __future__ import annotations

from typing import Any

from demo.community import SimDay
from demo.context import DemoContext


async def setup_step(ctx: DemoContext) -> None:
    """Configure the guild as an admin would: language, time zone, admin channel."""
    if "setup" not in ctx.command_names():
        ctx.say("(no /setup command yet)")
        return
    wanted: dict[str, Any] = {
        "language": ctx.language,
        "timezone": "Europe/Paris",
        "admin_channel": ctx.town.admin_channel,
    }
    names = ctx.option_names("setup", "set")
    await ctx.admin("setup", "set", **{k: v for k, v in wanted.items() if k in names})
    if ctx.register and "voice" in ctx.subcommands("setup"):
        await ctx.admin("setup", "voice", register=ctx.register)


async def health_step(ctx: DemoContext) -> None:
    """Show the health report if the feature exists, else say so."""
    if "health" not in ctx.command_names():
        ctx.say("\n/health does not exist yet: showing what the bot recorded instead.")
        return
    subs: list[str | None] = list(ctx.subcommands("health")) or [None]
    for sub in subs:
        await ctx.admin("health", sub)


async def survey_results_step(ctx: DemoContext) -> None:
    """Show the survey results if a survey ran during the replay."""
    if "survey" in ctx.command_names() and "results" in ctx.subcommands("survey"):
        await ctx.admin("survey", "results")


def survey_during_replay(ctx: DemoContext) -> None:
    """Two weeks before the end, the admin starts the NPS survey."""
    start_day = max(0, 7 * ctx.script.weeks - 14)

    async def hook(day: SimDay) -> None:
        if day.index == start_day and "nps" in ctx.subcommands("survey"):
            names = ctx.option_names("survey", "nps")
            options = {"channel": ctx.town.general} if "channel" in names else {}
            await ctx.admin("survey", "nps", **options)

    ctx.script.on("day", hook)
