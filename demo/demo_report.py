"""What the demo prints when the health feature cannot speak yet: row counts of what the
bot stored, and a weekly activity chart drawn from its ``activity_events`` table (or, if
that table is empty, from the sandbox's own log)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select, text

from .community import CommunityScript


async def recorded_rows(db_path: Path, guild_id: int) -> dict[str, int]:
    """Count the rows of every table holding this guild's data."""
    from bot.db import create_engine
    from bot.db.models import Base

    engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
    counts: dict[str, int] = {}
    try:
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if "guild_id" not in table.c:
                    continue
                query = select(func.count()).select_from(table).where(table.c.guild_id == guild_id)
                counts[table.name] = int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()
    return counts


async def _weekly_from_db(db_path: Path, guild_id: int, script: CommunityScript) -> Counter[int]:
    from bot.db import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
    weeks: Counter[int] = Counter()
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT occurred_at FROM activity_events WHERE guild_id = :g"), {"g": guild_id}
            )
            for (occurred,) in rows:
                when = occurred if not isinstance(occurred, str) else None
                if when is None:
                    from datetime import datetime

                    when = datetime.fromisoformat(occurred)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=script.start.tzinfo)
                weeks[(when - script.start).days // 7 + 1] += 1
    except Exception:  # the table may not exist in an older schema: fall back below
        return Counter()
    finally:
        await engine.dispose()
    return weeks


async def weekly_chart(db_path: Path, guild_id: int, path: Path, script: CommunityScript) -> Path:
    """Draw events per simulated week as a PNG and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weeks = await _weekly_from_db(db_path, guild_id, script)
    source = "recorded by the bot"
    if not weeks:
        weeks = Counter((a.at - script.start).days // 7 + 1 for a in script.log)
        source = "sent by the simulation (the bot recorded none yet)"
    xs = list(range(1, script.weeks + 1))
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    ax.bar(xs, [weeks.get(x, 0) for x in xs], color="#5865F2")
    ax.set_xlabel("simulated week")
    ax.set_ylabel("events")
    ax.set_title(f"Weekly activity, {source}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
