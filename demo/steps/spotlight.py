"""Spotlights in `foyer demo`: after the replay the admin asks for suggestions, picks the
first candidate with a short note, and the bot posts the spotlight in #general."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from demo.context import DemoContext

NOTES = {"fr": "Merci pour ton aide si précieuse !", "en": "Thank you for being so helpful!"}


async def spotlight_step(ctx: DemoContext) -> None:
    if "spotlight" not in ctx.command_names():
        return
    await ctx.admin("spotlight", "setup", channel=ctx.town.general)
    shown = await ctx.admin("spotlight", "suggest")
    pick = _first_pick(shown.original.components if shown.original else [])
    if shown.original is None or pick is None:
        return
    modal = await ctx.sb.click(shown.original, ctx.town.admin, pick, timeout=30)
    done = await ctx.sb.submit_modal(
        modal, ctx.town.admin, {"note": NOTES.get(ctx.language, NOTES["en"])}, timeout=30
    )
    ctx.say("\n(the admin picks the first candidate and adds a note)")
    ctx.show(done)
    posted = ctx.sb.messages_in(ctx.town.general)[-1]
    ctx.say("    Posted in #general: " + (posted.content or ""))


def _first_pick(components: list[dict[str, Any]]) -> str | None:
    for row in components:
        for item in row.get("components", []):
            custom_id = str(item.get("custom_id", ""))
            if custom_id.startswith("foyer:spotlight:pick:"):
                return custom_id
    return None
