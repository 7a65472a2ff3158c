"""The buddies' periodic round (a `tasks.loop` in the cog, every `CHECK_MINUTES`): the
pairings whose buddy was erased by a privacy request (ended, so the newcomer is matched
again below), the 24 h reminder, the 48 h end of a silent pairing with its one re-offer,
the newcomers waiting for a free buddy, and what a crash left half-done (an offer or an
announcement recorded but not confirmed sent, sent again with the same nonce)."""

from __future__ import annotations

from bot.buddies.discord_io import BuddyDiscord

CHECK_MINUTES = 10


async def buddy_round(io: BuddyDiscord) -> None:
    service = io.service
    await service.end_unlinked()
    for request in await service.unsent_offers():
        await io.send_offer(request)
    await io.retry_unannounced()
    for match in await service.reminders_due():
        await io.remind(match)
    for request in await service.end_silent():
        await io.send_offer(request, again=True)
    for guild_id in await service.guilds_waiting():
        await io.replace(guild_id)
