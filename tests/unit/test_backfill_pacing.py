"""Backfill pacing: two history requests for the same channel are at least the delay
apart; requests for other channels do not wait on it."""

from __future__ import annotations

import asyncio
import itertools

from bot.recording.recovery import HistoryPacer


async def test_requests_for_one_place_are_spaced_by_the_delay() -> None:
    loop = asyncio.get_running_loop()
    pacer = HistoryPacer(0.05)
    times = []
    for _ in range(4):
        await pacer.wait(1)
        times.append(loop.time())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(g >= 0.045 for g in gaps), gaps
    assert pacer.requests == 4


async def test_a_first_request_for_another_place_does_not_wait() -> None:
    loop = asyncio.get_running_loop()
    pacer = HistoryPacer(1.0)
    await pacer.wait(1)
    start = loop.time()
    await pacer.wait(2)
    await pacer.wait(3)
    assert loop.time() - start < 0.5
