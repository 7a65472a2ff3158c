"""The garbage collector's settings for a long-running bot process.

Apart from `bot.app` so that benchmarks/gateway.py can give a bare discord.py client the
same process settings without importing Foyer.
"""

from __future__ import annotations

import gc

GC_YOUNG_THRESHOLD = 10_000  # allocations between young-generation collections (default 700)


def tune_garbage_collector() -> None:
    """Tune the garbage collector for a long-running event handler, once per process.

    Everything loaded by the first READY (modules, guild and member caches) lives as long as
    the process: `gc.freeze()` takes it out of the collector's scans, which were the largest
    cost per gateway event. Each event then allocates a few dozen short-lived objects;
    collecting the young generation every 10,000 allocations instead of 700 keeps the
    collector's share small (benchmarks/gateway.py gives the bare discord.py client the same
    settings, so its ratio compares the bots' own work). A later READY (a reconnect, another
    bot in the same test run) must not freeze again: it would also freeze whatever garbage
    is pending, which then could never be collected.
    """
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
