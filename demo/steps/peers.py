"""Peer mentoring in `foyer demo`, after the replay: two helpers volunteer as buddies, a
newcomer arrives, accepts the buddy offered in their welcome thread and gets one; then
seven members opt in to introductions and the next Monday's round pairs them, each pair
in its own private thread, through the scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from demo.steps.welcome import _thread_of

if TYPE_CHECKING:
    from demo.context import DemoContext

NEWCOMER = {"fr": "Noémie", "en": "Nora"}


async def buddies_step(ctx: DemoContext) -> None:
    if "buddy" not in ctx.command_names():
        return
    sb, town = ctx.sb, ctx.town
    await ctx.admin("buddy", "setup", enabled=True, channel=town.help)
    helpers = [p.member for p in ctx.script.active("helper", "regular") if p.member][:2]
    for helper in helpers:
        await sb.invoke(town.guild, helper, "buddy", subcommand="join", options={"capacity": 2})
    ctx.say(f"\n({len(helpers)} members volunteer as buddies, two newcomers at once each)")
    newcomer = await sb.join(town.guild, NEWCOMER.get(ctx.language, "Nora"))
    thread = await _thread_of(ctx, newcomer.user.id)
    if thread is None:
        return
    custom_id = f"foyer:buddy:accept:{newcomer.user.id}"
    offers = [m for m in sb.messages_in(thread) if custom_id in str(m.components)]
    if not offers:
        return
    ctx.say("    In the welcome thread: " + (offers[-1].content or ""))
    answer = await sb.click(offers[-1], newcomer, custom_id, timeout=30)
    await sb.wait_for_bot_idle()
    ctx.say("\n(the newcomer presses the button; what they see, privately)")
    for message in answer.messages:
        if message.content:
            ctx.say("    " + message.content)
    told = [m for m in sb.messages_in(thread) if m.author.bot][-1]
    ctx.say("    In the welcome thread: " + (told.content or ""))
    await ctx.admin("buddy", "status")


async def intros_step(ctx: DemoContext) -> None:
    if "intros" not in ctx.command_names():
        return
    sb, town, bot = ctx.sb, ctx.town, ctx.bot
    await ctx.admin("intros", "setup", channel=town.general, every=1)
    people = [p.member for p in ctx.script.active() if p.member][:7]
    for member in people:
        await sb.invoke(town.guild, member, "intros", subcommand="join")
    ctx.say(f"\n({len(people)} members opt in; the clock moves to Monday 10:00, server time)")
    settings = await bot.guild_settings.get(town.guild.id)
    zone = ZoneInfo(settings.timezone)
    today = bot.clock.now().astimezone(zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    when = datetime.combine(monday, time(10, 5), tzinfo=zone).astimezone(UTC)
    before = {th.id for th in sb.threads_in(town.general)}
    bot.clock.set(when)
    await bot.scheduler.run_due()
    await sb.wait_for_bot_idle()
    opened = [th for th in sb.threads_in(town.general) if th.id not in before and th.type == 12]
    me = sb.bot_user.id
    sizes = sorted(len([u for u in th.thread_members if u != me]) for th in opened)
    ctx.say(f"    The round opened {len(opened)} private threads, of {sizes} members each.")
    if opened:
        first = [m for m in sb.messages_in(opened[0]) if m.author.bot]
        if first:
            ctx.say("    In one of them: " + (first[0].content or "").replace("\n", " "))
